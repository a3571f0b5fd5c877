"""Checking the Jinja2 templates inside strings at compile time.

A syntax error is reported at the tag that fails, inside the string, at its file:line:col; a
variable that is not a memory scope (``{{ tmp.x }}``) is reported as an unknown scope.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Iterator

import jinja2
import jinja2.meta
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

from flowbot.compiler.diagnostics import Diagnostic
from flowbot.compiler.diagnostics import Span
from flowbot.compiler.ir import Text
from flowbot.compiler.messages import backticks
from flowbot.compiler.messages import diag
from flowbot.compiler.messages import did_you_mean
from flowbot.compiler.strings import find_in_raw
from flowbot.compiler.strings import span_at

TEMPLATE_SCOPES = ("bot", "user", "session", "temp", "event")
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_OPEN = re.compile(r"\{\{|\{%|\{#")
_EXPR = re.compile(r"\{\{.*?\}\}", re.DOTALL)


class TemplateChecker:
    """Holds one Jinja2 environment for a compilation (creating one per string would be slow)."""

    def __init__(self) -> None:
        self.env = SandboxedEnvironment()
        self._globals = set(self.env.globals)
        self._cache: dict[str, tuple[str | None, frozenset[str]]] = {}

    def check(self, text: Text) -> list[Diagnostic]:
        if "{" not in text.value:
            return []
        return self.check_source(text.value, text.raw, text.span)

    def check_source(self, source: str, raw: str, span: Span) -> list[Diagnostic]:
        """Check ``source`` (the decoded string) written as ``raw`` at ``span``."""
        if "{%" in source or "{#" in source or "{{" in _EXPR.sub("", source):
            return self._check_whole(source, raw, span)
        out: list[Diagnostic] = []
        for match in _EXPR.finditer(source):
            tag = match.group(0)
            error, names = self._expression(tag)
            if error is not None:
                where = find_in_raw(raw, span, tag, source.count("\n", 0, match.start()) + 1) or span
                out.append(diag("E109", where, detail=error))
            else:
                out.extend(self._unknown_names(names, raw, span))
        return out

    def _expression(self, tag: str) -> tuple[str | None, frozenset[str]]:
        """(error message, variable names) of one ``{{ expression }}``, cached: bots repeat them."""
        cached = self._cache.get(tag)
        if cached is None:
            try:
                ast = self.env.parse(tag)
                names = frozenset(n.name for n in ast.find_all(nodes.Name) if n.ctx == "load")
                cached = (None, names)
            except jinja2.TemplateSyntaxError as exc:
                cached = (exc.message or "syntax error", frozenset())
            except RecursionError:
                cached = ("the expression is nested too deeply", frozenset())
            self._cache[tag] = cached
        return cached

    def _check_whole(self, source: str, raw: str, span: Span) -> list[Diagnostic]:
        try:
            ast = self.env.parse(source)
        except jinja2.TemplateSyntaxError as exc:
            return [self._syntax_error(exc, source, raw, span)]
        except RecursionError:
            return [diag("E109", span, detail="the template is nested too deeply")]
        return list(self._unknown_names(jinja2.meta.find_undeclared_variables(ast), raw, span))

    def _unknown_names(self, names: Iterable[str], raw: str, span: Span) -> Iterator[Diagnostic]:
        for name in sorted(set(names) - self._globals - set(TEMPLATE_SCOPES)):
            yield diag(
                "E104",
                _find_name(raw, span, name),
                name=name,
                scopes=backticks(TEMPLATE_SCOPES),
                hint=did_you_mean(name, TEMPLATE_SCOPES),
            )

    def _syntax_error(self, exc: jinja2.TemplateSyntaxError, source: str, raw: str, span: Span) -> Diagnostic:
        lines = source.split("\n")
        line_no = min(max(exc.lineno, 1), len(lines))
        where = self._failing_tag(lines[line_no - 1], line_no, raw, span)
        detail = exc.message or "syntax error"
        return diag("E109", where or span, detail=detail)

    def _failing_tag(self, line: str, line_no: int, raw: str, span: Span) -> Span | None:
        """The first tag of the line that does not parse on its own, else an unclosed opener."""
        for match in _TAG.finditer(line):
            tag = match.group(0)
            if tag.startswith("{{") and not self._parses(tag):
                return find_in_raw(raw, span, tag, line_no)
        closed_end = 0
        for match in _TAG.finditer(line):
            closed_end = match.end()
        opener = _OPEN.search(line, closed_end)
        if opener is not None:
            return find_in_raw(raw, span, line[opener.start() :], line_no)
        block = re.search(r"\{%.*?%\}", line)
        if block is not None:
            return find_in_raw(raw, span, block.group(0), line_no)
        return None

    def _parses(self, tag: str) -> bool:
        try:
            self.env.parse(tag)
            return True
        except jinja2.TemplateSyntaxError:
            return False


def _find_name(raw: str, span: Span, name: str) -> Span:
    match = re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", raw)
    return span if match is None else span_at(raw, span, match.start(), len(name))
