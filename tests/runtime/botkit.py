"""Helpers to write small bot folders for tests and to talk to them through the service."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flowbot.runtime.bot_runtime import RuntimeSettings
from flowbot.runtime.callapi import ApiClient
from flowbot.runtime.conversation import IncomingMessage
from flowbot.runtime.conversation import TurnResult
from flowbot.runtime.registry import BotRegistry
from flowbot.runtime.registry import NluPredictor
from flowbot.runtime.service import ConversationService
from flowbot.runtime.store import MemoryStore
from flowbot.runtime.store import StateStore


def node(
    name: str,
    *,
    on_enter: list[str] | None = None,
    on_receive: list[str] | None = None,
    next: list[tuple[str, str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A flow node; ``next`` is a list of (condition, target)."""
    return {
        "id": f"node-{name}",
        "name": name,
        "onEnter": on_enter or [],
        "onReceive": on_receive,
        "next": [{"condition": c, "node": n} for c, n in next or []],
        **extra,
    }


def flow(
    *nodes: dict[str, Any], start: str | None = None, catch_all: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "version": "0.0.1",
        "startNode": start or nodes[0]["name"],
        "catchAll": catch_all or {},
        "nodes": list(nodes),
    }


def write_bot(
    root: Path,
    flows: dict[str, dict[str, Any]],
    *,
    texts: dict[str, str] | None = None,
    content: dict[str, list[dict[str, Any]]] | None = None,
    config: dict[str, Any] | None = None,
    qna: list[dict[str, Any]] | None = None,
    intents: list[dict[str, Any]] | None = None,
    actions: dict[str, str] | None = None,
    hooks: dict[str, dict[str, str]] | None = None,
) -> Path:
    """Write a bot folder. ``texts`` maps ids to builtin_text texts (``say #!<id>``)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "bot.config.json").write_text(
        json.dumps({"id": root.name, "defaultLanguage": "en", "languages": ["en"], **(config or {})})
    )
    for name, data in flows.items():
        path = root / "flows" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data))
    elements = {key: list(value) for key, value in (content or {}).items()}
    for element_id, text in (texts or {}).items():
        elements.setdefault("builtin_text", []).append({"id": element_id, "formData": {"text$en": text}})
    for content_type, items in elements.items():
        (root / "content-elements").mkdir(exist_ok=True)
        (root / "content-elements" / f"{content_type}.json").write_text(json.dumps(items))
    for folder, items in (("qna", qna), ("intents", intents)):
        for item in items or []:
            (root / folder).mkdir(exist_ok=True)
            (root / folder / f"{item.get('id') or item['name']}.json").write_text(json.dumps(item))
    for name, source in (actions or {}).items():
        path = root / "actions" / f"{name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    for hook, files in (hooks or {}).items():
        for file_name, source in files.items():
            path = root / "hooks" / hook / file_name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(source)
    return root


def make_service(
    *folders: Path,
    store: StateStore | None = None,
    nlu: NluPredictor | None = None,
    clock: Callable[[], float] | None = None,
    api_client: ApiClient | None = None,
    settings: RuntimeSettings | None = None,
    **kwargs: Any,
) -> ConversationService:
    registry = BotRegistry.from_folders(folders, nlu_for=(lambda _definition: nlu) if nlu else None)
    return ConversationService(
        registry,
        store or MemoryStore(),
        api_client=api_client,
        clock=clock or (lambda: 1_000_000.0),
        rng=FirstChoice(),
        settings=settings,
        **kwargs,
    )


class FirstChoice(random.Random):
    """A random source that always picks the first option (text variations, QnA answers); its
    other draws (event ids) are seeded, so that turns are reproducible."""

    def __init__(self) -> None:
        super().__init__(0)

    def choice(self, seq: Any) -> Any:
        return seq[0]

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:  # type: ignore[override]
        return 0 if stop is None else start

    def random(self) -> float:
        return 0.0


class FakeNlu:
    """An NLU predictor answering from a table: text -> (intent, confidence) and QnA intents."""

    def __init__(self, table: dict[str, dict[str, Any]] | None = None) -> None:
        self.table = table or {}
        self.calls: list[tuple[str, list[str]]] = []

    def predict(self, text: str, included_contexts: list[str], language: str | None = None) -> dict[str, Any]:
        self.calls.append((text, list(included_contexts)))
        entry = self.table.get(text, {})
        intents = entry.get("intents") or []
        best = max(intents, key=lambda i: i["confidence"]) if intents else None
        intent = entry.get("intent") or best or {"name": "none", "confidence": 1.0, "context": "global"}
        return {
            "language": "en",
            "intent": intent,
            "intents": intents,
            "entities": entry.get("entities", []),
            "slots": entry.get("slots", {}),
            "includedContexts": list(included_contexts),
        }


async def say(
    service: ConversationService, bot_id: str, text: str, user: str = "u1", **payload: Any
) -> TurnResult:
    message = IncomingMessage(payload={"type": "text", "text": text, **payload})
    return await service.converse(bot_id, user, message)


def texts(result: TurnResult) -> list[str]:
    """The texts sent, without the typing indicators."""
    return [p.get("text", "") for p in result.responses if p.get("type") != "typing"]


def position(result: TurnResult) -> tuple[str | None, str | None]:
    context = result.state["context"]
    return context.get("currentFlow"), context.get("currentNode")
