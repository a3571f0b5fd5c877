"""Loaded bots: what the server and the tools build a :class:`ConversationService` from.

A :class:`BotBundle` is one bot folder read and checked once: its definition (flows, content,
NLU data), its template renderer, its Python actions and hooks, and optionally its NLU predictor.
A :class:`BotRegistry` holds bundles by bot id.
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import Protocol

from flowbot.errors import FlowbotError
from flowbot.runtime.bot import BotDefinition
from flowbot.runtime.bot import BotLoadError
from flowbot.runtime.bot import load_bot
from flowbot.runtime.templates import renderer_for
from flowbot.runtime.usercode import UserFunction
from flowbot.runtime.usercode import UserCodeError
from flowbot.runtime.usercode import load_actions
from flowbot.runtime.usercode import load_hooks

TEMPLATE_ENGINES = ("mustache", "jinja2")


class NluPredictor(Protocol):
    """What the service needs from an NLU model (``flowbot.runtime.nlu.NluModel`` is one): ``event.nlu``
    for a text. May be a plain or an async method."""

    def predict(
        self, text: str, included_contexts: list[str], language: str | None = None
    ) -> dict[str, Any] | Awaitable[dict[str, Any]]: ...


class DuplicateBotError(FlowbotError):
    """Two bot folders with the same bot id."""


@dataclass
class BotBundle:
    definition: BotDefinition
    renderer: Any
    actions: dict[str, UserFunction] = field(default_factory=dict)
    hooks: dict[str, list[UserFunction]] = field(default_factory=dict)
    nlu: NluPredictor | None = None

    @property
    def bot_id(self) -> str:
        return self.definition.bot_id


def bundle_for(
    definition: BotDefinition, *, nlu: NluPredictor | None = None, user_code: bool = True
) -> BotBundle:
    """A bundle for an already loaded definition; reads its Python actions and hooks."""
    engine = definition.config.templateEngine
    if engine not in TEMPLATE_ENGINES:
        where = definition.root / "bot.config.json"
        raise BotLoadError(
            definition.root,
            [f"{where}: templateEngine must be one of {TEMPLATE_ENGINES} (got {engine!r})"],
        )
    actions: dict[str, UserFunction] = {}
    hooks: dict[str, list[UserFunction]] = {}
    if user_code:
        try:
            actions = load_actions(definition.bot_id, definition.root)
            hooks = load_hooks(definition.bot_id, definition.root)
        except UserCodeError as exc:
            raise BotLoadError(definition.root, exc.problems) from exc
    return BotBundle(definition, renderer_for(engine), actions, hooks, nlu)


def load_bundle(root: Path | str, *, bot_id: str | None = None, nlu: NluPredictor | None = None) -> BotBundle:
    """Read a bot folder (compiled or Botpress v12) with its Python code. Raises :class:`BotLoadError`."""
    return bundle_for(load_bot(root, bot_id), nlu=nlu)


class BotRegistry(Mapping[str, BotBundle]):
    """Bundles by bot id."""

    def __init__(self, bundles: Iterable[BotBundle] = ()) -> None:
        self._bundles: dict[str, BotBundle] = {}
        for bundle in bundles:
            self.add(bundle)

    def add(self, bundle: BotBundle) -> None:
        if bundle.bot_id in self._bundles:
            other = self._bundles[bundle.bot_id].definition.root
            raise DuplicateBotError(
                f"two bots have the id {bundle.bot_id!r}: {other} and {bundle.definition.root}"
            )
        self._bundles[bundle.bot_id] = bundle

    @classmethod
    def from_folders(
        cls,
        folders: Iterable[Path | str],
        nlu_for: Callable[[BotDefinition], NluPredictor | None] | None = None,
    ) -> BotRegistry:
        registry = cls()
        for folder in folders:
            definition = load_bot(folder)
            registry.add(bundle_for(definition, nlu=nlu_for(definition) if nlu_for else None))
        return registry

    def __getitem__(self, bot_id: str) -> BotBundle:
        return self._bundles[bot_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._bundles)

    def __len__(self) -> int:
        return len(self._bundles)
