"""Diagnostics: what the compiler reports about a bot, and the three ways to print them.

A :class:`Diagnostic` is a value (code, severity, message, span, label, hint, notes). The compiler
collects them in a pass and never stops at the first; :func:`render_diagnostics` prints them
``pretty`` (rustc-like, with the source line and a caret), ``short`` (``file:line:col: error:
message [E101]``, for editors and CI) or ``json``. Message texts live in
:mod:`flowbot.compiler.messages`, keyed by code.
"""

from __future__ import annotations

import json
from enum import Enum
from collections.abc import Iterable
from typing import Any
from typing import Literal
from typing import NamedTuple
from typing import TypeVar

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema
from pydantic_core import core_schema

_T = TypeVar("_T")

Format = Literal["pretty", "short", "json"]
FORMATS: tuple[str, ...] = ("pretty", "short", "json")
INTERNAL_ERROR = "E900"


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


def held_as_instance(cls: type[_T]) -> type[_T]:
    """Class decorator for the IR's named tuples: pydantic models hold them as :func:`instance_schema`
    says (a named tuple cannot take a base class that would carry the hook)."""

    def schema(owner: type, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return instance_schema(owner)

    cls.__get_pydantic_core_schema__ = classmethod(schema)  # type: ignore[attr-defined]
    return cls


def instance_schema(cls: type) -> CoreSchema:
    """How pydantic models hold a named tuple of ours: the instance as it is (no copy, no
    coercion), dumped as a dict of its fields (named tuples in it too), as the model it
    replaced was."""
    dump = core_schema.plain_serializer_function_ser_schema(_fields)
    return core_schema.is_instance_schema(cls, serialization=dump)


def _fields(value: Any) -> Any:
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {name: _fields(item) for name, item in zip(value._fields, value)}
    return value


@held_as_instance
class Span(NamedTuple):
    """A range of source text. ``file`` is relative to the bot folder; lines and columns are
    1-based; ``end_column`` is one past the last character (as Lark reports it).

    A named tuple rather than a pydantic model: every name, string, step and transition of the
    IR has one (112,000 for a 10,000-node bot), and a tuple is made nine times faster and takes
    an eighth of the memory. To pydantic models holding one it is an instance to accept as it
    is, dumped as a dict of its fields (what the model it replaces dumped)."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    @property
    def sort_key(self) -> tuple[str, int, int]:
        return (self.file, self.line, self.column)

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Span:
        """A copy with some fields replaced (as the pydantic model's ``model_copy``)."""
        return self._replace(**update) if update else self


class Note(BaseModel):
    """A secondary message, optionally pointing at another place (``note: first defined here``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    message: str
    span: Span | None = None
    path: str | None = None  # display path of ``span.file``, filled by :func:`locate`


class Diagnostic(BaseModel):
    """One problem found in a bot. ``path`` and ``source_line`` are filled by :func:`locate` once
    the folder is known, so that the value renders on its own."""

    model_config = ConfigDict(extra="forbid")

    code: str
    severity: Severity
    message: str
    span: Span | None = None
    label: str | None = None
    hint: str | None = None
    notes: list[Note] = Field(default_factory=list)
    path: str | None = None
    source_line: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def is_internal(self) -> bool:
        return self.code == INTERNAL_ERROR

    def sort_key(self) -> tuple[str, int, int, int, str, str]:
        file = self.path or (self.span.file if self.span else "")
        line, column = (self.span.line, self.span.column) if self.span else (0, 0)
        return (file, line, column, 0 if self.is_error else 1, self.code, self.message)


def sort_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted by place, errors before warnings at the same place, without duplicates."""
    seen: set[tuple[object, ...]] = set()
    unique = []
    for diag in diags:
        key = (diag.code, diag.message, diag.span)
        if key not in seen:
            seen.add(key)
            unique.append(diag)
    return sorted(unique, key=Diagnostic.sort_key)


def locate(diags: Iterable[Diagnostic], root: str, texts: dict[str, str]) -> list[Diagnostic]:
    """Fill display paths (``root/file``) and source lines from the files' texts."""
    prefix = root.rstrip("/") + "/" if root not in ("", ".") else ""
    lines_cache: dict[str, list[str]] = {}
    located = []
    for diag in diags:
        update: dict[str, object] = {}
        if diag.span is not None:
            update["path"] = prefix + diag.span.file
            lines = lines_cache.get(diag.span.file)
            if lines is None:
                lines = texts.get(diag.span.file, "").splitlines()
                lines_cache[diag.span.file] = lines
            if 0 < diag.span.line <= len(lines):
                update["source_line"] = lines[diag.span.line - 1]
        elif diag.path is None:
            update["path"] = root
        update["notes"] = [
            note.model_copy(update={"path": prefix + note.span.file}) if note.span else note for note in diag.notes
        ]
        located.append(diag.model_copy(update=update))
    return located


def render_diagnostics(diags: Iterable[Diagnostic], fmt: Format | str = "pretty") -> str:
    """Render diagnostics as ``pretty``, ``short`` or ``json`` text (no trailing newline)."""
    items = list(diags)
    if fmt == "json":
        return json.dumps([_as_json(d) for d in items], indent=2, ensure_ascii=False)
    if fmt == "short":
        return "\n".join(_short(d) for d in items)
    if fmt == "pretty":
        return "\n\n".join(_pretty(d) for d in items)
    raise ValueError(f"unknown diagnostics format {fmt!r} (expected one of {', '.join(FORMATS)})")


def summary(diags: Iterable[Diagnostic]) -> str:
    """``2 errors, 1 warning`` (or ``no problems``)."""
    items = list(diags)
    errors = sum(1 for d in items if d.is_error)
    warnings = len(items) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts) or "no problems"


def _where(diag: Diagnostic) -> str:
    path = diag.path or (diag.span.file if diag.span else "")
    if diag.span is None:
        return path
    return f"{path}:{diag.span.line}:{diag.span.column}"


def _short(diag: Diagnostic) -> str:
    return f"{_where(diag)}: {diag.severity.value}: {diag.message} [{diag.code}]"


def _caret_line(diag: Diagnostic) -> tuple[str, str]:
    """The source line with tabs expanded, and the caret line under the span."""
    assert diag.span is not None and diag.source_line is not None
    line = diag.source_line
    start = max(diag.span.column - 1, 0)
    if diag.span.end_line == diag.span.line:
        end = max(diag.span.end_column - 1, start + 1)
    else:
        end = max(len(line), start + 1)
    prefix = line[:start].expandtabs()
    marked = line[start:end].expandtabs()
    return line.expandtabs(), " " * len(prefix) + "^" * max(len(marked), 1)


def _pretty(diag: Diagnostic) -> str:
    out = [f"{diag.severity.value}[{diag.code}]: {diag.message}", f"  --> {_where(diag)}"]
    gutter = 3
    if diag.span is not None and diag.source_line is not None:
        number = str(diag.span.line)
        gutter = max(len(number) + 1, 3)
        source, carets = _caret_line(diag)
        pad = " " * gutter
        out.append(f"{pad}|")
        out.append(f"{number.rjust(gutter - 1)} | {source}".rstrip())
        out.append(f"{pad}| {carets}" + (f" {diag.label}" if diag.label else ""))
    elif diag.label:
        out.append(f"{' ' * gutter}= {diag.label}")
    for note in diag.notes:
        where = f" ({note.path or note.span.file}:{note.span.line}:{note.span.column})" if note.span else ""
        out.append(f"{' ' * gutter}= note: {note.message}{where}")
    if diag.hint:
        out.append(f"{' ' * gutter}= help: {diag.hint}")
    return "\n".join(out)


def _as_json(diag: Diagnostic) -> dict[str, object]:
    span = diag.span
    return {
        "code": diag.code,
        "severity": diag.severity.value,
        "message": diag.message,
        "file": diag.path or (span.file if span else None),
        "line": span.line if span else None,
        "column": span.column if span else None,
        "end_line": span.end_line if span else None,
        "end_column": span.end_column if span else None,
        "label": diag.label,
        "hint": diag.hint,
        "notes": [
            {
                "message": n.message,
                "file": n.path or (n.span.file if n.span else None),
                "line": n.span.line if n.span else None,
                "column": n.span.column if n.span else None,
            }
            for n in diag.notes
        ],
    }
