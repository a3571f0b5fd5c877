"""Rendering diagnostics: pretty (rustc-like), short (file:line:col) and json; sorting."""

from __future__ import annotations

import json

import pytest

from flowbot.compiler import Diagnostic
from flowbot.compiler import Span
from flowbot.compiler import render_diagnostics
from flowbot.compiler import summary
from flowbot.compiler.diagnostics import Note
from flowbot.compiler.diagnostics import locate
from flowbot.compiler.diagnostics import sort_diagnostics
from flowbot.compiler.messages import diag

TEXT = "bot b \"B\"\nflow main\n\tnode a\n\t\t-> nowhere\n"


def _located(*diags: Diagnostic) -> list[Diagnostic]:
    return locate(diags, "bots/demo", {"main.flow": TEXT})


def _span(line: int, column: int, end_column: int, end_line: int | None = None) -> Span:
    return Span(file="main.flow", line=line, column=column, end_line=end_line or line, end_column=end_column)


def test_pretty_expands_tabs_under_the_caret() -> None:
    d = diag("E101", _span(4, 6, 13), name="nowhere", flow="main", hint="did you mean `now`?")
    assert render_diagnostics(_located(d)) == (
        "error[E101]: unknown node `nowhere`\n"
        "  --> bots/demo/main.flow:4:6\n"
        "   |\n"
        " 4 |                 -> nowhere\n"
        "   |                    ^^^^^^^ no node with this name in flow `main`\n"
        "   = help: did you mean `now`?"
    )


def test_pretty_multiline_span_marks_to_the_end_of_the_first_line_and_shows_notes() -> None:
    first = _span(2, 1, 5)
    d = diag("E103", _span(3, 2, 3, end_line=4), kind="node", name="a", where="", notes=[Note(message="first defined here", span=first)])
    lines = render_diagnostics(_located(d)).splitlines()
    assert lines[4] == "   |         ^^^^^^ node `a` is already defined"
    assert lines[5] == "   = note: first defined here (bots/demo/main.flow:2:1)"


def test_pretty_without_a_span_names_the_folder() -> None:
    assert render_diagnostics(_located(diag("E112", None))) == (
        "error[E112]: the bot has no `bot` declaration\n"
        "  --> bots/demo\n"
        '   = help: add `bot <id> "<Name>"` at the top of one of the .flow files'
    )


def test_short_format_is_one_line_per_diagnostic() -> None:
    diags = _located(
        diag("E101", _span(4, 6, 13), name="nowhere", flow="main"),
        diag("W003", _span(2, 6, 10), name="main"),
    )
    assert render_diagnostics(diags, "short") == (
        "bots/demo/main.flow:4:6: error: unknown node `nowhere` [E101]\n"
        "bots/demo/main.flow:2:6: warning: flow `main` is never entered [W003]"
    )


def test_json_format() -> None:
    d = diag("E101", _span(4, 6, 13), name="nowhere", flow="main", hint="did you mean `now`?",
             notes=[Note(message="see", span=_span(1, 1, 2))])
    assert json.loads(render_diagnostics(_located(d), "json")) == [
        {
            "code": "E101",
            "severity": "error",
            "message": "unknown node `nowhere`",
            "file": "bots/demo/main.flow",
            "line": 4,
            "column": 6,
            "end_line": 4,
            "end_column": 13,
            "label": "no node with this name in flow `main`",
            "hint": "did you mean `now`?",
            "notes": [{"message": "see", "file": "bots/demo/main.flow", "line": 1, "column": 1}],
        }
    ]
    assert render_diagnostics([], "json") == "[]"


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown diagnostics format 'xml'"):
        render_diagnostics([], "xml")


def test_sorting_by_place_errors_first_and_no_duplicates() -> None:
    warning = diag("W001", _span(3, 7, 8), node="a")
    error = diag("E203", _span(3, 7, 8), node="a")
    early = diag("E101", _span(1, 1, 2), name="x", flow="main")
    other_file = diag("E101", Span(file="a.flow", line=9, column=1, end_line=9, end_column=2), name="x", flow="main")
    ordered = sort_diagnostics([warning, error, early, error, other_file])
    assert [(d.code, d.span.file if d.span else "") for d in ordered] == [
        ("E101", "a.flow"), ("E101", "main.flow"), ("E203", "main.flow"), ("W001", "main.flow")
    ]


def test_summary() -> None:
    assert summary([]) == "no problems"
    warnings = [diag("W001", None, node="a"), diag("W001", None, node="b")]
    assert summary([diag("E112", None), *warnings]) == "1 error, 2 warnings"
