"""The JavaScript objects a condition can reach: properties, a few methods and global functions.

Only what is listed here exists. Property access reads dict keys, list items and string
characters; it never calls :func:`getattr` on a Python object, so ``temp.__class__`` is just a
missing key. Errors that JavaScript reports as a ``TypeError`` (reading a property of
``undefined``, calling something that is not a function) raise :class:`JsTypeError`, which the
condition evaluator turns into ``false`` as Botpress does.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any
from typing import Final
from types import MappingProxyType

from flowbot.runtime.jsvalue import UNDEFINED
from flowbot.runtime.jsvalue import is_number
from flowbot.runtime.jsvalue import normalize_number
from flowbot.runtime.jsvalue import strict_equals
from flowbot.runtime.jsvalue import to_number
from flowbot.runtime.jsvalue import to_string
from flowbot.runtime.jsvalue import truthy
from flowbot.runtime.jsvalue import utf16_length


class JsTypeError(Exception):
    """A JavaScript TypeError; conditions that raise it evaluate to false."""


class JsFunction:
    """A callable JavaScript value: a global function or a method bound to its receiver."""

    __slots__ = ("_impl", "name")

    def __init__(self, name: str, impl: Callable[[list[Any]], Any]) -> None:
        self.name = name
        self._impl = impl

    def __call__(self, args: list[Any]) -> Any:
        return self._impl(args)

    def __repr__(self) -> str:
        return f"function {self.name}() {{ [native code] }}"


_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]{0,9}")


def property_key(value: Any) -> str:
    """JS ToPropertyKey: ``a[0]`` and ``a["0"]`` read the same property."""
    return to_string(value)


def get_property(target: Any, key: str) -> Any:
    """``target[key]`` with JS semantics on JSON-like values; a TypeError on null/undefined."""
    if type(target) is dict or (isinstance(target, Mapping) and target is not None):
        value = target.get(key, UNDEFINED)
        # An own key wins over Object.prototype's methods, as in JS.
        return _method(target, key, _OBJECT_METHODS) if value is UNDEFINED else value
    if target is None or target is UNDEFINED:
        raise JsTypeError(f"Cannot read properties of {to_string(target)} (reading '{key}')")
    if isinstance(target, (list, tuple)):
        return _list_property(target, key)
    if isinstance(target, str):
        return _string_property(target, key)
    if is_number(target) or isinstance(target, bool):
        return _method(target, key, _PRIMITIVE_METHODS)
    return UNDEFINED


def _list_property(target: list[Any] | tuple[Any, ...], key: str) -> Any:
    if key == "length":
        return len(target)
    if _ARRAY_INDEX.fullmatch(key):
        index = int(key)
        return target[index] if index < len(target) else UNDEFINED
    return _method(target, key, _ARRAY_METHODS)


def _string_property(target: str, key: str) -> Any:
    if key == "length":
        return utf16_length(target)
    if _ARRAY_INDEX.fullmatch(key):
        units = target if target.isascii() else _utf16_units(target)
        index = int(key)
        return units[index] if index < len(units) else UNDEFINED
    return _method(target, key, _STRING_METHODS)


def _utf16_units(text: str) -> str:
    # Astral characters become two surrogate "characters", as JS indexes strings.
    data = text.encode("utf-16-le")
    return "".join(data[i : i + 2].decode("utf-16-le", "surrogatepass") for i in range(0, len(data), 2))


def _method(target: Any, key: str, table: Mapping[str, Callable[..., Any]]) -> Any:
    impl = table.get(key)
    if impl is None:
        return UNDEFINED
    return JsFunction(key, lambda args: impl(target, args))


def call(function: Any, args: list[Any], description: str) -> Any:
    """Calls a JS function value; anything else is a TypeError ("x is not a function")."""
    if not isinstance(function, JsFunction):
        raise JsTypeError(f"{description} is not a function")
    return function(args)


def _arg(args: list[Any], index: int) -> Any:
    return args[index] if index < len(args) else UNDEFINED


def _position(args: list[Any], index: int, default: int) -> int:
    value = _arg(args, index)
    if value is UNDEFINED:
        return default
    number = to_number(value)
    if number != number:
        return 0
    return max(0, int(min(number, 2**31)))


def _string_includes(target: str, args: list[Any]) -> bool:
    return to_string(_arg(args, 0)) in target[_position(args, 1, 0) :]


def _string_starts_with(target: str, args: list[Any]) -> bool:
    return target.startswith(to_string(_arg(args, 0)), _position(args, 1, 0))


def _string_ends_with(target: str, args: list[Any]) -> bool:
    return target[: _position(args, 1, len(target))].endswith(to_string(_arg(args, 0)))


def _string_index_of(target: str, args: list[Any]) -> int:
    return target.find(to_string(_arg(args, 0)), min(_position(args, 1, 0), len(target)))


_STRING_METHODS: Final[Mapping[str, Callable[[str, list[Any]], Any]]] = {
    "includes": _string_includes,
    "startsWith": _string_starts_with,
    "endsWith": _string_ends_with,
    "indexOf": _string_index_of,
    "toLowerCase": lambda target, args: target.lower(),
    "toUpperCase": lambda target, args: target.upper(),
    "trim": lambda target, args: target.strip(),
    "toString": lambda target, args: target,
}


def _same_value_zero(left: Any, right: Any) -> bool:
    if is_number(left) and is_number(right) and left != left and right != right:
        return True
    return strict_equals(left, right)


def _array_includes(target: list[Any], args: list[Any]) -> bool:
    needle = _arg(args, 0)
    return any(_same_value_zero(item, needle) for item in target[_position(args, 1, 0) :])


def _array_index_of(target: list[Any], args: list[Any]) -> int:
    needle = _arg(args, 0)
    start = _position(args, 1, 0)
    for index in range(start, len(target)):
        if strict_equals(target[index], needle):
            return index
    return -1


def _array_join(target: list[Any], args: list[Any]) -> str:
    separator = _arg(args, 0)
    glue = "," if separator is UNDEFINED else to_string(separator)
    return glue.join("" if item is None or item is UNDEFINED else to_string(item) for item in target)


_ARRAY_METHODS: Final[Mapping[str, Callable[[list[Any], list[Any]], Any]]] = {
    "includes": _array_includes,
    "indexOf": _array_index_of,
    "join": _array_join,
    "toString": lambda target, args: to_string(target),
}

_OBJECT_METHODS: Final[Mapping[str, Callable[[Mapping[str, Any], list[Any]], Any]]] = {
    "hasOwnProperty": lambda target, args: property_key(_arg(args, 0)) in target,
    "toString": lambda target, args: "[object Object]",
}

_PRIMITIVE_METHODS: Final[Mapping[str, Callable[[Any, list[Any]], Any]]] = {
    "toString": lambda target, args: to_string(target),
}


_FLOAT_PREFIX = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _parse_int(args: list[Any]) -> int | float:
    text = to_string(_arg(args, 0)).lstrip()
    radix_value = to_number(_arg(args, 1)) if _arg(args, 1) is not UNDEFINED else 0
    radix = 0 if radix_value != radix_value or math.isinf(radix_value) else int(radix_value)
    sign = -1 if text.startswith("-") else 1
    text = text[1:] if text[:1] in "+-" else text
    if radix in (0, 16) and text[:2].lower() == "0x":
        text, radix = text[2:], 16
    radix = radix or 10
    if not 2 <= radix <= 36:
        return math.nan
    valid = _DIGITS[:radix]
    digits = ""
    for char in text:
        if char.lower() not in valid:
            break
        digits += char
    if not digits:
        return math.nan
    significant = digits.lstrip("0") or "0"
    if (len(significant) - 1) * math.log2(radix) > 1024:
        return sign * math.inf  # beyond the largest double, as JS gives
    return normalize_number(sign * int(significant, radix))


def _parse_float(args: list[Any]) -> int | float:
    match = _FLOAT_PREFIX.match(to_string(_arg(args, 0)).lstrip())
    if not match:
        return math.nan
    return to_number(match.group(0))


def _global_functions() -> dict[str, JsFunction]:
    return {
        "Number": JsFunction("Number", lambda args: to_number(args[0]) if args else 0),
        "String": JsFunction("String", lambda args: to_string(args[0]) if args else ""),
        "Boolean": JsFunction("Boolean", lambda args: truthy(_arg(args, 0))),
        "isNaN": JsFunction("isNaN", lambda args: to_number(_arg(args, 0)) != to_number(_arg(args, 0))),
        "parseInt": JsFunction("parseInt", _parse_int),
        "parseFloat": JsFunction("parseFloat", _parse_float),
    }


@functools.cache
def global_names() -> Mapping[str, Any]:
    """The global identifiers a condition may use besides the memory scopes (read-only)."""
    return MappingProxyType(
        {"undefined": UNDEFINED, "NaN": math.nan, "Infinity": math.inf, **_global_functions()}
    )
