"""Small bot folders written on the fly for the NLU tests."""

from __future__ import annotations

import json
from datetime import datetime
from datetime import UTC
from pathlib import Path
from typing import Any

from flowbot.runtime.bot import BotDefinition
from flowbot.runtime.bot import load_bot

# Wednesday 1 May 2024, noon UTC: dates in the tests are relative to it.
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

MAIN_FLOW = {
    "version": "0.0.1",
    "startNode": "entry",
    "nodes": [{"id": "entry-node", "name": "entry", "onEnter": [], "onReceive": None, "next": []}],
}


def intent(
    name: str,
    utterances: list[str] | dict[str, list[str]],
    contexts: list[str] | None = None,
    slots: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    per_lang = utterances if isinstance(utterances, dict) else {"en": utterances}
    return {"name": name, "utterances": per_lang, "contexts": contexts or ["global"], "slots": slots or []}


def list_entity(
    name: str, occurrences: dict[str, list[str]], fuzzy: float = 0.8, **extra: Any
) -> dict[str, Any]:
    return {
        "id": name,
        "name": name,
        "type": "list",
        "fuzzy": fuzzy,
        "occurrences": [{"name": k, "synonyms": v} for k, v in occurrences.items()],
        **extra,
    }


def pattern_entity(name: str, pattern: str, **extra: Any) -> dict[str, Any]:
    return {"id": name, "name": name, "type": "pattern", "pattern": pattern, "examples": [], **extra}


def qna(
    qid: str, questions: list[str], contexts: list[str] | None = None, enabled: bool = True
) -> dict[str, Any]:
    return {
        "id": qid,
        "data": {
            "action": "text",
            "contexts": contexts or ["global"],
            "enabled": enabled,
            "answers": {"en": ["An answer."]},
            "questions": {"en": questions},
            "redirectFlow": "",
            "redirectNode": "",
        },
    }


def make_bot(
    root: Path,
    intents: list[dict[str, Any]] = (),
    entities: list[dict[str, Any]] = (),
    qnas: list[dict[str, Any]] = (),
    config: dict[str, Any] | None = None,
) -> BotDefinition:
    root.mkdir(parents=True, exist_ok=True)
    cfg = {"id": root.name, "defaultLanguage": "en", "languages": ["en"], **(config or {})}
    (root / "bot.config.json").write_text(json.dumps(cfg))
    (root / "flows").mkdir(exist_ok=True)
    (root / "flows" / "main.flow.json").write_text(json.dumps(MAIN_FLOW))
    for folder, items, key in (
        ("intents", intents, "name"),
        ("entities", entities, "name"),
        ("qna", qnas, "id"),
    ):
        (root / folder).mkdir(exist_ok=True)
        for item in items:
            (root / folder / f"{item[key]}.json").write_text(json.dumps(item))
    return load_bot(root)


PIZZA_INTENTS = [
    intent(
        "order_pizza",
        [
            "i want a [large](size) pizza",
            "can i order a pizza",
            "one [small](size) pizza please",
            "i'd like to order a [medium](size) pizza",
            "get me a pizza",
            "order a pizza for delivery",
            "a [large](size) pepperoni pizza please",
            "pizza time, i want to order",
        ],
        slots=[{"name": "size", "entities": ["size"]}],
    ),
    intent(
        "track_order",
        [
            "where is my order",
            "track my delivery",
            "how long until my pizza arrives",
            "is my order on its way",
            "when will my food arrive",
            "status of my order",
            "my pizza is late",
            "where's my delivery",
        ],
    ),
    intent(
        "greet", ["hello", "hi there", "hey", "good morning", "hello bot", "hi", "good evening", "hey there"]
    ),
]
SIZE_ENTITY = list_entity(
    "size", {"small": ["little", "tiny"], "medium": ["regular"], "large": ["big", "huge"]}
)
