"""Content elements: what a ``say`` (or a question) shows, stored in
``content-elements/<type>.json`` in the v12.30.9 shape (translated props as ``<prop>$<lang>``).
"""

from __future__ import annotations

from typing import Any

from flowbot.compiler import ir
from flowbot.compiler.ids import IdRegistry

TEXT = "builtin_text"
CHOICE = "builtin_single-choice"
IMAGE = "builtin_image"
CARD = "builtin_card"
CAROUSEL = "builtin_carousel"
_BUTTON_ACTIONS = {"say": ("Say something", "text"), "url": ("Open URL", "url"), "postback": ("Postback", "payload")}


class ContentStore:
    """Collects the bot's content elements, by type, in the order they are created, as the JSON of
    :class:`flowbot.runtime.flow.ContentElement` (``{"id": ..., "formData": {...}}``)."""

    def __init__(self, ids: IdRegistry, language: str) -> None:
        self.ids = ids
        self.language = language
        self.elements: dict[str, list[dict[str, Any]]] = {}

    def _add(self, content_type: str, where: tuple[str, ...], props: dict[str, Any]) -> str:
        element_id = self.ids.element_id(content_type, *where)
        form = {f"{key}${self.language}": value for key, value in sorted(props.items()) if value is not None}
        self.elements.setdefault(content_type, []).append({"id": element_id, "formData": form})
        return element_id

    def message(self, message: ir.Message, where: tuple[str, ...], options: list[ir.Option] | None = None) -> str:
        """A text, or a single choice when ``options`` are given; returns the element id."""
        props: dict[str, Any] = {"text": message.texts[0].value}
        if len(message.texts) > 1:
            props["variations"] = [t.value for t in message.texts[1:]]
        if message.markdown:
            props["markdown"] = True
        if message.typing:
            props["typing"] = True
        if options:
            props["choices"] = [{"title": o.title.value, "value": o.value} for o in options]
            return self._add(CHOICE, where, props)
        return self._add(TEXT, where, props)

    def image(self, step: ir.SayImage, where: tuple[str, ...]) -> str:
        props = {
            "image": step.url.value,
            "title": step.title.value if step.title else None,
            "typing": True if step.typing else None,
        }
        return self._add(IMAGE, where, props)

    def card(self, card: ir.Card, where: tuple[str, ...]) -> str:
        props: dict[str, Any] = _card_props(card)
        props["typing"] = True if card.typing else None
        return self._add(CARD, where, props)

    def carousel(self, step: ir.SayCarousel, where: tuple[str, ...]) -> str:
        props = {"items": [_card_props(c) for c in step.cards], "typing": True if step.typing else None}
        return self._add(CAROUSEL, where, props)

    def for_step(self, step: ir.Step, where: tuple[str, ...]) -> str:
        """The element of a ``say`` step."""
        if isinstance(step, ir.SayText):
            return self.message(step.message, where, step.options)
        if isinstance(step, ir.SayImage):
            return self.image(step, where)
        if isinstance(step, ir.SayCard):
            return self.card(step.card, where)
        assert isinstance(step, ir.SayCarousel)
        return self.carousel(step, where)


def _card_props(card: ir.Card) -> dict[str, Any]:
    props: dict[str, Any] = {"title": card.title.value}
    if card.subtitle is not None:
        props["subtitle"] = card.subtitle.value
    if card.image is not None:
        props["image"] = card.image.value
    actions = []
    for button in card.buttons:
        action, key = _BUTTON_ACTIONS[button.action]
        actions.append({"title": button.title.value, "action": action, key: button.value.value})
    props["actions"] = actions
    return props
