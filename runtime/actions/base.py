"""What an action receives, and the registry that resolves action names (builtins, then Python)."""

from __future__ import annotations

import math
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from typing import Protocol

from flowbot.runtime.bot import BotDefinition
from flowbot.runtime.callapi import ApiClient
from flowbot.runtime.turn import Turn


class Renderer(Protocol):
    """The template renderer of the bot (``flowbot.runtime.templates``), as actions use it."""

    def render(self, template: str, variables: dict[str, Any]) -> str: ...

    def render_value(self, template: str, variables: dict[str, Any]) -> Any: ...


@dataclass
class ActionContext:
    """One action call: the turn (memory scopes, event), its rendered ``args`` and the bot."""

    turn: Turn
    args: dict[str, Any]
    bot: BotDefinition
    renderer: Renderer
    api_client: ApiClient | None
    timeout: float


Action = Callable[[ActionContext], Awaitable[None]]


class ActionError(Exception):
    """An action that cannot do what it was asked (bad arguments, unknown intent...)."""


class ActionRegistry:
    """Action names to callables: builtin actions first, then the bot's Python actions."""

    def __init__(self, builtins: dict[str, Action], python: dict[str, Action] | None = None) -> None:
        self._actions = {**(python or {}), **builtins}

    def get(self, name: str) -> Action | None:
        return self._actions.get(name)

    def names(self) -> list[str]:
        return sorted(self._actions)


def js_number(value: Any) -> float:
    """JavaScript's ``Number(value)`` (NaN when the value is not a number), for action args."""
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        bare = text.lstrip("+-")
        if "_" in text or (bare.lower() in {"inf", "nan", "infinity"} and bare != "Infinity"):
            return math.nan  # Python's float() accepts these spellings, JavaScript does not
        try:
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return math.nan
    return math.nan


def require_str(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str):
        raise ActionError(f"argument {name!r} must be a string (got {value!r})")
    return value
