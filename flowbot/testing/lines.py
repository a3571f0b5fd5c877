"""What the bot said, as the lines a transcript writes: one canonical text per outgoing payload.

The same lines are compared by ``bot test``, written by ``bot chat --record`` and shown in failure
diffs, so that a recorded conversation replays as it was seen:

=====================  ==============================================================
payload                lines
=====================  ==============================================================
text                   ``bot: <text>``
single-choice          ``bot: <text>`` then ``choices: <title> | <title> | ...``
dropdown               ``bot: <message>`` then ``choices: <label> | ...``
image (``file``)       ``image: <url>``
carousel of one card   ``card: <title>``
carousel               ``carousel: <title> | <title> | ...``
typing indicator       (none)
anything else          ``payload: <the payload as JSON>``
=====================  ==============================================================
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict

from flowbot.testing.model import BotLineKind


class BotLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: BotLineKind
    text: str

    def display(self) -> str:
        return f"{self.kind}: {self.text}"


class Option(BaseModel):
    """Something the user can answer with instead of typing: a quick reply or a card button."""

    model_config = ConfigDict(frozen=True)

    title: str
    payload: dict[str, Any]  # what the client sends when it is chosen
    card: str | None = None  # the card of a button

    @property
    def label(self) -> str:
        return f"{self.card} / {self.title}" if self.card else self.title


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _titles(items: list[Any], key: str) -> str:
    return " | ".join(_text(item.get(key, "")) for item in items if isinstance(item, dict))


def lines_of(payload: dict[str, Any]) -> list[BotLine]:
    """The transcript lines of one outgoing payload."""
    kind = payload.get("type")
    if kind == "typing":
        return []
    if kind == "text":
        return [BotLine(kind="bot", text=_text(payload.get("text", "")))]
    if kind == "single-choice":
        replies = payload.get("quick_replies") if isinstance(payload.get("quick_replies"), list) else []
        return [
            BotLine(kind="bot", text=_text(payload.get("text", ""))),
            BotLine(kind="choices", text=_titles(replies, "title")),
        ]
    if kind == "custom" and payload.get("component") == "Dropdown":
        options = payload.get("options") if isinstance(payload.get("options"), list) else []
        return [
            BotLine(kind="bot", text=_text(payload.get("message", ""))),
            BotLine(kind="choices", text=_titles(options, "label")),
        ]
    if kind == "file":
        return [BotLine(kind="image", text=_text(payload.get("url", "")))]
    if kind == "carousel" and isinstance(payload.get("elements"), list):
        cards = payload["elements"]
        if len(cards) == 1 and isinstance(cards[0], dict):
            return [BotLine(kind="card", text=_text(cards[0].get("title", "")))]
        return [BotLine(kind="carousel", text=_titles(cards, "title"))]
    return [BotLine(kind="payload", text=json.dumps(payload, ensure_ascii=False, sort_keys=True))]


def transcript_lines(responses: list[dict[str, Any]]) -> list[BotLine]:
    return [line for payload in responses for line in lines_of(payload)]


def options_of(responses: list[dict[str, Any]]) -> list[Option]:
    """The options a user can pick in these responses, in order: quick replies and dropdown options
    (answered as Botpress's web chat does: a ``quick_reply`` with the title as text), then card
    buttons that say something or post back (links open a page: they are not options)."""
    options: list[Option] = []
    for payload in responses:
        if payload.get("type") == "single-choice":
            for reply in payload.get("quick_replies") or []:
                title, value = _text(reply.get("title", "")), reply.get("payload")
                options.append(
                    Option(title=title, payload={"type": "quick_reply", "text": title, "payload": value})
                )
        elif payload.get("type") == "custom" and payload.get("component") == "Dropdown":
            for option in payload.get("options") or []:
                label, value = _text(option.get("label", "")), option.get("value")
                options.append(
                    Option(title=label, payload={"type": "quick_reply", "text": label, "payload": value})
                )
        elif payload.get("type") == "carousel":
            options.extend(_buttons(payload.get("elements") or []))
    return options


def _buttons(cards: list[Any]) -> list[Option]:
    options: list[Option] = []
    for card in cards:
        if not isinstance(card, dict):
            continue
        title = _text(card.get("title", ""))
        for button in card.get("buttons") or []:
            label = _text(button.get("title", ""))
            if button.get("type") == "say_something":
                sent = {"type": "text", "text": _text(button.get("text", ""))}
            elif button.get("type") == "postback":
                sent = {"type": "postback", "payload": button.get("payload"), "text": label}
            else:
                continue
            options.append(Option(title=label, payload=sent, card=title))
    return options


def find_option(options: list[Option], wanted: str, *, buttons: bool) -> Option | None:
    """The option named by ``wanted``: its number (1-based), its title, or ``card / button``."""
    pool = [o for o in options if (o.card is not None) == buttons]
    text = wanted.strip()
    if text.isdigit():
        index = int(text) - 1
        return pool[index] if 0 <= index < len(pool) else None
    folded = text.casefold()
    for option in pool:
        if folded in (option.title.casefold(), option.label.casefold()):
            return option
    return None
