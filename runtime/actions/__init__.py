"""Actions that nodes call: Botpress's builtin and basic-skills actions, and the bot's Python actions."""

from __future__ import annotations

import copy

from flowbot.runtime.actions.base import Action
from flowbot.runtime.actions.base import ActionContext
from flowbot.runtime.actions.base import ActionError
from flowbot.runtime.actions.base import ActionRegistry
from flowbot.runtime.actions.builtin import BUILTIN_ACTIONS
from flowbot.runtime.actions.callapi import call_api
from flowbot.runtime.actions.skills import SKILL_ACTIONS
from flowbot.runtime.usercode import UserFunction


def python_action(fn: UserFunction) -> Action:
    """Adapt a bot's ``actions/<name>.py`` ``run`` to an action: it gets the scopes to mutate."""

    async def run(ctx: ActionContext) -> None:
        turn = ctx.turn
        # user code may mutate its args: nested values are shared with the parsed instruction
        args = copy.deepcopy(ctx.args)
        available = {
            "event": turn.event,
            "user": turn.user,
            "session": turn.session,
            "temp": turn.temp,
            "bot": turn.bot,
            "args": args,
        }
        await fn.call(available, ctx.timeout)

    return run


def build_registry(python: dict[str, UserFunction] | None = None) -> ActionRegistry:
    builtins: dict[str, Action] = {**BUILTIN_ACTIONS, **SKILL_ACTIONS, "basic-skills/call_api": call_api}
    return ActionRegistry(builtins, {name: python_action(fn) for name, fn in (python or {}).items()})


__all__ = ["Action", "ActionContext", "ActionError", "ActionRegistry", "build_registry", "python_action"]
