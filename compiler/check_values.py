"""Value checks: templates (Jinja2 syntax, memory scopes), Call API URLs and methods, entity
patterns, languages, and the bot's Python actions and hooks (syntax, ``async def run``)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from flowbot.compiler import ir
from flowbot.compiler.diagnostics import Diagnostic
from flowbot.compiler.diagnostics import Span
from flowbot.compiler.messages import backticks
from flowbot.compiler.messages import diag
from flowbot.compiler.messages import did_you_mean
from flowbot.compiler.symbols import HOOKS
from flowbot.compiler.symbols import Symbols
from flowbot.compiler.templates import TemplateChecker
from flowbot.compiler.walk import step_templates

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def check_values(program: ir.Program, symbols: Symbols) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    templates = TemplateChecker()
    for flow in symbols.flows.values():
        for node in symbols.nodes[flow.name.value].values():
            for step in node.steps:
                out.extend(_check_templates(step, templates))
                if isinstance(step, ir.CallStep):
                    out.extend(_check_call(step))
    for qna in symbols.qnas.values():
        for answer in qna.answers:
            if "{" in answer.value:
                out.extend(templates.check_source(answer.value, answer.value, answer.span))
    for entity in symbols.entities.values():
        out.extend(_check_entity(entity))
    if program.bot is not None:
        out.extend(_check_languages(program.bot))
    for code in program.actions:
        out.extend(_check_python(code, "action"))
    for code in program.hooks:
        if code.name not in HOOKS:
            span = Span(file=code.path, line=1, column=1, end_line=1, end_column=2)
            out.append(diag("W005", span, name=code.name, hooks=backticks(HOOKS), hint=did_you_mean(code.name, HOOKS)))
        out.extend(_check_python(code, "hook"))
    return out


def _check_templates(step: ir.Step, templates: TemplateChecker) -> Iterator[Diagnostic]:
    for item in step_templates(step):
        if item.__class__ is ir.TemplateValue:
            yield from templates.check_source(item.source, item.source, item.span)
        else:
            yield from templates.check(item)


def _check_call(step: ir.CallStep) -> Iterator[Diagnostic]:
    method = step.method.value
    if method.upper() not in METHODS:
        yield diag("E111", step.method.span, method=method, hint=did_you_mean(method.upper(), METHODS))
    reason = url_problem(step.url.value)
    if reason is not None:
        yield diag("E110", step.url.span, url=step.url.value, reason=reason)


def url_problem(url: str) -> str | None:
    """Why a call URL is invalid, or None. Templated parts count as valid text."""
    if url.lstrip().startswith(("{{", "{%")):
        return None  # the whole base comes from memory: checked at run time
    concrete = _TAG.sub("x", url)
    if concrete != concrete.strip() or any(ch.isspace() for ch in concrete):
        return "a URL cannot contain spaces (encode them as %20)"
    try:
        parts = urlsplit(concrete)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"not a URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return "the URL must start with http:// or https://"
    if not parts.hostname:
        return "the URL has no host name"
    return None


def _check_entity(entity: ir.EntityDecl) -> Iterator[Diagnostic]:
    if entity.pattern is not None:
        try:
            re.compile(entity.pattern.value)
        except re.error as exc:
            yield diag("E116", entity.pattern.span, detail=str(exc))
    if entity.type == "list" and not entity.occurrences:
        yield diag("E115", entity.name.span, what="list entity", value=entity.name.value, expected="it has no values")


def _check_languages(bot: ir.BotDecl) -> Iterator[Diagnostic]:
    seen: set[str] = set()
    for language in bot.languages:
        if not _LANGUAGE.match(language.value):
            yield diag(
                "E115", language.span, what="language", value=language.value,
                expected="a language code such as `en` or `fr`",
            )
        elif language.value in seen:
            yield diag("E103", language.span, kind="language", name=language.value, where="")
        seen.add(language.value)


def _check_python(code: ir.CodeFile, kind: str) -> Iterator[Diagnostic]:
    try:
        module = ast.parse(code.text, filename=code.path)
    except (RecursionError, MemoryError):
        span = Span(file=code.path, line=1, column=1, end_line=1, end_column=2)
        yield diag("E117", span, kind=kind, file=code.path, detail="the code is nested too deeply to read")
        return
    except SyntaxError as exc:
        line = exc.lineno or 1
        column = exc.offset or 1
        span = Span(file=code.path, line=line, column=column, end_line=line, end_column=column + 1)
        yield diag("E117", span, kind=kind, file=code.path, detail=exc.msg)
        return
    has_run = any(isinstance(node, ast.AsyncFunctionDef) and node.name == "run" for node in module.body)
    if not has_run:
        sync_run = next((n for n in module.body if isinstance(n, ast.FunctionDef) and n.name == "run"), None)
        line = sync_run.lineno if sync_run is not None else 1
        span = Span(file=code.path, line=line, column=1, end_line=line, end_column=2)
        detail = "`run` must be `async def`" if sync_run is not None else "no `async def run(...)` at the top level"
        yield diag("E117", span, kind=kind, file=code.path, detail=detail,
                   hint="the runtime calls `async def run(...)`, passing the parameters it declares (event, temp, args...)")
