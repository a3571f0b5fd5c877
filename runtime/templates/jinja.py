"""Jinja2 for bots compiled from the flowbot DSL, inside Jinja's immutable sandbox.

Templates are compiled once per renderer (bounded LRU). A missing memory value renders ``""``
(also through chains such as ``user.profile.name``), ``None`` renders ``""`` too, and autoescape
is off because chat text is not HTML. Reading an unsafe attribute (``__class__``, ``mro`` ...)
or calling a mutating method (``list.append``) raises :class:`TemplateError`, as does any other
runtime error; no traceback reaches the caller.

``render_value`` returns the native value of a template that is exactly one ``{{ expression }}``
(``{{ session.count + 1 }}`` gives the number 3), the way ``jinja2.nativetypes`` does, but in
the sandbox and without re-parsing strings (a string value stays a string).
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from itertools import islice
from types import TracebackType
from typing import Any
from typing import Final
from typing import NamedTuple

from jinja2 import ChainableUndefined
from jinja2 import Template
from jinja2 import TemplateSyntaxError
from jinja2 import Undefined
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.nativetypes import NativeCodeGenerator
from jinja2.sandbox import ImmutableSandboxedEnvironment

from flowbot.runtime.templates.base import BoundedCache
from flowbot.runtime.templates.base import TemplateError

_TEMPLATE_FILENAME: Final = "<template>"


def _finalize(value: Any) -> Any:
    return "" if value is None else value


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, where an unsafe attribute is an error rather than a silent ``""``."""

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe")


def _single_value(values: Iterator[Any]) -> Any:
    """``concat`` of the native environment: the one value itself, else the joined text."""
    head = list(islice(values, 2))
    if len(head) == 1:
        return head[0]
    return "".join(str(value) for value in [*head, *values])


class _NativeSandbox(_Sandbox):
    code_generator_class = NativeCodeGenerator
    concat = staticmethod(_single_value)  # type: ignore[assignment]


def _new_environment(environment_class: type[_Sandbox]) -> _Sandbox:
    # Text output prints None as "" (the native one keeps None: memory can hold null).
    finalize = _finalize if environment_class is _Sandbox else None
    return environment_class(
        autoescape=False,
        undefined=ChainableUndefined,
        finalize=finalize,
        keep_trailing_newline=True,
    )


class _Expression(NamedTuple):
    """A template seen as one expression: a native template, a constant, or neither."""

    template: Template | None = None
    constant: Any = None
    is_constant: bool = False


class JinjaRenderer:
    """Renders compiled bots' templates with Jinja2 in a sandbox."""

    def __init__(self, cache_size: int = 2048) -> None:
        self._environment = _new_environment(_Sandbox)
        self._native_environment = _new_environment(_NativeSandbox)
        self._templates: BoundedCache[Template] = BoundedCache(cache_size)
        self._expressions: BoundedCache[_Expression] = BoundedCache(cache_size)

    def render(self, template: str, variables: Mapping[str, Any]) -> str:
        if "{" not in template:
            return template  # no tag, nothing to render: skip the compile
        compiled = self._templates.get(template)
        if compiled is None:
            compiled = self._templates.put(template, self._compile(self._environment, template))
        return str(self._run(compiled, variables))

    def render_value(self, template: str, variables: Mapping[str, Any]) -> Any:
        entry = self._expressions.get(template)
        if entry is None:
            entry = self._expressions.put(template, self._compile_expression(template))
        if entry.template is not None:
            return _json_like(self._run(entry.template, variables), top_level=True)
        if entry.is_constant:
            return _json_like(entry.constant, top_level=True)
        return self.render(template, variables)

    def _compile_expression(self, template: str) -> _Expression:
        """How to get the native value of ``template`` when it is one ``{{ expression }}``."""
        if "{{" not in template:
            return _Expression()
        tree = _parse(self._environment, template)
        if not (len(tree.body) == 1 and isinstance(tree.body[0], nodes.Output)):
            return _Expression()
        children = tree.body[0].nodes
        if len(children) != 1 or isinstance(children[0], nodes.TemplateData):
            return _Expression()
        try:
            # Jinja folds constant output into text; keep a constant's own value instead.
            constant = children[0].as_const(nodes.EvalContext(self._native_environment))
        except Exception:  # nodes.Impossible, or an error the template raises at run time
            return _Expression(template=self._compile(self._native_environment, template))
        return _Expression(constant=constant, is_constant=True)

    @staticmethod
    def _compile(environment: _Sandbox, template: str) -> Template:
        try:
            return environment.from_string(template)
        except TemplateSyntaxError as error:
            raise TemplateError(f"invalid Jinja2 template: {error.message}", line=error.lineno) from None

    @staticmethod
    def _run(compiled: Template, variables: Mapping[str, Any]) -> Any:
        try:
            return compiled.render(variables)
        except Exception as error:  # anything a template does wrong is the template's error
            kind = "not allowed" if isinstance(error, SecurityError) else "failed"
            line = _template_line(error.__traceback__)
            raise TemplateError(f"Jinja2 template {kind}: {error}", line=line) from None


def _parse(environment: _Sandbox, template: str) -> nodes.Template:
    try:
        return environment.parse(template)
    except TemplateSyntaxError as error:
        raise TemplateError(f"invalid Jinja2 template: {error.message}", line=error.lineno) from None


def _template_line(traceback: TracebackType | None) -> int | None:
    """The template line where a runtime error happened (Jinja rewrites frames to template lines)."""
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == _TEMPLATE_FILENAME:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def _json_like(value: Any, *, top_level: bool = False) -> Any:
    """A value memory can store: JSON types as they are, tuples as lists, undefined as ``""``
    at the top (what ``render`` prints) and ``None`` inside containers, anything else as text."""
    if isinstance(value, Undefined):
        return "" if top_level else None
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_json_like(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _json_like(item) for key, item in value.items()}
    return str(value)
