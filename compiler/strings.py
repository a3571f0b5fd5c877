"""String literals of the language: decoding escapes, and finding positions inside a string.

Strings are JSON-style (``"..."`` with ``\\n``, ``\\"``, ``\\uXXXX``...) or long (``\"\"\"...\"\"\"``,
over several lines: the first and last blank lines are dropped and the common indentation is
removed, so that a long text can be indented with the code around it).
"""

from __future__ import annotations

import re
import textwrap

from pydantic import BaseModel
from pydantic import ConfigDict

from flowbot.compiler.diagnostics import Span

_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)


class BadEscape(BaseModel):
    model_config = ConfigDict(frozen=True)

    offset: int  # in the raw token
    escape: str


def decode(raw: str) -> tuple[str, BadEscape | None]:
    """The value of a string token, and the first invalid escape if there is one."""
    long = raw.startswith('"""')
    start = 3 if long else 1
    inner = raw[start:-start]
    bad: BadEscape | None = None
    if "\\" in inner:
        pieces: list[str] = []
        last = 0
        for match in _ESCAPE.finditer(inner):
            pieces.append(inner[last : match.start()])
            code = match.group(1)
            if code in _ESCAPES:
                pieces.append(_ESCAPES[code])
            elif len(code) == 5 and code[0] == "u":
                pieces.append(chr(int(code[1:], 16)))
            else:
                if bad is None:
                    bad = BadEscape(offset=start + match.start(), escape=match.group(0))
                pieces.append(code)
            last = match.end()
        pieces.append(inner[last:])
        inner = "".join(pieces)
    return (_dedent_long(inner) if long else inner), bad


def _dedent_long(text: str) -> str:
    lines = text.split("\n")
    if len(lines) > 1 and not lines[0].strip():
        lines = lines[1:]
    if len(lines) > 1 and not lines[-1].strip():
        lines = lines[:-1]
    return textwrap.dedent("\n".join(lines))


def span_at(raw: str, span: Span, offset: int, length: int = 1) -> Span:
    """The span of ``raw[offset:offset+length]`` given the span of the whole token."""
    before = raw[:offset]
    newlines = before.count("\n")
    if newlines:
        column = offset - before.rfind("\n")
    else:
        column = span.column + offset
    line = span.line + newlines
    return Span(file=span.file, line=line, column=column, end_line=line, end_column=column + max(length, 1))


def find_in_raw(raw: str, span: Span, needle: str, value_line: int = 0) -> Span | None:
    """The span of ``needle`` as written in the token, searching the ``value_line``-th line of a long
    string first; None when the text was written differently (escapes)."""
    if not needle:
        return None
    offset = -1
    if raw.startswith('"""') and value_line:
        # The decoded value drops the opening line of a long string; search from the matching line.
        line_starts = [0] + [i + 1 for i, ch in enumerate(raw) if ch == "\n"]
        for skip in (value_line, value_line - 1):
            if 0 <= skip < len(line_starts):
                offset = raw.find(needle, line_starts[skip])
                if offset >= 0:
                    break
    if offset < 0:
        offset = raw.find(needle)
    if offset < 0:
        return None
    return span_at(raw, span, offset, len(needle.split("\n", 1)[0]))
