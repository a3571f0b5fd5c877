"""What ``bot chat`` prints: the bot's payloads as readable terminal text (with rich).

Text is shown as Markdown when the payload says so; choices and card buttons are numbered so
that the user can answer with the number; images and cards are shown as text (their title and
link). Numbers continue across the payloads of one turn, in the order of
:func:`flowbot.testing.lines.options_of`.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group
from rich.console import RenderableType
from rich.json import JSON
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text


class Numbering:
    """Hands out option numbers in the order payloads are rendered."""

    def __init__(self) -> None:
        self.next = 1

    def take(self) -> int:
        number, self.next = self.next, self.next + 1
        return number


def _str(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _text(payload: dict[str, Any], key: str = "text") -> RenderableType:
    text = _str(payload.get(key, ""))
    return Markdown(text) if payload.get("markdown") is True else Text(text)


def _options(titles: list[str], numbers: Numbering) -> Text:
    out = Text()
    for index, title in enumerate(titles):
        out.append(("\n" if index else "") + f"  {numbers.take()}. ", style="bold cyan")
        out.append(title)
    return out


def _card(card: dict[str, Any], numbers: Numbering) -> Panel:
    body = Text()
    if card.get("subtitle"):
        body.append(_str(card["subtitle"]) + "\n")
    if card.get("picture"):
        body.append(f"[image] {_str(card['picture'])}\n", style="dim")
    for button in card.get("buttons") or []:
        title = _str(button.get("title", ""))
        if button.get("type") == "open_url":
            body.append(f"  -> {title} ({_str(button.get('url', ''))})\n", style="blue")
        elif button.get("type") in ("say_something", "postback"):
            body.append(f"  {numbers.take()}. ", style="bold cyan")
            body.append(f"{title}\n")
    body.rstrip()
    return Panel(
        body, title=Text(_str(card.get("title", "")), style="bold"), title_align="left", expand=False
    )


def render_payload(payload: dict[str, Any], numbers: Numbering) -> RenderableType | None:
    """One payload as a renderable (None for a typing indicator)."""
    kind = payload.get("type")
    if kind == "typing":
        return None
    if kind == "text":
        return _text(payload)
    if kind == "single-choice":
        titles = [_str(r.get("title", "")) for r in payload.get("quick_replies") or [] if isinstance(r, dict)]
        return Group(_text(payload), _options(titles, numbers))
    if kind == "custom" and payload.get("component") == "Dropdown":
        labels = [_str(o.get("label", "")) for o in payload.get("options") or [] if isinstance(o, dict)]
        return Group(_text(payload, "message"), _options(labels, numbers))
    if kind == "file":
        title = f"{_str(payload['title'])} " if payload.get("title") else ""
        return Text(f"[image] {title}{_str(payload.get('url', ''))}", style="magenta")
    if kind == "carousel" and isinstance(payload.get("elements"), list):
        return Group(*(_card(card, numbers) for card in payload["elements"] if isinstance(card, dict)))
    return Group(Text(f"[{kind or 'payload'}]", style="dim"), JSON.from_data(payload))


def render_turn(responses: list[dict[str, Any]], label: str = "bot>") -> RenderableType | None:
    """Every payload of a turn, each under the bot's label."""
    numbers = Numbering()
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold green", no_wrap=True)
    grid.add_column()
    rows = 0
    for payload in responses:
        renderable = render_payload(payload, numbers)
        if renderable is not None:
            grid.add_row(label, renderable)
            rows += 1
    return grid if rows else None
