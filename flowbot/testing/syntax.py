"""Syntax errors of ``.convo`` files in words, as compiler-style diagnostics (file:line:col, caret).

Codes: ``T0xx`` for test files (the compiler's are ``E``/``W``), so that a test file's problem is
never mistaken for one of the bot's. Every message says what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lark import Lark
from lark import Token
from lark.exceptions import UnexpectedCharacters
from lark.exceptions import UnexpectedInput
from lark.exceptions import UnexpectedToken

from flowbot.compiler.diagnostics import Diagnostic
from flowbot.compiler.diagnostics import Severity
from flowbot.compiler.diagnostics import Span

STEP_WORDS = (
    "`user:`, `bot:`, `choices:`, `image:`, `card:`, `carousel:`, `...`, "
    "`memory`, `at`, `error`, `request`, `wait` or `mock`"
)
_NAMED = {
    "TEXT": "text",
    "BODY_TEXT": "a body",
    "LONG_TEXT": 'a """long text"""',
    "STRING": 'a test name in double quotes (`test "greets the user"`)',
    "PATH": "a memory path such as `session.count` or `user.email`",
    "COMPARE": "`==`, `!=`, `~` or `is`",
    "PLACE": "where the conversation is: `flow.node`, `node` or `end`",
    "ERROR_TYPE": "an error type such as `action-execution`",
    "DURATION": "a duration such as `500ms`, `30s`, `25m` or `1h`",
    "METHOD": "an HTTP method (`GET`, `POST`...) or `*`",
    "URL": "a URL pattern (`*` matches anything)",
    "STATUS": "a status: an HTTP code such as `200`, or a failure such as `TIMEOUT` or `ECONNREFUSED`",
    "BOT_LINE": "`bot`, `choices`, `image`, `card`, `carousel` or `payload`",
    "_NL": "the end of the line",
    "_INDENT": "an indented block",
    "_DEDENT": "the end of the block",
    "$END": "the end of the file",
}
_WORD = re.compile(r"[^\s]+")


def make(
    code: str,
    span: Span | None,
    message: str,
    *,
    label: str | None = None,
    hint: str | None = None,
    severity: Severity = Severity.ERROR,
) -> Diagnostic:
    return Diagnostic(code=code, severity=severity, message=message, span=span, label=label, hint=hint)


def token_span(file: str, token: Token) -> Span:
    line, column = token.line or 1, token.column or 1
    end_line = token.end_line or line
    end_column = token.end_column or column + 1
    return Span(
        file=file, line=line, column=column, end_line=end_line, end_column=max(end_column, column + 1)
    )


def _point(file: str, line: int, column: int, width: int = 1) -> Span:
    return Span(file=file, line=line, column=column, end_line=line, end_column=column + max(width, 1))


def describe_expected(expected: Iterable[str], lark: Lark) -> str:
    """What the parser expected, in words."""
    names = set(expected) - {"__IGNORE_0"}
    if {"USER", "MEMORY", "AT"} <= names:
        return f"a step: {STEP_WORDS}"
    if {"TEST", "MOCK"} <= names and "USER" not in names:
        return '`test "<name>"` or `mock`'
    by_name = {t.name: t for t in lark.terminals}
    words: list[str] = []
    for name in sorted(names):
        if name in _NAMED:
            words.append(_NAMED[name])
            continue
        term = by_name.get(name)
        if term is not None and type(term.pattern).__name__ == "PatternStr":
            words.append(f"`{term.pattern.value}`")
        else:
            words.append(name.lower())
    unique = list(dict.fromkeys(words))
    if len(unique) <= 1:
        return unique[0] if unique else "something else"
    return ", ".join(unique[:-1]) + " or " + unique[-1]


def explain(exc: UnexpectedInput, text: str, file: str, lark: Lark) -> Diagnostic:
    """A diagnostic for Lark's syntax error."""
    if isinstance(exc, UnexpectedCharacters):
        line_text = text.splitlines()[exc.line - 1] if 0 < exc.line <= len(text.splitlines()) else ""
        match = _WORD.match(line_text, exc.column - 1)
        found = match.group(0) if match else text[exc.pos_in_stream : exc.pos_in_stream + 1]
        expected = describe_expected(exc.allowed or (), lark)
        return make(
            "T001",
            _point(file, exc.line, exc.column, len(found)),
            f"unexpected `{found}`",
            label=f"expected {expected}",
            hint=_hint(found, expected),
        )
    assert isinstance(exc, UnexpectedToken)
    token = exc.token
    expected = describe_expected(exc.expected, lark)
    if token.type == "$END":
        lines = text.splitlines() or [""]
        return make(
            "T003",
            _point(file, len(lines), len(lines[-1]) + 1),
            "unexpected end of file",
            label=f"expected {expected}",
        )
    if token.type in ("_NL", "_DEDENT"):
        line, column = token.line or 1, token.column or 1
        return make(
            "T002", _point(file, line, column), "unexpected end of the line", label=f"expected {expected}"
        )
    if token.type == "_INDENT":
        line = token.end_line or token.line or 1
        return make(
            "T004",
            _point(file, line, 1, len(str(token).expandtabs())),
            "unexpected indentation",
            label="this line is indented more than the line above",
            hint="indent the steps of a test by the same amount, and a mock's `header`, `body` and `delay` "
            "under it",
        )
    return make(
        "T002",
        token_span(file, token),
        f"unexpected `{token.value}`",
        label=f"expected {expected}",
        hint=_hint(str(token.value), expected),
    )


def _hint(found: str, expected: str) -> str | None:
    if expected.startswith("a step") and found.rstrip(":") in ("say", "you", "me", "human"):
        return "the user's lines are written `user: <text>`"
    if expected.startswith("a step") and found.rstrip(":") in ("bot_says", "reply", "answer", "assistant"):
        return "the bot's lines are written `bot: <text>` (or `bot ~ <pattern>`)"
    if expected.startswith("a step"):
        return "each line of a test is a step; see docs/testing.md"
    if expected.startswith("`test"):
        return 'a file holds `mock` lines and `test "<name>"` blocks; indent the steps of a test under it'
    return None


def indentation_error(file: str, line: int, indent: int, levels: list[int]) -> Diagnostic:
    shown = ", ".join(str(level) for level in levels)
    return make(
        "T004",
        _point(file, line, 1, max(indent, 1)),
        "inconsistent indentation",
        label=f"this line is indented by {indent}, which matches no enclosing block ({shown})",
        hint="indent every step of a test by the same amount (2 spaces is usual)",
    )
