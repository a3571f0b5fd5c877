"""JavaScript value semantics over JSON-like Python values.

Botpress evaluates transition conditions as JavaScript and renders templates with mustache.js, so
both flowbot's condition evaluator and its Mustache renderer need the JS rules for truthiness,
``String(x)``, ``Number(x)``, ``==`` / ``===`` and ``<``. Values are what memory holds: ``dict``,
``list``, ``str``, ``int``, ``float``, ``bool`` and ``None`` (JS ``null``); :data:`UNDEFINED` stands
for JS ``undefined`` (a missing key). Anything else is treated as an opaque JS object.

References: ECMA-262 §7.1 (type conversion) and §7.2.14-15 (equality); the operations here are
the subset that conditions and templates reach.
"""

from __future__ import annotations

import math
import re
from typing import Any
from typing import Final


class _Undefined:
    """The type of :data:`UNDEFINED`; falsy, and unequal to everything but itself."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "undefined"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Final = _Undefined()

# Integers beyond 2**53 are not exact in JS; results past it become doubles, as in JS.
_MAX_SAFE: Final = 2**53
# JS whitespace for String->Number trimming (WhiteSpace and LineTerminator, ECMA-262 §12.2-12.3).
_JS_SPACE: Final = (
    " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_PRIMITIVE_TYPES: Final = frozenset({str, int, float, bool})
_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_RADIX = re.compile(r"0([xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")


def is_number(value: Any) -> bool:
    """True for JS numbers (Python ``bool`` is an ``int`` subclass but a JS boolean)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_object(value: Any) -> bool:
    """True for what ``typeof`` calls "object" apart from ``null``: dicts, lists and opaque values."""
    return not (value is None or value is UNDEFINED or isinstance(value, (str, bool, int, float)))


def typeof(value: Any) -> str:
    """JS ``typeof``."""
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if callable(value):
        return "function"
    return "object"


def truthy(value: Any) -> bool:
    """JS ToBoolean: ``{}`` and ``[]`` are true, ``""``, ``0``, ``NaN``, null and undefined false."""
    if value is None or value is UNDEFINED:
        return False
    if isinstance(value, (str, bool)):
        return bool(value)
    if isinstance(value, (int, float)):
        return value != 0 and value == value
    return True


def normalize_number(value: int | float) -> int | float:
    """Keeps exact integers while JS would; past 2**53 a JS number is a double."""
    if isinstance(value, int) and abs(value) > _MAX_SAFE:
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    return value


def to_number(value: Any) -> int | float:
    """JS ToNumber (``Number(x)``)."""
    if value is UNDEFINED:
        return math.nan
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return normalize_number(value)
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return _string_to_number(value)
    return to_number(to_primitive(value))


def _string_to_number(text: str) -> int | float:
    text = text.strip(_JS_SPACE)
    if not text:
        return 0
    if _DECIMAL.fullmatch(text):
        if text.lstrip("+-") == "Infinity":
            return -math.inf if text.startswith("-") else math.inf
        number = float(text)
        if number.is_integer() and abs(number) <= _MAX_SAFE:
            return int(number)
        return number
    match = _RADIX.fullmatch(text)
    if match:
        return normalize_number(int(match.group(0), 0))
    return math.nan


def to_primitive(value: Any) -> Any:
    """JS ToPrimitive for our objects: an array joins its items, any other object is
    ``"[object Object]"``; primitives are returned unchanged."""
    if value is None or type(value) in _PRIMITIVE_TYPES:
        return value
    if isinstance(value, (list, tuple)):
        return to_string(value)
    if is_object(value):
        return "[object Object]"
    return value


def to_string(value: Any) -> str:
    """JS ``String(x)``: ``true``, ``1`` for ``1.0``, ``1,2`` for ``[1, 2]``, ``[object Object]``."""
    if isinstance(value, str):
        return value
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number_to_string(value)
    if isinstance(value, (list, tuple)):
        # Array.prototype.join: null and undefined items are empty strings.
        return ",".join("" if item is None or item is UNDEFINED else to_string(item) for item in value)
    if callable(value):
        return "function () { [native code] }"
    return "[object Object]"


def number_to_string(value: int | float) -> str:
    """ECMA-262 Number::toString: shortest round-trip digits, exponent outside [1e-7, 1e21)."""
    if isinstance(value, int):
        if abs(value) <= _MAX_SAFE:
            return str(value)
        value = normalize_number(value)
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    if value < 0:
        return "-" + number_to_string(-value)
    digits, exponent = _shortest_digits(value)
    k, n = len(digits), exponent
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    sign = "+" if n - 1 >= 0 else "-"
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{mantissa}e{sign}{abs(n - 1)}"


def _shortest_digits(value: float) -> tuple[str, int]:
    """The digits ``s`` and exponent ``n`` with value = 0.s x 10**n, from Python's shortest repr."""
    mantissa, _, exp_text = repr(value).partition("e")
    exponent = int(exp_text) if exp_text else 0
    whole, _, fraction = mantissa.partition(".")
    if fraction == "0":
        fraction = ""
    digits = (whole + fraction).lstrip("0")
    leading_zeros = len(whole + fraction) - len((whole + fraction).lstrip("0"))
    n = len(whole) + exponent - leading_zeros
    return digits.rstrip("0"), n


def strict_equals(left: Any, right: Any) -> bool:
    """JS ``===``: same type and value; objects are equal only to themselves."""
    if is_number(left) and is_number(right):
        return left == right
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    if left is None or left is UNDEFINED or right is None or right is UNDEFINED:
        return left is right
    if is_number(left) or is_number(right) or isinstance(left, str) or isinstance(right, str):
        return False
    return left is right


def loose_equals(left: Any, right: Any) -> bool:
    """JS ``==`` (IsLooselyEqual): ``"3" == 3``, ``null == undefined``, ``true == 1``."""
    if typeof(left) == typeof(right) and (left is None) == (right is None):
        return strict_equals(left, right)
    nullish_left = left is None or left is UNDEFINED
    nullish_right = right is None or right is UNDEFINED
    if nullish_left or nullish_right:
        return nullish_left and nullish_right
    if isinstance(left, bool):
        return loose_equals(int(left), right)
    if isinstance(right, bool):
        return loose_equals(left, int(right))
    if is_number(left) and isinstance(right, str):
        return left == to_number(right)
    if isinstance(left, str) and is_number(right):
        return to_number(left) == right
    if is_object(left) and not is_object(right):
        return loose_equals(to_primitive(left), right)
    if is_object(right) and not is_object(left):
        return loose_equals(left, to_primitive(right))
    return False


def less_than(left: Any, right: Any) -> bool | None:
    """JS IsLessThan: strings compare by UTF-16 code units, anything else as numbers;
    ``None`` means "undefined" (a NaN was involved), which makes every comparison false."""
    left, right = to_primitive(left), to_primitive(right)
    if isinstance(left, str) and isinstance(right, str):
        if _has_astral(left) or _has_astral(right):
            return left.encode("utf-16-be", "surrogatepass") < right.encode("utf-16-be", "surrogatepass")
        return left < right
    left_number, right_number = to_number(left), to_number(right)
    if left_number != left_number or right_number != right_number:
        return None
    return left_number < right_number


def compare(operator: str, left: Any, right: Any) -> bool:
    """JS ``<``, ``>``, ``<=``, ``>=`` (``x <= undefined`` is false, ``"10" > 9`` is true)."""
    if operator == "<":
        return less_than(left, right) is True
    if operator == ">":
        return less_than(right, left) is True
    if operator == "<=":
        return less_than(right, left) is False
    return less_than(left, right) is False


def _has_astral(text: str) -> bool:
    return not text.isascii() and max(text) >= "\U00010000"


def utf16_length(text: str) -> int:
    """JS ``string.length``: UTF-16 code units (an emoji counts 2)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def add(left: Any, right: Any) -> Any:
    """JS ``+``: concatenation when either primitive is a string, numeric addition otherwise."""
    left, right = to_primitive(left), to_primitive(right)
    if isinstance(left, str) or isinstance(right, str):
        return to_string(left) + to_string(right)
    return arithmetic("+", left, right)


def arithmetic(operator: str, left: Any, right: Any) -> int | float:
    """JS ``+ - * / %`` on numbers (after ToNumber); division by zero gives Infinity or NaN."""
    a, b = to_number(left), to_number(right)
    try:
        if operator == "+":
            result = a + b
        elif operator == "-":
            result = a - b
        elif operator == "*":
            result = a * b
        elif operator == "/":
            result = _divide(a, b)
        else:
            result = _remainder(a, b)
    except OverflowError:
        return math.nan
    return normalize_number(result)


def _divide(a: int | float, b: int | float) -> int | float:
    if b == 0:
        if a == 0 or a != a:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    quotient = a / b
    if isinstance(a, int) and isinstance(b, int) and a % b == 0:
        return a // b
    return quotient


def _remainder(a: int | float, b: int | float) -> int | float:
    if b == 0 or a != a or b != b or math.isinf(a):
        return math.nan
    if math.isinf(b):
        return a
    if isinstance(a, int) and isinstance(b, int):
        return int(math.copysign(abs(a) % abs(b), a)) if a else 0
    return math.fmod(a, b)
