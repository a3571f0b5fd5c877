"""Transition conditions: Botpress's JavaScript expressions, evaluated with JS semantics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from flowbot.errors import FlowbotError
from flowbot.runtime.conditions import MAX_CONDITION_LENGTH
from flowbot.runtime.conditions import ConditionError
from flowbot.runtime.conditions import compile_condition
from flowbot.runtime.conditions import evaluate_condition


def _state(**overrides: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "event": {
            "type": "text",
            "payload": {"type": "text", "text": "hello"},
            "nlu": {"intent": {"name": "none"}},
        },
        "user": {},
        "session": {"slots": {}},
        "temp": {},
        "bot": {},
        "workflow": {},
    }
    state.update(overrides)
    return state


def _conditions_of(bot_dir: Path) -> list[str]:
    found: list[str] = []
    for path in sorted((bot_dir / "flows").rglob("*.flow.json")):
        flow = json.loads(path.read_text(encoding="utf-8"))
        for node in flow.get("nodes", []):
            found += [transition["condition"] for transition in node.get("next") or []]
        found += [transition["condition"] for transition in (flow.get("catchAll") or {}).get("next") or []]
    return found


def test_every_condition_of_the_compat_bots_evaluates(compat_bots: Path) -> None:
    conditions = [c for bot in sorted(compat_bots.iterdir()) if bot.is_dir() for c in _conditions_of(bot)]
    assert len(conditions) >= 30
    for condition in conditions:
        assert isinstance(evaluate_condition(condition, _state()), bool), condition


def test_welcome_bot_conditions_follow_memory(compat_bots: Path) -> None:
    conditions = set(_conditions_of(compat_bots / "welcome-bot"))
    intent = "event.nlu.intent.name === 'forget'"
    choice = "temp['skill-choice-ret'] == \"memory\""
    assert {intent, choice, "user.nickname !== undefined", "temp.$r === 0"} <= conditions
    forget = _state(event={"nlu": {"intent": {"name": "forget"}}})
    assert evaluate_condition(intent, forget) is True
    assert evaluate_condition(intent, _state()) is False
    assert evaluate_condition(choice, _state(temp={"skill-choice-ret": "memory"})) is True
    assert evaluate_condition(choice, _state(temp={"skill-choice-ret": "context"})) is False
    assert evaluate_condition("user.nickname !== undefined", _state(user={"nickname": "Ana"})) is True
    assert evaluate_condition("user.nickname !== undefined", _state()) is False
    assert evaluate_condition("temp.$r === 0", _state(temp={"$r": 0})) is True
    assert evaluate_condition("temp.$r > 0", _state(temp={"$r": 2})) is True


def test_choice_retry_condition_compares_undefined_as_botpress_does() -> None:
    # welcome-bot's generated choice flow: `count <= undefined` is always false in JS.
    condition = "temp['skill-choice-invalid-count'] <= undefined"
    assert evaluate_condition(condition, _state(temp={"skill-choice-invalid-count": 0})) is False
    assert evaluate_condition(condition, _state()) is False
    assert evaluate_condition(
        "temp['skill-choice-invalid-count'] <= 3", _state(temp={"skill-choice-invalid-count": 1})
    )


@pytest.mark.parametrize(
    ("expression", "temp", "expected"),
    [
        ("temp.valid_abc123", {"valid_abc123": True}, True),
        ("!temp.valid_abc123", {"valid_abc123": True}, False),
        ("!temp.valid_abc123", {}, True),
        ("session.slots['earthDate'] && (temp.valid === undefined || temp.valid == \"true\")", {}, False),
        ('session.greeted === "true"', {}, False),
    ],
)
def test_reference_examples(expression: str, temp: dict[str, Any], expected: bool) -> None:
    assert evaluate_condition(expression, _state(temp=temp)) is expected


def test_slot_condition_with_a_filled_slot() -> None:
    condition = "session.slots['earthDate'] && (temp.valid === undefined || temp.valid == \"true\")"
    state = _state(session={"slots": {"earthDate": {"value": "2020-01-01"}}})
    assert evaluate_condition(condition, state) is True
    state["temp"] = {"valid": "false"}
    assert evaluate_condition(condition, state) is False


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('"3" == 3', True),
        ('"3" === 3', False),
        ("null == undefined", True),
        ("null === undefined", False),
        ('0 == ""', True),
        ('0 == "0"', True),
        ('"" == "0"', False),
        ('false == "0"', True),
        ('false == ""', True),
        ('true == "1"', True),
        ('true == "true"', False),
        ("true == 1", True),
        ("true === 1", False),
        ("null == 0", False),
        ("undefined == 0", False),
        ("null == false", False),
        ("NaN == NaN", False),
        ("[] == false", True),
        ("[1] == 1", True),
        ('[1, 2] == "1,2"', True),
        ("[] == []", False),
        ('temp.obj == "[object Object]"', True),
        ("temp.obj == temp.obj", True),
        ("temp.obj === temp.obj", True),
        ("temp.n === 1", True),
        ("temp.f === 1", True),
        ('" 12 " == 12', True),
        ('"0x1A" == 26', True),
        ('"1e3" == 1000', True),
        ('"abc" == NaN', False),
        ('"" != 0', False),
        ('"" !== 0', True),
    ],
)
def test_equality_follows_javascript(expression: str, expected: bool) -> None:
    assert evaluate_condition(expression, _state(temp={"obj": {"a": 1}, "n": 1, "f": 1.0})) is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('"10" > 9', True),
        ('"10" > "9"', False),
        ('"a" < "b"', True),
        ('"B" < "a"', True),
        ("null >= 0", True),
        ("null > -1", True),
        ("undefined >= 0", False),
        ("undefined <= undefined", False),
        ("temp.missing < 1", False),
        ("temp.missing > 1", False),
        ('"abc" < 5', False),
        ('"abc" >= 5', False),
        ("[2] > 1", True),
        ("true > false", True),
        ("2 >= 2", True),
        ("2 <= 1.5", False),
        ('"😀" > "\\uffff"', False),
    ],
)
def test_relational_comparisons_follow_javascript(expression: str, expected: bool) -> None:
    assert evaluate_condition(expression, _state()) is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('"1" + 1 === "11"', True),
        ('1 + 1 + "1" === "21"', True),
        ('"3" * "4" === 12', True),
        ("1 / 0 === Infinity", True),
        ("-1 / 0 === -Infinity", True),
        ("0 / 0 !== 0 / 0", True),
        ("-7 % 3 === -1", True),
        ("7.5 % 2 === 1.5", True),
        ("0.1 + 0.2 === 0.30000000000000004", True),
        ('"a" - 1 !== "a" - 1', True),
        ("-temp.s === -5", True),
        ("+temp.s === 5", True),
        ("temp.list + '' === '1,,3'", True),
        ("10 / 4 === 2.5", True),
        ("9007199254740993 === 9007199254740992", True),
    ],
)
def test_arithmetic_follows_javascript(expression: str, expected: bool) -> None:
    assert evaluate_condition(expression, _state(temp={"s": "5", "list": [1, None, 3]})) is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('Number("42") === 42', True),
        ('Number("") === 0', True),
        ("Number(null) === 0", True),
        ("isNaN(Number(undefined))", True),
        ('isNaN(Number("4a"))', True),
        ("Number(true) === 1", True),
        ("Number() === 0", True),
        ('String(1.0) === "1"', True),
        ('String(temp.f) === "1"', True),
        ('String(0.000001) === "0.000001"', True),
        ('String(1e-7) === "1e-7"', True),
        ('String(1e21) === "1e+21"', True),
        ('String(123456789012345680000) === "123456789012345680000"', True),
        ('String(null) === "null"', True),
        ('String(undefined) === "undefined"', True),
        ('String(true) === "true"', True),
        ('String([1, [2, 3]]) === "1,2,3"', True),
        ('String(temp.obj) === "[object Object]"', True),
        ('String() === ""', True),
        ("Boolean(temp.obj)", True),
        ('Boolean("")', False),
        ('parseInt("42px") === 42', True),
        ('parseInt("0x1f") === 31', True),
        ('parseInt("z", 36) === 35', True),
        ('isNaN(parseInt("px"))', True),
        ('parseFloat("3.5kg") === 3.5', True),
        ('"Hello".includes("ell")', True),
        ('"Hello".includes("ell", 2)', False),
        ('"Hello".toLowerCase() === "hello"', True),
        ('"Hello".toUpperCase().startsWith("HE")', True),
        ('" x ".trim() === "x"', True),
        ('"abc".endsWith("bc")', True),
        ('"abc".indexOf("c") === 2', True),
        ('"abc".length === 3', True),
        ('"😀".length === 2', True),
        ('"abc"[1] === "b"', True),
        ("temp.list.length === 3", True),
        ("temp.list.includes(3)", True),
        ('temp.list.includes("3")', False),
        ("temp.list.includes(null)", True),
        ("[NaN].includes(NaN)", True),
        ("[NaN].indexOf(NaN) === -1", True),
        ('temp.list.join("-") === "1--3"', True),
        ("temp.list[0] === 1", True),
        ('temp.list["2"] === 3', True),
        ("temp.list[5] === undefined", True),
        ('["yes", "y"].includes(event.payload.text)', False),
        ("(1).toString() === '1'", True),
        ("temp.obj.a === 1", True),
        ("temp.obj.toString() === '[object Object]'", True),
        ("temp.obj.hasOwnProperty('a')", True),
        ("temp.obj.hasOwnProperty('b')", False),
        ("temp.own.toString === 'mine'", True),
        ("temp.obj['a'] === 1", True),
    ],
)
def test_builtin_functions_and_properties(expression: str, expected: bool) -> None:
    state = _state(temp={"f": 1.0, "obj": {"a": 1}, "list": [1, None, 3], "own": {"toString": "mine"}})
    assert evaluate_condition(expression, state) is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('typeof temp.s === "string"', True),
        ('typeof temp.n === "number"', True),
        ('typeof temp.b === "boolean"', True),
        ('typeof temp.o === "object"', True),
        ('typeof temp.l === "object"', True),
        ('typeof temp.z === "object"', True),
        ('typeof temp.missing === "undefined"', True),
        ('typeof notDeclared === "undefined"', True),
        ('typeof Number === "function"', True),
        ('typeof "x".includes === "function"', True),
        ('typeof typeof 1 === "string"', True),
    ],
)
def test_typeof(expression: str, expected: bool) -> None:
    state = _state(temp={"s": "x", "n": 1.5, "b": False, "o": {}, "l": [], "z": None})
    assert evaluate_condition(expression, state) is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("temp.o", True),
        ("temp.l", True),
        ('"0"', True),
        ('""', False),
        ("0", False),
        ("-0", False),
        ("NaN", False),
        ("null", False),
        ("undefined", False),
        ("!temp.o", False),
        ("!!temp.l", True),
        ('(temp.missing || "fallback") === "fallback"', True),
        ("(temp.o && temp.o.k) === 2", True),
        ("(0 || null) === null", True),
        ("(1 && 0) === 0", True),
        ("temp.missing ? false : true", True),
        ("temp.o ? temp.o.k === 2 : false", True),
    ],
)
def test_truthiness_and_logical_operators_return_operands(expression: str, expected: bool) -> None:
    assert evaluate_condition(expression, _state(temp={"o": {"k": 2}, "l": []})) is expected


@pytest.mark.parametrize(
    "expression",
    [
        "temp.missing.deep",
        "!temp.missing.deep",
        "temp.missing.deep === undefined",
        "event.nlu.slots.city.value === 'Paris'",
        "temp.n.includes('1')",
        "temp.s.nope()",
        "temp.o.k()",
        "Number(1)()",
        "null.x",
        "undefined[0]",
        "temp.valueOf()",
        "temp.toString.constructor('return 1')()",
    ],
)
def test_a_type_error_makes_the_condition_false(expression: str) -> None:
    # Botpress catches TypeError and returns false, even when a `!` surrounds it.
    assert evaluate_condition(expression, _state(temp={"n": 12, "s": "x", "o": {"k": 1}})) is False


def test_absent_scopes_are_undefined_not_reference_errors() -> None:
    assert evaluate_condition("workflow === undefined && bot === undefined", {}) is True
    assert evaluate_condition("temp.x === undefined", {"temp": {}}) is True


def test_unknown_names_are_reference_errors() -> None:
    with pytest.raises(ConditionError, match="foo is not defined") as caught:
        evaluate_condition("foo === 1", _state())
    assert isinstance(caught.value, FlowbotError)
    assert caught.value.expression == "foo === 1"
    # Short-circuit: the unknown name is never evaluated.
    assert evaluate_condition("true || foo", _state()) is True
    assert evaluate_condition("false && foo", _state()) is False


@pytest.mark.parametrize(
    ("expression", "message", "column"),
    [
        ("temp.x ===", "unexpected end of the condition at column 11", 11),
        ("temp.x = 1", "unexpected character '=' at column 8", 8),
        ("temp.x === 'a", 'unexpected character "\'" at column 12', 12),
        ("a; b", "unexpected character ';' at column 2", 2),
        ("`${temp.x}`", "unexpected character '`' at column 1", 1),
        ("temp..x", "unexpected '.' at column 6", 6),
        ("(temp.x", "unexpected end of the condition at column 8", 8),
        ("temp.x )", "unexpected ')' at column 8", 8),
    ],
)
def test_syntax_errors_are_clear(expression: str, message: str, column: int) -> None:
    with pytest.raises(ConditionError) as caught:
        evaluate_condition(expression, _state())
    assert message in str(caught.value)
    assert expression in str(caught.value)
    assert caught.value.column == column


def test_expected_tokens_are_named() -> None:
    with pytest.raises(ConditionError, match="expected a value") as caught:
        evaluate_condition("temp.x === ", _state())
    assert "Traceback" not in str(caught.value)
    with pytest.raises(ConditionError, match=r"expected '\)'$"):
        evaluate_condition("(temp.x", _state())


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('id')",
        "eval('1')",
        "process.exit(1)",
        "require('fs')",
        "this.constructor",
        "globalThis",
        "exec",
    ],
)
def test_python_and_node_globals_do_not_exist(expression: str) -> None:
    with pytest.raises(ConditionError, match="is not defined"):
        evaluate_condition(expression, _state())


@pytest.mark.parametrize(
    "expression",
    [
        "temp.__class__ !== undefined",
        "temp['__class__'] !== undefined",
        "temp.__class__.__mro__ !== undefined",
        "temp.s.__class__ !== undefined",
        "temp.constructor !== undefined",
        "temp.__dict__ !== undefined",
        "temp.keys !== undefined",
        "temp.s.format !== undefined",
        "temp.s.__len__ !== undefined",
    ],
)
def test_python_attributes_are_plain_missing_keys(expression: str) -> None:
    assert evaluate_condition(expression, _state(temp={"s": "x"})) is False


def test_dict_keys_named_like_dunders_are_ordinary_data() -> None:
    assert evaluate_condition("temp.__class__ === 'mine'", _state(temp={"__class__": "mine"})) is True


def test_last_node_form() -> None:
    assert evaluate_condition("lastNode=success-1", {}, last_node="success-1") is True
    assert evaluate_condition("lastNode=success-1", {}, last_node="success-2") is False
    assert evaluate_condition("lastNode=success-1", {}) is False
    assert evaluate_condition("lastNode = success-1", {}, last_node="success-1") is False


def test_empty_condition_is_false() -> None:
    assert evaluate_condition("", {}) is False
    assert evaluate_condition("   ", {}) is False


def test_string_escapes() -> None:
    state = _state(temp={"s": "a\nb", "q": "it's"})
    assert evaluate_condition('temp.s === "a\\nb"', state) is True
    assert evaluate_condition("temp.q === 'it\\'s'", state) is True
    assert evaluate_condition('"\\u00e9" === "é"', state) is True
    assert evaluate_condition('"\\u{1F600}" === "😀"', state) is True
    assert evaluate_condition('"\\ud83d\\ude00" === "😀"', state) is True
    assert evaluate_condition('"\\x41" === "A"', state) is True


def test_conditions_are_compiled_once() -> None:
    expression = "temp.cached_test_marker === 1"
    assert compile_condition(expression) is compile_condition(expression)
    assert evaluate_condition(expression, _state(temp={"cached_test_marker": 1})) is True


def test_limits_give_condition_errors() -> None:
    with pytest.raises(ConditionError, match="characters long"):
        evaluate_condition("1 + " * MAX_CONDITION_LENGTH + "1", {})
    with pytest.raises(ConditionError, match="nested too deeply"):
        evaluate_condition("!" * 9000 + "1", {})
    with pytest.raises(ConditionError, match="nested too deeply"):
        evaluate_condition("temp" + ".b" * 4000, {"temp": {}})
    assert evaluate_condition("(" * 3000 + "1" + ")" * 3000, {}) is True
    assert evaluate_condition("0x" + "f" * 400 + " > 1", {}) is True
    assert evaluate_condition("parseInt('" + "9" * 5000 + "') === Infinity", {}) is True


_FRAGMENTS = [
    "temp", "user", "event", "session", "bot", "workflow", ".", "[", "]", "(", ")", "'x'", '"3"', "3",
    "0", "1.5", "null", "undefined", "true", "false", "===", "==", "!==", "!=", "<", "<=", ">", ">=",
    "&&", "||", "!", "+", "-", "*", "/", "%", "?", ":", ",", "typeof", "Number", "String", "length",
    "includes", "a", "nlu", "NaN", "Infinity", "parseInt", "toString", "__class__", "`", ";", "=",
]  # fmt: skip

_VARIABLES: dict[str, Any] = {
    "temp": {"a": [1, "x", None, {"b": 2}], "x": "3", "length": 3, "__class__": 1},
    "user": {"a": None},
    "event": {"nlu": {"intent": {"name": "x"}}, "a": 1.5},
    "session": {},
    "bot": 7,
    "workflow": "s",
}


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_never_raises_anything_but_condition_error(text: str) -> None:
    try:
        assert isinstance(evaluate_condition(text, _VARIABLES), bool)
    except ConditionError:
        pass


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=14).map(" ".join))
def test_arbitrary_expressions_never_raise_anything_but_condition_error(text: str) -> None:
    try:
        assert isinstance(evaluate_condition(text, _VARIABLES), bool)
    except ConditionError:
        pass
