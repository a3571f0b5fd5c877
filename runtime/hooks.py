"""Hooks: the bot's Python hooks, and the behaviour of Botpress's builtin hooks (§7.2, §4.4, §10.1).

Builtin behaviours run before the bot's own hooks of the same kind, so a bot can override them:

* before_incoming: ``session.nluContexts`` (when not empty) replaces ``event.nlu.includedContexts``;
* after_incoming: non-message events (``typing``, ``visit``...) skip the dialog engine; each NLU
  context loses one turn of TTL and is dropped at 0; NLU slots are copied into ``session.slots``
  (and slots expire after their number of turns).

A Python hook that raises or runs past its time limit is logged with the bot, flow and node and
recorded in the turn's errors; the turn goes on, as in Botpress (``throwOnError: false``).
"""

from __future__ import annotations

import logging
from typing import Any

from flowbot.runtime.events import NON_DIALOG_TYPES
from flowbot.runtime.events import SKIP_DIALOG_ENGINE
from flowbot.runtime.turn import Turn
from flowbot.runtime.usercode import UserFunction

logger = logging.getLogger("flowbot.runtime")


class Hooks:
    """The Python hooks of one bot, by hook name, each list in file-name order."""

    def __init__(self, functions: dict[str, list[UserFunction]] | None = None, timeout: float = 5.0) -> None:
        self.functions = functions or {}
        self.timeout = timeout

    def has(self, hook: str) -> bool:
        return bool(self.functions.get(hook))

    async def run(self, hook: str, turn: Turn, payload: dict[str, Any] | None = None) -> None:
        for fn in self.functions.get(hook, ()):
            available = {
                "event": turn.event,
                "user": turn.user,
                "session": turn.session,
                "temp": turn.temp,
                "bot": turn.bot,
                "payload": payload,
            }
            try:
                await fn.call(available, self.timeout)
            except Exception as exc:  # user code: logged, never fatal
                message = (
                    f"did not finish within {self.timeout:g} s"
                    if isinstance(exc, TimeoutError)
                    else repr(exc)
                )
                logger.error(
                    "bot %s, flow %s, node %s: hook %s (%s) failed: %s",
                    turn.bot_id,
                    turn.context.currentFlow,
                    turn.context.currentNode,
                    hook,
                    fn.path,
                    message,
                    exc_info=not isinstance(exc, TimeoutError),
                )
                turn.record_error("hook-execution", f"hook {hook} ({fn.path.name}) failed: {message}")


def apply_nlu_contexts(turn: Turn) -> None:
    contexts = turn.session.get("nluContexts")
    if isinstance(contexts, list) and contexts:
        names = [c.get("context") for c in contexts if isinstance(c, dict)]
        turn.event.setdefault("nlu", {})["includedContexts"] = names


def skip_dialog_for_non_messages(turn: Turn) -> None:
    if turn.event.get("type") in NON_DIALOG_TYPES:
        turn.event.set_flag(SKIP_DIALOG_ENGINE)


def expire_nlu_contexts(turn: Turn) -> None:
    contexts = turn.session.get("nluContexts")
    if not isinstance(contexts, list) or turn.event.nlu.get("errored"):
        return
    kept = []
    for context in contexts:
        if not isinstance(context, dict):
            continue
        ttl = context.get("ttl")
        if isinstance(ttl, int | float) and not isinstance(ttl, bool):
            context["ttl"] = ttl - 1
        if isinstance(context.get("ttl"), int | float) and context["ttl"] > 0:
            kept.append(context)
    turn.session["nluContexts"] = kept


def extract_slots(turn: Turn) -> None:
    """basic-skills' ``05_extract_slots``: age the slots, then store the NLU slots of this turn."""
    slots = turn.session.get("slots")
    if not isinstance(slots, dict):
        slots = turn.session["slots"] = {}
    for name, slot in list(slots.items()):
        if not isinstance(slot, dict):
            continue
        turns = slot.get("turns")
        if isinstance(turns, int | float) and not isinstance(turns, bool):
            turns = slot["turns"] = turns + 1
        else:
            continue
        expiry = slot.get("expiresAfterTurns")
        if (
            isinstance(expiry, int | float)
            and not isinstance(expiry, bool)
            and expiry > -1
            and turns >= expiry
        ):
            del slots[name]
    found = turn.event.nlu.get("slots")
    for slot in found.values() if isinstance(found, dict) else ():
        if isinstance(slot, list):  # an ambiguous slot: the most confident comes first
            slot = slot[0] if slot else None
        if not isinstance(slot, dict) or not slot.get("value") or not isinstance(slot.get("name"), str):
            continue
        existing = slots.get(slot["name"])
        if isinstance(existing, dict) and existing.get("overwritable") is False:
            continue
        slots["notFound"] = 0
        slots[slot["name"]] = {
            **slot,
            "timestamp": int(turn.now * 1000),
            "turns": 0,
            "overwritable": True,
            "expiresAfterTurns": False,
        }
