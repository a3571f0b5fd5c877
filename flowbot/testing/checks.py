"""Checks of a parsed ``.convo`` file that span several steps or tests (the grammar cannot say them):
every expectation follows a user line, ``...`` ends its turn, test names are unique, a test sends
something, a file has tests."""

from __future__ import annotations

from flowbot.compiler.diagnostics import Diagnostic
from flowbot.compiler.diagnostics import Severity
from flowbot.testing.model import ExpectLine
from flowbot.testing.model import Mock
from flowbot.testing.model import More
from flowbot.testing.model import TestCase
from flowbot.testing.model import UserInput
from flowbot.testing.model import Wait
from flowbot.testing.syntax import make


def check_tests(tests: list[TestCase], path: str, *, complete: bool = True) -> list[Diagnostic]:
    """Checks across steps: every expectation follows an input, `...` ends its turn, names are unique."""
    out: list[Diagnostic] = []
    seen: dict[str, TestCase] = {}
    for test in tests:
        if test.name in seen:
            out.append(
                make(
                    "T015",
                    test.span,
                    f'duplicate test name "{test.name}"',
                    hint=f"the first is at line {seen[test.name].span.line}; give each test its own name",
                )
            )
        seen.setdefault(test.name, test)
        out.extend(_check_steps(test, complete))
    if not tests and complete:
        out.append(
            make("W020", None, "no test in this file", severity=Severity.WARNING).model_copy(
                update={"path": path}
            )
        )
    return out


def _check_steps(test: TestCase, complete: bool) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    started = False
    after_more = None
    for step in test.steps:
        if isinstance(step, UserInput | Wait):
            started, after_more = True, None
        elif isinstance(step, Mock):
            continue
        elif not started:
            out.append(
                make(
                    "T013",
                    step.span,
                    f"`{step.display()}` comes before any user message",
                    hint="expectations check the turn of the `user:` (or `wait`) line above them",
                )
            )
        elif after_more is not None and isinstance(step, ExpectLine | More):
            out.append(
                make(
                    "T014",
                    after_more.span,
                    "`...` must be the last bot line of its turn",
                    hint="`...` means: and possibly more messages after the lines above",
                )
            )
            after_more = None
        elif isinstance(step, More):
            after_more = step
    if complete and not any(isinstance(step, UserInput | Wait) for step in test.steps):
        out.append(
            make("T019", test.span, f'test "{test.name}" sends no message', hint="add a `user: <text>` line")
        )
    return out
