"""The ``builtin/*`` actions of Botpress v12 (``modules/builtin/src/actions``): memory and NLU contexts."""

from __future__ import annotations

import math
from typing import Any

from flowbot.runtime.actions.base import Action
from flowbot.runtime.actions.base import ActionContext
from flowbot.runtime.actions.base import ActionError
from flowbot.runtime.actions.base import js_number
from flowbot.runtime.actions.base import require_str

MEMORY_SCOPES = ("user", "session", "temp", "bot")
# resetSession keeps these session keys (Botpress v12.30.9): history, NLU contexts and workflows
SESSION_KEYS_KEPT = frozenset({"lastMessages", "nluContexts", "workflows"})
_MISSING = object()


def scope_of(ctx: ActionContext, scope: Any) -> dict[str, Any]:
    turn = ctx.turn
    scopes = {"user": turn.user, "session": turn.session, "temp": turn.temp, "bot": turn.bot}
    if scope not in scopes:
        raise ActionError(f"unknown memory type {scope!r} (expected one of: {', '.join(MEMORY_SCOPES)})")
    return scopes[scope]


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b.c`` in ``target``, creating the intermediate objects (a non-object is replaced)."""
    *parents, last = path.split(".")
    for part in parents:
        child = target.get(part)
        if not isinstance(child, dict):
            child = target[part] = {}
        target = child
    target[last] = value


def delete_path(target: dict[str, Any], path: str) -> None:
    *parents, last = path.split(".")
    for part in parents:
        child = target.get(part)
        if not isinstance(child, dict):
            return
        target = child
    target.pop(last, None)


async def set_variable(ctx: ActionContext) -> None:
    """``builtin/setVariable {"type","name","value"}``: ``'null'``, ``''`` or no value deletes.

    flowbot extension (contract §2): any JSON value is stored as is (Botpress only sees strings),
    and ``name`` may be a dotted path (``order.id``)."""
    target = scope_of(ctx, ctx.args.get("type"))
    name = require_str(ctx.args, "name")
    if not name:
        raise ActionError("argument 'name' must not be empty")
    value = ctx.args.get("value", _MISSING)
    if value is _MISSING or value == "null" or value == "":
        delete_path(target, name)
    else:
        set_path(target, name, value)


async def reset_session(ctx: ActionContext) -> None:
    """``builtin/resetSession``: empties temp and session, keeping history and NLU contexts."""
    for scope in (ctx.turn.temp, ctx.turn.session):
        for key in [k for k in scope if k not in SESSION_KEYS_KEPT]:
            del scope[key]


def _contexts_arg(ctx: ActionContext) -> str:
    return require_str(ctx.args, "contexts")


async def append_context(ctx: ActionContext) -> None:
    """``builtin/appendContext {"contexts":"a,b","ttl":"1"}``: the higher TTL wins per context."""
    ttl = js_number(ctx.args.get("ttl"))
    ttl_value: float | int = 1000 if math.isnan(ttl) else (int(ttl) if ttl.is_integer() else ttl)
    existing = ctx.turn.session.get("nluContexts") or []
    merged = [
        *existing,
        *({"context": name, "ttl": ttl_value} for name in _contexts_arg(ctx).strip().split(",")),
    ]
    best: dict[str, dict[str, Any]] = {}
    for item in merged:
        name = item.get("context")
        if name not in best or _ttl(item) > _ttl(best[name]):
            best[name] = item
    ctx.turn.session["nluContexts"] = list(best.values())


def _ttl(item: dict[str, Any]) -> float:
    value = js_number(item.get("ttl"))
    return -math.inf if math.isnan(value) else value


async def remove_context(ctx: ActionContext) -> None:
    removed = _contexts_arg(ctx).split(",")
    existing = ctx.turn.session.get("nluContexts") or []
    ctx.turn.session["nluContexts"] = [c for c in existing if c.get("context") not in removed]


async def reset_context(ctx: ActionContext) -> None:
    ctx.turn.session["nluContexts"] = []


async def increment_number_of_conversations(ctx: ActionContext) -> None:
    """``builtin/incrementNumberOfConversations {"output":"$r"}``: 0 the first time, then 1, 2...

    Botpress keeps the count in its per-user key-value storage; ours is the per-user ``kv``."""
    output = require_str(ctx.args, "output")
    count = ctx.turn.kv.get("numberOfConversations")
    count = 0 if count is None else int(count) + 1
    ctx.turn.kv["numberOfConversations"] = count
    ctx.turn.temp[output] = count


BUILTIN_ACTIONS: dict[str, Action] = {
    "builtin/setVariable": set_variable,
    "builtin/resetSession": reset_session,
    "builtin/appendContext": append_context,
    "builtin/removeContext": remove_context,
    "builtin/resetContext": reset_context,
    "builtin/incrementNumberOfConversations": increment_number_of_conversations,
}
