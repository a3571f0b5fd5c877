"""Reading ``.convo`` files: Lark (``convo.lark``) → :class:`TestFile` with diagnostics.

Nothing here raises for what a file contains: syntax errors and bad values (JSON, regular
expressions, statuses...) come back as diagnostics with file:line:col, every one at once (one
syntax error per top-level block, so that a typo in one test does not hide the next).
"""

from __future__ import annotations

import functools
import json
import re
import textwrap
from importlib.resources import files
from pathlib import Path
from typing import Any

from lark import Lark
from lark import Token
from lark import Transformer
from lark import Tree
from lark.exceptions import UnexpectedInput
from pydantic import ValidationError

from flowbot.compiler.diagnostics import Diagnostic
from flowbot.compiler.diagnostics import locate
from flowbot.compiler.diagnostics import sort_diagnostics
from flowbot.compiler.parse import BotIndenter
from flowbot.compiler.parse import IndentationProblem
from flowbot.compiler.parse import prepare
from flowbot.compiler.parse import top_level_pieces
from flowbot.runtime.callapi import MockRule
from flowbot.runtime.callapi.body import decode_text
from flowbot.testing.checks import check_tests
from flowbot.testing.model import SCOPES
from flowbot.testing.model import AtCheck
from flowbot.testing.model import ErrorCheck
from flowbot.testing.model import RequestCheck
from flowbot.testing.model import ExpectLine
from flowbot.testing.model import MemoryCheck
from flowbot.testing.model import Mock
from flowbot.testing.model import More
from flowbot.testing.model import TestCase
from flowbot.testing.model import TestFile
from flowbot.testing.model import UserInput
from flowbot.testing.model import Wait
from flowbot.testing.syntax import explain
from flowbot.testing.syntax import indentation_error
from flowbot.testing.syntax import make
from flowbot.testing.syntax import token_span

SUFFIX = ".convo"
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$")
_SEGMENT = re.compile(r'\.([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]|\["([^"\n]*)"\]')


@functools.cache
def parser() -> Lark:
    grammar = files("flowbot.testing").joinpath("convo.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", postlex=BotIndenter(), maybe_placeholders=False)


def parse_duration(text: str) -> float:
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"invalid duration {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def long_text(raw: str) -> str:
    """The text of a ``\"\"\"...\"\"\"`` block: first and last blank lines dropped, common indent removed."""
    body = raw[3:-3]
    lines = body.split("\n")
    if lines and not lines[0].strip():
        lines = lines[1:]
    if lines and not lines[-1].strip():
        lines = lines[:-1]
    return textwrap.dedent("\n".join(lines))


def text_of(token: Token) -> str:
    return long_text(str(token)) if token.type == "LONG_TEXT" else str(token).rstrip()


class ConvoBuilder(Transformer[Token, Any]):
    """Parse tree → model objects. Never raises (Lark would wrap it): problems go to ``diagnostics``
    and the faulty step becomes None."""

    def __init__(self, file: str) -> None:
        super().__init__()
        self.file = file
        self.diagnostics: list[Diagnostic] = []

    def _span(self, token: Token) -> Any:
        return token_span(self.file, token)

    def _error(
        self, code: str, token: Token, message: str, label: str | None = None, hint: str | None = None
    ) -> None:
        self.diagnostics.append(make(code, self._span(token), message, label=label, hint=hint))

    def _json(self, token: Token, what: str) -> tuple[bool, Any]:
        try:
            return True, json.loads(text_of(token))
        except json.JSONDecodeError as exc:
            self._error(
                "T010",
                token,
                f"{what} is not valid JSON: {exc.msg}",
                hint='write JSON: strings in double quotes ("Paris"), numbers, true, false, null, '
                "[...] or {...}",
            )
            return False, None

    def _regex(self, token: Token) -> str | None:
        pattern = text_of(token)
        try:
            re.compile(pattern)
        except re.error as exc:
            self._error(
                "T011",
                token,
                f"invalid regular expression: {exc}",
                hint="escape special characters: \\. \\( \\? \\*",
            )
            return None
        return pattern

    # -- user input ------------------------------------------------------------------------------

    def user_says(self, items: list[Token]) -> UserInput:
        return UserInput(span=self._span(items[0]), mode="says", text=text_of(items[-1]))

    def user_picks(self, items: list[Token]) -> UserInput:
        return UserInput(span=self._span(items[0]), mode="picks", text=text_of(items[-1]))

    def user_clicks(self, items: list[Token]) -> UserInput:
        return UserInput(span=self._span(items[0]), mode="clicks", text=text_of(items[-1]))

    def user_payload(self, items: list[Token]) -> UserInput | None:
        ok, value = self._json(items[-1], "the payload")
        if not ok:
            return None
        if not isinstance(value, dict):
            self._error(
                "T010",
                items[-1],
                "the payload must be a JSON object",
                hint='e.g. {"type": "postback", "payload": "BUY"}',
            )
            return None
        return UserInput(span=self._span(items[0]), mode="payload", text=text_of(items[-1]), payload=value)

    def wait_step(self, items: list[Token]) -> Wait:
        return Wait(span=self._span(items[0]), seconds=parse_duration(str(items[1])), text=str(items[1]))

    # -- expectations ----------------------------------------------------------------------------

    def expect_exact(self, items: list[Token]) -> ExpectLine:
        return ExpectLine(span=self._span(items[0]), line=str(items[0]), text=text_of(items[1]))  # type: ignore[arg-type]

    def expect_pattern(self, items: list[Token]) -> ExpectLine | None:
        pattern = self._regex(items[1])
        if pattern is None:
            return None
        return ExpectLine(span=self._span(items[0]), line=str(items[0]), text=pattern, pattern=True)  # type: ignore[arg-type]

    def more(self, items: list[Token]) -> More:
        return More(span=self._span(items[0]))

    def _segments(self, token: Token) -> list[str | int] | None:
        text = str(token)
        head = re.match(r"[A-Za-z_$][A-Za-z0-9_$-]*", text)
        assert head is not None  # the grammar's PATH starts with a name
        if head.group(0) not in SCOPES:
            self._error(
                "T012",
                token,
                f"unknown memory scope `{head.group(0)}`",
                label="expected user, session, temp or bot",
                hint="e.g. `memory session.count == 2`",
            )
            return None
        segments: list[str | int] = [head.group(0)]
        for match in _SEGMENT.finditer(text, head.end()):
            name, index, quoted = match.groups()
            segments.append(int(index) if index is not None else (name if name is not None else quoted))
        return segments

    def memory_compare(self, items: list[Token]) -> MemoryCheck | None:
        segments = self._segments(items[1])
        ok, value = self._json(items[3], "the expected value")
        if segments is None or not ok:
            return None
        op = str(items[2])
        return MemoryCheck(
            span=self._span(items[0]),
            path=str(items[1]),
            segments=segments,
            op=op,
            value=value,  # type: ignore[arg-type]
            text=text_of(items[3]),
        )

    def memory_pattern(self, items: list[Token]) -> MemoryCheck | None:
        segments = self._segments(items[1])
        pattern = self._regex(items[2])
        if segments is None or pattern is None:
            return None
        return MemoryCheck(
            span=self._span(items[0]),
            path=str(items[1]),
            segments=segments,
            op="~",
            value=pattern,
            text=pattern,
        )

    def memory_set(self, items: list[Token]) -> MemoryCheck | None:
        segments = self._segments(items[1])
        if segments is None:
            return None
        negated = any(isinstance(t, Token) and t.type == "NOT" for t in items)
        return MemoryCheck(
            span=self._span(items[0]), path=str(items[1]), segments=segments, op="unset" if negated else "set"
        )

    def at_step(self, items: list[Token]) -> AtCheck:
        return AtCheck(span=self._span(items[0]), place=str(items[1]))

    def request_step(self, items: list[Token]) -> RequestCheck:
        body_text = text_of(items[3]) if len(items) > 3 else None
        return RequestCheck(
            span=self._span(items[0]),
            method=str(items[1]).upper(),
            url=str(items[2]),
            body=decode_text(body_text) if body_text is not None else None,
            body_text=body_text,
        )

    def error_step(self, items: list[Token]) -> ErrorCheck:
        return ErrorCheck(span=self._span(items[0]), error_type=str(items[1]))

    # -- mocks -----------------------------------------------------------------------------------

    def mock_header(self, items: list[Token]) -> tuple[str, Token, Any]:
        return ("header", items[1], text_of(items[1]))

    def mock_body(self, items: list[Token]) -> tuple[str, Token, Any]:
        return ("body", items[1], text_of(items[1]))

    def mock_delay(self, items: list[Token]) -> tuple[str, Token, Any]:
        return ("delay", items[1], parse_duration(str(items[1])))

    def mock(self, items: list[Any]) -> Mock | None:
        head, method, url, status = items[0], items[1], items[2], items[3]
        fields: dict[str, Any] = {
            "method": str(method).upper(),
            "url": str(url),
            "status": int(status) if str(status).isdigit() else str(status),
            "headers": {},
        }
        rest = items[4:]
        if rest and isinstance(rest[0], Token):
            fields["body"] = text_of(rest[0])
            rest = rest[1:]
        for kind, token, value in (item.children[0] if isinstance(item, Tree) else item for item in rest):
            if kind == "header":
                name, colon, header_value = value.partition(":")
                if not colon or not name.strip() or " " in name.strip():
                    self._error(
                        "T017",
                        token,
                        "a header is written `header Name: value`",
                        hint="e.g. `header Content-Type: application/json`",
                    )
                    return None
                fields["headers"][name.strip()] = header_value.strip()
            else:
                fields[kind] = value
        try:
            rule = MockRule.model_validate(fields)
        except ValidationError as exc:
            reason = "; ".join(str(error["msg"]).removeprefix("Value error, ") for error in exc.errors())
            self._error("T016", status, f"invalid mock: {reason}")
            return None
        return Mock(span=self._span(head), rule=rule)

    def mock_item(self, items: list[Any]) -> Any:
        return items[0]

    # -- tests -----------------------------------------------------------------------------------

    def test(self, items: list[Any]) -> TestCase | None:
        head, name = items[0], items[1]
        try:
            title = json.loads(str(name))
        except json.JSONDecodeError:
            self._error(
                "T018",
                name,
                "invalid escape in the test name",
                hint='the escapes are \\" \\\\ \\n \\t and \\uXXXX',
            )
            return None
        steps = [step for step in items[2:] if step is not None]
        return TestCase(name=title, span=self._span(head), steps=steps)

    def start(self, items: list[Any]) -> list[Any]:
        return [item for item in items if item is not None]


def parse_convo(text: str, path: str) -> TestFile:
    """Parse the text of a ``.convo`` file shown as ``path``."""
    prepared = prepare(text)
    try:
        trees = [parser().parse(prepared)]
        syntax: list[Diagnostic] = []
    except (UnexpectedInput, IndentationProblem):
        # parse block by block: every block's syntax error, and the other checks on the blocks that parse
        trees, syntax = [], []
        for piece in top_level_pieces(prepared):
            tree, errors = _parse_piece(piece, path)
            trees.extend([tree] if tree is not None else [])
            syntax.extend(errors)
    builder = ConvoBuilder(path)
    items = [item for tree in trees for item in builder.transform(tree)]
    mocks = [item for item in items if isinstance(item, Mock)]
    tests = [item for item in items if isinstance(item, TestCase)]
    # a test or a step that did not parse would make "no test" / "no message" misleading
    complete = not syntax and not builder.diagnostics
    diagnostics = [*syntax, *builder.diagnostics, *check_tests(tests, path, complete=complete)]
    return _finish(TestFile(path=path, mocks=mocks, tests=tests, diagnostics=diagnostics), prepared)


def _finish(result: TestFile, text: str) -> TestFile:
    # spans carry the display path already: locate() only adds the source lines
    located = locate(result.diagnostics, "", {result.path: text})
    return result.model_copy(update={"diagnostics": sort_diagnostics(located)})


def read_convo(path: Path, display: str | None = None) -> TestFile:
    """Read and parse a ``.convo`` file; an unreadable file is a diagnostic too."""
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else (exc.strerror or str(exc))
        problem = make("T005", None, f"cannot read `{shown}`: {reason}").model_copy(update={"path": shown})
        return TestFile(path=shown, diagnostics=[problem])
    return parse_convo(text, shown)


def _parse_piece(piece: str, file: str) -> tuple[Tree[Token] | None, list[Diagnostic]]:
    try:
        return parser().parse(piece), []
    except IndentationProblem as exc:
        line = exc.token.end_line or exc.token.line or 1
        return None, [indentation_error(file, line, exc.indent, exc.levels)]
    except UnexpectedInput as exc:
        return None, [explain(exc, piece, file, parser())]
