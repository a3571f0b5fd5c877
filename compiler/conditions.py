"""Conditions → the JavaScript-style expressions that Botpress flows use (and our runtime
evaluates): ``intent greet`` → ``event.nlu.intent.name === 'greet'``, ``a and not b`` →
``a && !b``, ``temp.n is set`` → ``temp.n !== undefined``...
"""

from __future__ import annotations

import json
import re

from flowbot.compiler import ir

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def js_string(value: str) -> str:
    """A single-quoted JavaScript string literal (as the Botpress studio writes intent names)."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    return f"'{escaped}'"


def js_key(key: str | int) -> str:
    if isinstance(key, int):
        return f"[{key}]"
    return f".{key}" if _IDENTIFIER.match(key) else f"[{js_string(key)}]"


def js_path(path: ir.Path) -> str:
    return path.scope.value + "".join(js_key(k.key) for k in path.keys)


def js_literal(value: str | float | bool | None) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def js_operand(operand: ir.Operand) -> str:
    if isinstance(operand, ir.PathOperand):
        return js_path(operand.path)
    if isinstance(operand, ir.NumberCall):
        return f"Number({js_operand(operand.operand)})"
    return js_literal(operand.value)


def to_js(cond: ir.Condition | None) -> str:
    """The expression of a condition (``true`` for none: an unconditional transition)."""
    if cond is None:
        return "true"
    if isinstance(cond, ir.IntentCond):
        return f"event.nlu.intent.name === {js_string(cond.name.value)}"
    if isinstance(cond, ir.SlotCond):
        return f"session.slots{js_key(cond.name.value)} !== undefined"
    if isinstance(cond, ir.Compare):
        return f"{js_operand(cond.left)} {cond.op} {js_operand(cond.right)}"
    if isinstance(cond, ir.IsSet):
        return f"{js_operand(cond.operand)} {'===' if cond.negated else '!=='} undefined"
    if isinstance(cond, ir.Contains):
        return f"{js_operand(cond.left)}.includes({js_operand(cond.right)})"
    if isinstance(cond, ir.Truthy):
        return js_operand(cond.operand)
    if isinstance(cond, ir.Not):
        inner = to_js(cond.operand)
        atomic = isinstance(cond.operand, (ir.Truthy, ir.Not))
        return f"!{inner}" if atomic else f"!({inner})"
    if isinstance(cond, ir.And):
        return " && ".join(f"({to_js(c)})" if isinstance(c, ir.Or) else to_js(c) for c in cond.items)
    return " || ".join(to_js(c) for c in cond.items)
