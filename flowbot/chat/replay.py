"""``/replay FILE [TEST]``: the user's side of a conversation test (or of a text file), to resend."""

from __future__ import annotations

import shlex
from pathlib import Path

from flowbot.compiler.diagnostics import Span
from flowbot.compiler.diagnostics import render_diagnostics
from flowbot.testing.model import UserInput
from flowbot.testing.parse import SUFFIX
from flowbot.testing.parse import read_convo


def replay_steps(argument: str) -> list[UserInput]:
    """The user inputs named by ``FILE [TEST NAME]``; raises ValueError with a message to show."""
    try:
        words = shlex.split(argument)
    except ValueError as exc:
        raise ValueError(f"/replay: {exc}") from None
    if not words:
        raise ValueError("/replay needs a file: /replay tests/main.convo [test name]")
    path, name = Path(words[0]).expanduser(), " ".join(words[1:])
    if not path.is_file():
        raise ValueError(f"/replay: no file {path}")
    if path.suffix != SUFFIX:
        return _text_lines(path)
    parsed = read_convo(path)
    if not parsed.ok:
        raise ValueError(f"/replay: {path} has errors:\n" + render_diagnostics(parsed.diagnostics, "short"))
    tests = [t for t in parsed.tests if not name or t.name == name]
    if not tests:
        names = ", ".join(f'"{t.name}"' for t in parsed.tests) or "none"
        raise ValueError(f"/replay: no test named {name!r} in {path} (tests: {names})")
    return [step for step in tests[0].steps if isinstance(step, UserInput)]


def _text_lines(path: Path) -> list[UserInput]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"/replay: cannot read {path}: {exc}") from None
    steps = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            span = Span(file=str(path), line=number, column=1, end_line=number, end_column=len(line) + 1)
            steps.append(UserInput(span=span, mode="says", text=line.strip()))
    return steps
