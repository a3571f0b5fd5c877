"""One failing fixture per diagnostic code, with its full message pinned (``expected.txt``).

Each folder of fixtures/diagnostics is a small bot named ``<code>-<what>``; checking it must
report that code, and the pretty rendering of all its diagnostics must equal ``expected.txt``
(regenerate with ``python -m tests.compiler.fixtures.regenerate`` and review the diff).
"""

from __future__ import annotations


import pytest

from flowbot.compiler import check
from flowbot.compiler import render_diagnostics
from flowbot.compiler.messages import MESSAGES
from tests.compiler.fixtures.regenerate import FIXTURES
from tests.compiler.fixtures.regenerate import expected_text

CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
NOT_FROM_A_BOT_FOLDER = {"E121", "E900"}  # write failures and internal errors: see test_build.py


@pytest.mark.parametrize("name", CASES)
def test_fixture_reports_its_code_with_the_pinned_message(name: str) -> None:
    code = name.split("-")[0]
    assert code in MESSAGES
    diags = check(FIXTURES / name)
    assert code in [d.code for d in diags]
    assert expected_text(name) == (FIXTURES / name / "expected.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", CASES)
def test_fixture_short_form_has_its_position(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    code = name.split("-")[0]
    diag = next(d for d in check(name) if d.code == code)
    line = render_diagnostics([diag], "short")
    if diag.span is not None:
        assert line.startswith(f"{name}/{diag.span.file}:{diag.span.line}:{diag.span.column}: ")
    assert line.endswith(f"{diag.message} [{code}]")


def test_every_code_has_a_fixture() -> None:
    covered = {name.split("-")[0] for name in CASES}
    assert set(MESSAGES) - covered == NOT_FROM_A_BOT_FOLDER
