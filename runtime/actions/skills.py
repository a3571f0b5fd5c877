"""The ``basic-skills/*`` actions that generated skill flows call: choice and slot filling (§4.3, §4.4).

Keys follow the generated flows: the legacy choice flows of welcome-bot read unsuffixed keys
(``temp['skill-choice-ret']``), newer ones pass ``randomId`` and read ``...-<randomId>``.
"""

from __future__ import annotations

import re
from typing import Any

from flowbot.runtime.actions.base import Action
from flowbot.runtime.actions.base import ActionContext
from flowbot.runtime.actions.base import ActionError
from flowbot.runtime.actions.base import js_number
from flowbot.runtime.actions.base import require_str

INTENT_PREFIX = "intent:"
NUMBER_ANSWER = re.compile(r"^[#).!]?(\d{1,2})[#).!]?$")
REGEX_KEYWORD = re.compile(r"^/(.*)/([gimsuy]*)$", re.DOTALL)
SLOT_RETRY_HARD_LIMIT = 10


def _suffix(args: dict[str, Any]) -> str:
    random_id = args.get("randomId")
    return f"-{random_id}" if random_id else ""


def _lower(value: Any) -> str:
    return value.lower() if isinstance(value, str) else ""


def _choices(ctx: ActionContext, content_id: Any) -> list[Any]:
    """The choices of the single-choice element, in the user's language (default language as fallback).

    Botpress reads ``formData.choices`` without translating it, so answering "1" never matched a
    translated element there; we read the translated prop, which is what the number means."""
    element = ctx.bot.content.get(content_id) if isinstance(content_id, str) else None
    if element is None:
        return []
    data = element.formData
    for key in (f"choices${ctx.turn.language}", f"choices${ctx.bot.config.defaultLanguage}", "choices"):
        if isinstance(data.get(key), list):
            return data[key]
    return []


def _by_number(ctx: ActionContext, args: dict[str, Any]) -> Any:
    preview = ctx.turn.event.get("preview")
    match = NUMBER_ANSWER.match(preview) if isinstance(preview, str) else None
    if match is None:
        return None
    choices = _choices(ctx, args.get("contentId"))
    index = int(match.group(1)) - 1
    if 0 <= index < len(choices) and isinstance(choices[index], dict):
        return choices[index].get("value") or None
    return None


def _keywords(args: dict[str, Any]) -> dict[str, list[Any]]:
    keywords = args.get("keywords")
    if not isinstance(keywords, dict):
        return {}
    return {key: value if isinstance(value, list) else [] for key, value in keywords.items()}


def _by_intent(ctx: ActionContext, keywords: dict[str, list[Any]]) -> Any:
    intent = (ctx.turn.event.nlu.get("intent") or {}).get("name")
    for choice, words in keywords.items():
        names = [w[len(INTENT_PREFIX) :] for w in words if _lower(w).startswith(INTENT_PREFIX)]
        if intent is not None and intent in names:
            return choice
    return None


def _keyword_regex(keyword: Any) -> re.Pattern[str] | None:
    # Most keywords are plain words: tell them apart without running the pattern (this runs for
    # every keyword of every choice at every answer).
    if not isinstance(keyword, str) or not keyword.startswith("/"):
        return None
    match = REGEX_KEYWORD.match(keyword)
    if match is None:
        return None
    flags = (re.IGNORECASE if "i" in match.group(2) else 0) | (re.MULTILINE if "m" in match.group(2) else 0)
    try:
        return re.compile(match.group(1), flags | (re.DOTALL if "s" in match.group(2) else 0))
    except re.error:
        return None


def _by_text(ctx: ActionContext, keywords: dict[str, list[Any]]) -> Any:
    payload = ctx.turn.event.payload
    said = [
        _lower(ctx.turn.event.get("preview")),
        _lower(payload.get("text")),
        _lower(payload.get("payload")),
    ]
    plain: list[tuple[Any, list[str]]] = []  # each choice's plain keywords, lowered once
    for choice, words in keywords.items():  # exact answers (or /regex/ keywords) first
        lowered_words = []
        for word in words:
            pattern = _keyword_regex(word)
            if pattern is not None:
                if any(pattern.search(text) for text in said):
                    return choice
                lowered_words.append(word.lower())  # a regex keyword is also a plain substring
                continue
            lowered = _lower(word)
            if lowered in said:
                return choice
            lowered_words.append(lowered)
        plain.append((choice, lowered_words))
    for choice, lowered_words in plain:  # then a keyword anywhere in the answer
        for lowered in lowered_words:
            if lowered in said[0] or lowered in said[1] or lowered in said[2]:
                return choice
    return None


async def choice_parse_answer(ctx: ActionContext) -> None:
    """Match the user's answer to a choice: by number, by NLU intent, by keyword (§4.3)."""
    args = ctx.args
    keywords = _keywords(args)
    choice = _by_number(ctx, args) or _by_intent(ctx, keywords) or _by_text(ctx, keywords)
    suffix = _suffix(args)
    ctx.turn.temp[f"skill-choice-valid{suffix}"] = bool(choice)
    if choice:
        ctx.turn.temp[f"skill-choice-ret{suffix}"] = choice


async def choice_invalid_answer(ctx: ActionContext) -> None:
    key = f"skill-choice-invalid-count{_suffix(ctx.args)}"
    previous = ctx.turn.temp.get(key)
    ctx.turn.temp[key] = (previous if isinstance(previous, int | float) and previous else 0) + 1


async def slot_update_contexts(ctx: ActionContext) -> None:
    """Listen to the slot's intent contexts while the slot is being filled; reset the skill's flags."""
    name = require_str(ctx.args, "intentName")
    intent = next((i for i in ctx.bot.intents if i.name == name), None)
    if intent is None:
        raise ActionError(f"intent {name!r} not found (the slot skill reads its contexts)")
    ctx.turn.session["nluContexts"] = [{"context": c, "ttl": 1000} for c in intent.contexts]
    temp = ctx.turn.temp
    temp.update(tryFillSlotCount=1, extracted=False, notExtracted=False, alreadyExtracted=False)
    temp.pop("valid", None)


def _slots(ctx: ActionContext) -> dict[str, Any]:
    slots = ctx.turn.session.get("slots")
    if not isinstance(slots, dict):
        slots = ctx.turn.session["slots"] = {}
    return slots


def _set_slot(ctx: ActionContext, name: str, entity: dict[str, Any], turn_expiry: Any) -> None:
    slots = _slots(ctx)
    if slots.get(name):
        return
    data = entity.get("data") if isinstance(entity.get("data"), dict) else {}
    slots[name] = {
        "name": name,
        "value": data.get("value"),
        "entity": entity,
        "timestamp": int(ctx.turn.now * 1000),
        "turns": 0,
        "overwritable": True,
        "expiresAfterTurns": turn_expiry,
    }
    slots["notFound"] = 0


async def slot_fill(ctx: ActionContext) -> None:
    """Fill ``session.slots[slotName]`` from the NLU entities named in ``entities`` (from the raw
    text for the ``any`` entity)."""
    name = require_str(ctx.args, "slotName")
    wanted = require_str(ctx.args, "entities").split(",")
    expiry = ctx.args.get("turnExpiry")
    found = [e for e in ctx.turn.event.nlu.get("entities") or [] if isinstance(e, dict)]
    if wanted and found:
        for entity in found:
            if entity.get("name") in wanted:
                _set_slot(ctx, name, entity, expiry)
    elif "any" in wanted:
        value = ctx.turn.event.payload.get("text") or ctx.turn.event.get("preview") or ""
        entity = {
            "name": "any",
            "type": "any",
            "meta": {"start": 0, "end": len(value) if isinstance(value, str) else 0},
            "data": {"extras": {}, "value": value},
        }
        _set_slot(ctx, name, entity, expiry)


async def slot_not_found(ctx: ActionContext) -> None:
    """Count a failed extraction; past ``retryAttempts`` (at most 10), flag ``temp.notExtracted``."""
    slots = _slots(ctx)
    if not slots.get("notFound"):
        slots["notFound"] = 1
    limit = min(js_number(ctx.args.get("retryAttempts")), SLOT_RETRY_HARD_LIMIT)
    tries = ctx.turn.temp.get("tryFillSlotCount")
    tries = tries if isinstance(tries, int | float) and not isinstance(tries, bool) else js_number(tries)
    if tries < limit:
        ctx.turn.temp["tryFillSlotCount"] = tries + 1
    else:
        ctx.turn.temp["notExtracted"] = "true"


SKILL_ACTIONS: dict[str, Action] = {
    "basic-skills/choice_parse_answer": choice_parse_answer,
    "basic-skills/choice_invalid_answer": choice_invalid_answer,
    "basic-skills/slot_update_contexts": slot_update_contexts,
    "basic-skills/slot_fill": slot_fill,
    "basic-skills/slot_not_found": slot_not_found,
}
