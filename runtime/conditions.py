"""Transition conditions: a safe evaluator for the JavaScript expressions of Botpress flows.

Botpress v12 runs ``try { return <condition> } catch (e) { if (e instanceof TypeError) return
false; throw e }`` with ``event, user, session, temp, bot, workflow`` in scope (botpress-v12.md
§1.5). flowbot parses the expression with Lark (LALR, grammar in ``condition.lark``), compiles the
tree once into Python closures (cached by expression text) and evaluates them with the JS rules
of :mod:`flowbot.runtime.jsvalue`. Nothing is ``eval``-ed and no Python attribute is ever read:
the only reachable things are memory values and the functions of :mod:`flowbot.runtime.jsruntime`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any
from typing import Final

from lark import Lark
from lark import Token
from lark import Transformer
from lark import v_args
from lark.exceptions import UnexpectedCharacters
from lark.exceptions import UnexpectedInput
from lark.exceptions import UnexpectedToken
from lark.exceptions import VisitError

from flowbot.errors import FlowbotError
from flowbot.runtime import jsvalue as js
from flowbot.runtime.jsruntime import JsTypeError
from flowbot.runtime.jsruntime import call
from flowbot.runtime.jsruntime import get_property
from flowbot.runtime.jsruntime import global_names
from flowbot.runtime.jsruntime import property_key

#: The names Botpress declares for every condition; absent from ``variables`` they are ``undefined``.
SCOPES: Final = ("event", "user", "session", "temp", "bot", "workflow")
#: Longer conditions are refused (no flow needs them; they would only cost parse time).
MAX_CONDITION_LENGTH: Final = 10_000
_CACHE_SIZE: Final = 2048

Evaluator = Callable[[Mapping[str, Any]], Any]


class ConditionError(FlowbotError):
    """A condition that cannot run: a syntax error, or a ReferenceError (an unknown name).

    ``column`` is 1-based within the expression when the error has a position.
    """

    def __init__(self, message: str, *, expression: str, column: int | None = None) -> None:
        super().__init__(message)
        self.expression = expression
        self.column = column


class _JsReferenceError(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def evaluate_condition(
    expression: str, variables: Mapping[str, Any], *, last_node: str | None = None
) -> bool:
    """Whether a transition's condition holds, with Botpress's semantics.

    ``variables`` maps the scopes (``event``, ``user``, ``session``, ``temp``, ``bot``,
    ``workflow``) to JSON-like values; a missing key is ``undefined`` and ``None`` is ``null``.
    ``last_node`` is the previous node of the stack trace, for the ``lastNode=<name>`` form.
    A JS TypeError makes the condition false; a syntax error or an unknown name raises
    :class:`ConditionError`.
    """
    if expression == "true":
        return True
    if expression.startswith("lastNode"):
        # Botpress compares the whole instruction with `lastNode=${previous node}`.
        return last_node is not None and expression == f"lastNode={last_node}"
    if not expression.strip():
        return False  # `return ;` gives undefined in Botpress
    evaluator = compile_condition(expression)
    try:
        return js.truthy(evaluator(variables))
    except JsTypeError:
        return False
    except _JsReferenceError as error:
        known = ", ".join(SCOPES)
        message = f"{error.name} is not defined (a condition can use {known} and JS literals)"
        raise ConditionError(f"condition {expression!r}: {message}", expression=expression) from None
    except RecursionError:
        raise ConditionError(
            f"condition {expression!r} is nested too deeply", expression=expression
        ) from None


@functools.lru_cache(maxsize=_CACHE_SIZE)
def compile_condition(expression: str) -> Evaluator:
    """Parses and compiles a condition once; raises :class:`ConditionError` on a syntax error."""
    if len(expression) > MAX_CONDITION_LENGTH:
        raise ConditionError(
            f"condition is {len(expression)} characters long (at most {MAX_CONDITION_LENGTH})",
            expression=expression,
        )
    try:
        tree = _parser().parse(expression)
    except UnexpectedInput as error:
        raise _syntax_error(expression, error) from None
    except RecursionError:
        raise ConditionError(
            f"condition {expression!r} is nested too deeply", expression=expression
        ) from None
    try:
        return _Compiler().transform(tree)
    except VisitError as error:
        message = f"invalid condition {expression!r}: {error.orig_exc}"
        raise ConditionError(message, expression=expression) from None
    except RecursionError:
        raise ConditionError(
            f"condition {expression!r} is nested too deeply", expression=expression
        ) from None


@functools.cache
def _parser() -> Lark:
    return Lark.open("condition.lark", rel_to=__file__, parser="lalr", maybe_placeholders=True)


_TOKEN_NAMES: Final = {"NAME": "a name", "NUMBER": "a number", "STRING": "a string", "$END": "the end"}


def _syntax_error(expression: str, error: UnexpectedInput) -> ConditionError:
    column = getattr(error, "column", None)
    column = column if isinstance(column, int) and column > 0 else None
    if isinstance(error, UnexpectedCharacters):
        found = f"character {error.char!r}"
    elif isinstance(error, UnexpectedToken) and error.token.type != "$END":
        found = repr(str(error.token))
    else:
        found, column = "end of the condition", len(expression) + 1
    where = f" at column {column}" if column else ""
    expected = _describe_expected(getattr(error, "expected", None) or set())
    hint = f"; expected {expected}" if expected else ""
    return ConditionError(
        f"invalid condition {expression!r}: unexpected {found}{where}{hint}",
        expression=expression,
        column=column,
    )


def _describe_expected(names: set[str]) -> str:
    if {"NAME", "NUMBER", "STRING"} <= names:
        return "a value (a name, a number, a string, true, false, null, ( or [)"
    parser = _parser()
    words: list[str] = []
    for name in sorted(names):
        if name in _TOKEN_NAMES:
            words.append(_TOKEN_NAMES[name])
            continue
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            continue
        if pattern.type == "str":
            words.append(repr(pattern.value))
    if len(words) > 8:
        return ""  # a list that long helps nobody
    return ", ".join(sorted(set(words)))


class _NameLookup:
    """A bare identifier (kept apart so that ``typeof x`` can tolerate an undeclared ``x``)."""

    __slots__ = ("_global", "ident")

    def __init__(self, ident: str) -> None:
        self.ident = ident
        self._global = global_names().get(ident, _MISSING)

    def __call__(self, variables: Mapping[str, Any]) -> Any:
        value = variables.get(self.ident, _MISSING)
        if value is not _MISSING:
            return value
        if self.ident in SCOPES:
            return js.UNDEFINED
        if self._global is not _MISSING:
            return self._global
        raise _JsReferenceError(self.ident)


_MISSING: Final = object()

_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])")
_SIMPLE_ESCAPES: Final = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_LINE_CONTINUATIONS: Final = {"\n", "\r", "\r\n", "\u2028", "\u2029"}


def _unescape(body: str) -> str:
    def replace(match: re.Match[str]) -> str:
        escape = match.group(1)
        if escape[0] in "ux" and len(escape) > 1:
            return chr(int(escape.strip("ux{}"), 16))
        if escape in _LINE_CONTINUATIONS:
            return ""
        return _SIMPLE_ESCAPES.get(escape, escape)

    text = _ESCAPE.sub(replace, body)
    try:
        # Pairs of \uD83D\uDE00 escapes are one character, as in JS.
        return text.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        return text


def _constant(value: Any) -> Evaluator:
    return lambda variables: value


def _binary(operation: Callable[[Any, Any], Any], left: Evaluator, right: Evaluator) -> Evaluator:
    return lambda variables: operation(left(variables), right(variables))


@v_args(inline=True)
class _Compiler(Transformer[Token, Evaluator]):
    """Turns the parse tree into nested closures, one per node (rule aliases name the methods)."""

    def number(self, token: Token) -> Evaluator:
        return _constant(js.to_number(str(token)))

    def string(self, token: Token) -> Evaluator:
        return _constant(_unescape(str(token)[1:-1]))

    def true(self) -> Evaluator:
        return _constant(True)

    def false(self) -> Evaluator:
        return _constant(False)

    def null(self) -> Evaluator:
        return _constant(None)

    def name(self, token: Token) -> Evaluator:
        return _NameLookup(str(token))

    def member(self, target: Evaluator, name: Token) -> Evaluator:
        key = str(name)
        return lambda variables: get_property(target(variables), key)

    def index(self, target: Evaluator, key: Evaluator) -> Evaluator:
        return lambda variables: get_property(target(variables), property_key(key(variables)))

    def arguments(self, *items: Evaluator) -> list[Evaluator]:
        return list(items)

    def array(self, items: list[Evaluator] | None) -> Evaluator:
        elements = items or []
        # A fresh list per evaluation: JS array literals are distinct objects.
        return lambda variables: [element(variables) for element in elements]

    def call(self, callee: Evaluator, arguments: list[Evaluator] | None) -> Evaluator:
        argument_list = arguments or []
        description = callee.ident if isinstance(callee, _NameLookup) else "the called value"

        def run(variables: Mapping[str, Any]) -> Any:
            function = callee(variables)
            return call(function, [argument(variables) for argument in argument_list], description)

        return run

    def conditional(self, test: Evaluator, then: Evaluator, otherwise: Evaluator) -> Evaluator:
        return lambda variables: then(variables) if js.truthy(test(variables)) else otherwise(variables)

    def or_(self, left: Evaluator, right: Evaluator) -> Evaluator:
        def run(variables: Mapping[str, Any]) -> Any:
            value = left(variables)
            return value if js.truthy(value) else right(variables)

        return run

    def and_(self, left: Evaluator, right: Evaluator) -> Evaluator:
        def run(variables: Mapping[str, Any]) -> Any:
            value = left(variables)
            return right(variables) if js.truthy(value) else value

        return run

    def not_(self, operand: Evaluator) -> Evaluator:
        return lambda variables: not js.truthy(operand(variables))

    def negate(self, operand: Evaluator) -> Evaluator:
        return lambda variables: js.arithmetic("-", 0, operand(variables))

    def plus(self, operand: Evaluator) -> Evaluator:
        return lambda variables: js.to_number(operand(variables))

    def typeof(self, operand: Evaluator) -> Evaluator:
        def run(variables: Mapping[str, Any]) -> str:
            try:
                return js.typeof(operand(variables))
            except _JsReferenceError:
                if isinstance(operand, _NameLookup):
                    return "undefined"  # typeof never throws for an undeclared name
                raise

        return run

    def strict_equal(self, left: Evaluator, right: Evaluator) -> Evaluator:
        return _binary(js.strict_equals, left, right)

    def strict_not_equal(self, left: Evaluator, right: Evaluator) -> Evaluator:
        return _binary(lambda a, b: not js.strict_equals(a, b), left, right)

    def loose_equal(self, left: Evaluator, right: Evaluator) -> Evaluator:
        return _binary(js.loose_equals, left, right)

    def loose_not_equal(self, left: Evaluator, right: Evaluator) -> Evaluator:
        return _binary(lambda a, b: not js.loose_equals(a, b), left, right)

    def less(self, left: Evaluator, right: Evaluator) -> Evaluator:
        return _binary(lambda a, b: js.compare("<", a, b), left, right)

    def less_equal(self, left: Evaluator, right: Evaluator) -> Evaluator:
        return _binary(lambda a, b: js.compare("<=", a, b), left, right)

    def greater(self, left: Evaluator, right: Evaluator) -> Evaluator:
        return _binary(lambda a, b: js.compare(">", a, b), left, right)

    def greater_equal(self, left: Evaluator, right: Evaluator) -> Evaluator:
        return _binary(lambda a, b: js.compare(">=", a, b), left, right)

    def add(self, left: Evaluator, right: Evaluator) -> Evaluator:
        return _binary(js.add, left, right)

    def subtract(self, left: Evaluator, right: Evaluator) -> Evaluator:
        return _binary(lambda a, b: js.arithmetic("-", a, b), left, right)

    def multiply(self, left: Evaluator, right: Evaluator) -> Evaluator:
        return _binary(lambda a, b: js.arithmetic("*", a, b), left, right)

    def divide(self, left: Evaluator, right: Evaluator) -> Evaluator:
        return _binary(lambda a, b: js.arithmetic("/", a, b), left, right)

    def remainder(self, left: Evaluator, right: Evaluator) -> Evaluator:
        return _binary(lambda a, b: js.arithmetic("%", a, b), left, right)
