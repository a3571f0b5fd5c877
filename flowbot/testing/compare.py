"""Checking one turn against its expectations, and saying how it differs.

Bot lines are aligned with the longest common subsequence, so that a missing, extra or changed
message shows as a diff (``-`` expected, ``+`` actual) rather than as a cascade of mismatches.
A ``choices:`` line is checked only when the test writes one; ``...`` lets the bot say more after
the lines written above it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from flowbot.runtime.callapi import MockRule
from flowbot.runtime.callapi.body import decode_text
from flowbot.testing.lines import BotLine
from flowbot.testing.mocks import Exchange
from flowbot.testing.model import AtCheck
from flowbot.testing.model import ExpectLine
from flowbot.testing.model import MemoryCheck
from flowbot.testing.model import More
from flowbot.testing.model import RequestCheck

_MISSING = object()
SKILL_PREFIX = "skills/"
FLOW_SUFFIX = ".flow.json"


class Problem(BaseModel):
    """One expectation that does not hold: a headline (with the expectation's file:line) and details."""

    model_config = ConfigDict(frozen=True)

    message: str
    details: list[str] = Field(default_factory=list)


def _matches(expected: ExpectLine, actual: BotLine) -> bool:
    if expected.line != actual.kind:
        return False
    if expected.pattern:
        return re.fullmatch(expected.text, actual.text, re.DOTALL) is not None
    return expected.text == actual.text


def _align(
    expected: list[ExpectLine], actual: list[BotLine]
) -> list[tuple[str, ExpectLine | None, BotLine | None]]:
    """The longest common subsequence of expected and actual lines, as diff operations."""
    rows, cols = len(expected), len(actual)
    best = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        for j in range(cols - 1, -1, -1):
            if _matches(expected[i], actual[j]):
                best[i][j] = best[i + 1][j + 1] + 1
            else:
                best[i][j] = max(best[i + 1][j], best[i][j + 1])
    ops: list[tuple[str, ExpectLine | None, BotLine | None]] = []
    i = j = 0
    while i < rows or j < cols:
        if i < rows and j < cols and _matches(expected[i], actual[j]):
            ops.append(("=", expected[i], actual[j]))
            i, j = i + 1, j + 1
        elif i < rows and (j == cols or best[i + 1][j] >= best[i][j + 1]):
            ops.append(("-", expected[i], None))
            i += 1
        else:
            ops.append(("+", None, actual[j]))
            j += 1
    return ops


def shown(text: str) -> str:
    """A line of text as a diff shows it (newlines visible)."""
    return text.replace("\n", "\\n")


def check_lines(expected: list[ExpectLine | More], actual: list[BotLine], path: str) -> Problem | None:
    more = any(isinstance(e, More) for e in expected)
    lines = [e for e in expected if isinstance(e, ExpectLine)]
    ops = _align(lines, actual)
    last_expected = max((n for n, (op, e, _) in enumerate(ops) if e is not None), default=-1)
    failed = False
    diff: list[str] = []
    for n, (op, exp, act) in enumerate(ops):
        if op == "=" and act is not None:
            diff.append(f"  {shown(act.display())}")
        elif op == "-" and exp is not None:
            failed = True
            diff.append(f"- {shown(exp.display())}    ({exp.where(path)})")
        elif act is not None and (act.kind == "choices" or (more and n > last_expected)):
            diff.append(f"  {shown(act.display())}")
        elif act is not None:
            failed = True
            diff.append(f"+ {shown(act.display())}")
    if not failed:
        return None
    if not actual:
        diff.append("  (the bot said nothing)")
    return Problem(message="the bot's messages differ (- expected, + actual):", details=diff)


def lookup(state: dict[str, Any], segments: list[str | int]) -> Any:
    value: Any = state
    for segment in segments:
        by_index = isinstance(segment, int) and isinstance(value, list) and 0 <= segment < len(value)
        by_name = isinstance(segment, str) and isinstance(value, dict) and segment in value
        if by_index or by_name:
            value = value[segment]
        else:
            return _MISSING
    return value


def same(a: Any, b: Any) -> bool:
    """JSON equality: ``true`` is not ``1``, ``1`` is ``1.0``; objects and arrays compared deeply."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def as_json(value: Any) -> str:
    if value is _MISSING:
        return "(not set)"
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def check_memory(check: MemoryCheck, state: dict[str, Any], path: str) -> Problem | None:
    value = lookup(state, check.segments)
    if check.op == "set":
        holds = value is not _MISSING and value is not None
    elif check.op == "unset":
        holds = value is _MISSING or value is None
    elif check.op == "~":
        text = value if isinstance(value, str) else as_json(value)
        holds = value is not _MISSING and re.fullmatch(str(check.value), text, re.DOTALL) is not None
    else:
        equal = value is not _MISSING and same(value, check.value)
        holds = equal if check.op == "==" else not equal
    if holds:
        return None
    return Problem(
        message=f"`{check.display()}` does not hold ({check.where(path)})",
        details=[f"actual: {check.path} = {as_json(value)}"],
    )


def place_of(state: dict[str, Any]) -> tuple[str, str] | None:
    """Where the conversation waits after the turn, as (flow, node) with the flow's name as
    written in the bot (``lookup``, not ``lookup.flow.json``); inside a generated skill flow (an
    ``ask`` or a ``fill``), the node that called it. None when no flow is active."""
    context = state.get("context") if isinstance(state.get("context"), dict) else {}
    flow, node = context.get("currentFlow"), context.get("currentNode")
    if not flow:
        return None
    if str(flow).startswith(SKILL_PREFIX):
        for point in reversed(context.get("jumpPoints") or []):
            if isinstance(point, dict) and not str(point.get("flow", "")).startswith(SKILL_PREFIX):
                flow, node = point.get("flow"), point.get("node")
                break
    return str(flow).removesuffix(FLOW_SUFFIX), str(node)


def describe_place(place: tuple[str, str] | None) -> str:
    return "end (no flow is active)" if place is None else f"{place[0]}.{place[1]}"


def check_at(check: AtCheck, state: dict[str, Any], path: str) -> Problem | None:
    place = place_of(state)
    if check.place == "end":
        holds = place is None
    elif place is None:
        holds = False
    elif "." in check.place:
        holds = check.place == f"{place[0]}.{place[1]}"
    else:
        holds = check.place == place[1]
    if holds:
        return None
    return Problem(
        message=f"`{check.display()}` does not hold ({check.where(path)})",
        details=[f"the conversation is at {describe_place(place)}"],
    )


def describe_error(error: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in (error.get("flow"), error.get("node")) if p)
    where = str(where).replace(FLOW_SUFFIX, "")
    return f"{error.get('type', 'error')}{' in ' + where if where else ''}: {error.get('message', '')}"


def check_request(check: RequestCheck, exchanges: list[Exchange], path: str) -> Problem | None:
    """The turn sent a request with the check's method and URL (and body, when it has one)."""
    rule = MockRule(method=check.method, url=check.url)
    candidates = [e for e in exchanges if rule.matches(e.request)]
    if check.body_text is not None:
        sent = [decode_text(e.request.body) if e.request.body is not None else None for e in candidates]
        if any(same(body, check.body) for body in sent):
            return None
    elif candidates:
        return None
    details = [
        f"sent: {e.request.method} {e.request.url}" + (f" {e.request.body}" if e.request.body else "")
        for e in exchanges
    ] or ["this turn sent no request"]
    return Problem(message=f"`{check.display()}` does not hold ({check.where(path)})", details=details)
