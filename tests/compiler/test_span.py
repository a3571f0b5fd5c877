"""``Span`` is a named tuple (the IR holds 112,000 of them for a 10,000-node bot) that keeps the
interface of the pydantic model it replaced: keyword construction, ``model_copy``, its repr,
immutability, and the dict it dumps as inside a pydantic model."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from flowbot.compiler import ir
from flowbot.compiler.diagnostics import Diagnostic
from flowbot.compiler.diagnostics import Note
from flowbot.compiler.diagnostics import Severity
from flowbot.compiler.diagnostics import Span

SPAN = Span(file="main.flow", line=3, column=5, end_line=3, end_column=9)
FIELDS = {"file": "main.flow", "line": 3, "column": 5, "end_line": 3, "end_column": 9}


def test_a_span_is_a_light_value() -> None:
    assert isinstance(SPAN, tuple) and tuple(SPAN) == ("main.flow", 3, 5, 3, 9)
    assert not hasattr(SPAN, "__dict__")  # no per-instance dict (nor pydantic's field set)
    assert SPAN == Span(**FIELDS) and hash(SPAN) == hash(Span(**FIELDS))
    assert repr(SPAN) == "Span(file='main.flow', line=3, column=5, end_line=3, end_column=9)"
    assert SPAN.sort_key == ("main.flow", 3, 5)


def test_a_span_is_immutable_and_copied_with_changes() -> None:
    with pytest.raises(AttributeError):
        SPAN.line = 4  # type: ignore[misc]
    assert SPAN.model_copy(update={"end_column": 12}) == Span(**{**FIELDS, "end_column": 12})
    assert SPAN.model_copy() is SPAN


def test_models_hold_spans_as_they_are_and_dump_them_as_dicts() -> None:
    note = Note(message="n", span=SPAN)
    diagnostic = Diagnostic(code="E101", severity=Severity.ERROR, message="m", span=SPAN, notes=[note])
    assert diagnostic.span is SPAN
    dumped = diagnostic.model_dump(mode="json")
    assert dumped["span"] == FIELDS and dumped["notes"][0]["span"] == FIELDS
    assert diagnostic.model_dump()["span"] == FIELDS
    name = ir.Name(value="x", span=SPAN)
    assert name.span is SPAN and name.model_dump() == {"value": "x", "span": FIELDS}


def test_a_model_takes_only_a_span_for_a_span() -> None:
    with pytest.raises(ValidationError):
        ir.Name(value="x", span=FIELDS)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ir.Name(value="x", span=("main.flow", 3, 5, 3, 9))  # type: ignore[arg-type]
