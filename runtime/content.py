"""Content elements rendered to Converse response payloads.

A ``say`` instruction names a content element (``say #!builtin_text-pSsHWg {args}``) or a content
type with its data (``say #builtin_text {"text": "hi"}``). The payloads have the shapes of
Botpress v12.0-v12.25's default renderer (``modules/builtin/src/content-types/*.js`` at v12.20.0,
botpress-v12.md §9), which the Converse reference sample shows: a separate
``{"type": "typing", "value": true}`` first when typing is on, ``file`` for images, ``carousel``
for cards. One addition: single-choice payloads carry ``"type": "single-choice"`` (v12.25 had no
type key) so that clients can dispatch on it.

How an element is prepared follows Botpress's CMS (``renderElement``): only the content type's
schema properties are kept, each taken as ``prop$<language>``, then ``prop$<default language>``,
then ``{prop: {language: ...}}``; the text is picked at random among ``[text, *variations]``;
``say`` arguments join the render context. Unlike Botpress, which renders the text up to three
times, every template string is rendered exactly once.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any
from typing import Final

from flowbot.errors import FlowbotError
from flowbot.runtime.jsvalue import UNDEFINED
from flowbot.runtime.jsvalue import to_string
from flowbot.runtime.jsvalue import truthy
from flowbot.runtime.templates import TemplateRenderer
from flowbot.runtime.templates import render_recursive

# The jsonSchema properties of each built-in content type (v12.20): translation keeps these only.
PROPERTIES: Final[Mapping[str, tuple[str, ...]]] = {
    "builtin_text": ("text", "variations", "markdown", "typing"),
    "builtin_single-choice": (
        "text", "isDropdown", "dropdownPlaceholder", "choices", "markdown", "disableFreeText", "typing",
    ),
    "builtin_image": ("image", "title", "typing"),
    "builtin_card": ("title", "subtitle", "image", "actions"),
    "builtin_carousel": ("items", "typing"),
}  # fmt: skip
CONTENT_TYPES: Final = tuple(PROPERTIES)
_ABSOLUTE_URL: Final = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:|//")


class ContentError(FlowbotError):
    """A content element that cannot be rendered (unknown type, missing choices or image...)."""


def render_content(
    content_type: str,
    form_data: dict[str, Any],
    args: dict[str, Any],
    variables: Mapping[str, Any],
    renderer: TemplateRenderer,
    language: str | None,
    default_language: str | None,
    rng: random.Random,
    *,
    bot_url: str = "",
) -> list[dict[str, Any]]:
    """The payloads of one content element (``say #!<id> {args}``).

    ``variables`` holds the memory scopes (``event, user, session, temp, bot, workflow``); they
    win over ``args`` in the render context, as in Botpress. ``bot_url`` prefixes relative
    media paths (Botpress's ``BOT_URL``).
    """
    properties = _properties(content_type)
    element = _pick_text(translate(form_data, properties, language, default_language), rng)
    context = {**args, **variables}
    rendered = {key: render_recursive(value, context, renderer) for key, value in element.items()}
    # The element's schema properties override same-named say arguments, even when unset.
    data = {key: value for key, value in args.items() if key not in properties}
    data.update(rendered)
    return _build(content_type, data, bot_url)


def render_content_type(
    content_type: str,
    args: dict[str, Any],
    variables: Mapping[str, Any],
    renderer: TemplateRenderer,
    *,
    bot_url: str = "",
) -> list[dict[str, Any]]:
    """The payloads of a content type rendered with ``args`` as its data (``say #builtin_text
    {"text": "hi"}``, QnA answers). As in Botpress, only ``text`` is a template here."""
    _properties(content_type)
    data = dict(args)
    text = data.get("text")
    if isinstance(text, str) and text:
        data["text"] = renderer.render(text, {**args, **variables})
    return _build(content_type, data, bot_url)


def translate(
    form_data: Mapping[str, Any],
    properties: tuple[str, ...],
    language: str | None,
    default_language: str | None,
) -> dict[str, Any]:
    """The schema properties in ``language``, falling back to ``default_language``; unset ones
    are left out. Like Botpress, a falsy translation (``false``, ``""``) counts as missing."""
    result: dict[str, Any] = {}
    for prop in properties:
        value = _translated(form_data, prop, language, default_language)
        if value is not UNDEFINED:
            result[prop] = value
    return result


def _translated(form_data: Mapping[str, Any], prop: str, language: str | None, default: str | None) -> Any:
    for lang in (language, default):
        if lang:
            value = form_data.get(f"{prop}${lang}", UNDEFINED)
            if truthy(value):
                return value
    nested = form_data.get(prop, UNDEFINED)
    if not truthy(nested):
        return nested
    value: Any = UNDEFINED
    for lang in (language, default):
        if lang and isinstance(nested, Mapping):
            value = nested.get(lang, UNDEFINED)
            if truthy(value):
                return value
    return value


def _properties(content_type: str) -> tuple[str, ...]:
    properties = PROPERTIES.get(content_type)
    if properties is None:
        known = ", ".join(CONTENT_TYPES)
        raise ContentError(f"unsupported content type {content_type!r} (flowbot renders {known})")
    return properties


def _pick_text(element: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Botpress samples ``[text, *variations]``; a falsy pick keeps ``text``."""
    variations = element.pop("variations", None)
    if isinstance(variations, list) and variations:
        candidates = [element.get("text", UNDEFINED), *variations]
        chosen = candidates[rng.randrange(len(candidates))]
        if truthy(chosen):
            element["text"] = chosen
    return element


def _build(content_type: str, data: dict[str, Any], bot_url: str) -> list[dict[str, Any]]:
    if content_type == "builtin_text":
        payload = _defined(type="text", markdown=_get(data, "markdown"), text=_get(data, "text"),
                           collectFeedback=_get(data, "collectFeedback"))  # fmt: skip
    elif content_type == "builtin_single-choice":
        payload = _single_choice(data)
    elif content_type == "builtin_image":
        payload = _image(data, bot_url)
    elif content_type == "builtin_card":
        payload = _carousel({"items": [data], **data}, bot_url)
    else:
        payload = _carousel(data, bot_url)
    return [*_typing(data), payload]


def _get(data: Mapping[str, Any], key: str) -> Any:
    return data.get(key, UNDEFINED)


def _defined(**fields: Any) -> dict[str, Any]:
    """A payload without its undefined fields, as ``JSON.stringify`` leaves them out."""
    return {key: value for key, value in fields.items() if value is not UNDEFINED}


def _typing(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    typing = _get(data, "typing")
    return [{"type": "typing", "value": typing}] if truthy(typing) else []


def _single_choice(data: Mapping[str, Any]) -> dict[str, Any]:
    choices = _get(data, "choices")
    if not isinstance(choices, list):
        raise ContentError("a single-choice element needs a list of choices")
    pairs = [_choice(choice, number) for number, choice in enumerate(choices, 1)]
    if truthy(_get(data, "isDropdown")):
        return _defined(
            type="custom", module="extensions", component="Dropdown", message=_get(data, "text"),
            buttonText="", displayInKeyboard=True, options=[_defined(label=t, value=v) for t, v in pairs],
            width=300, placeholderText=_get(data, "dropdownPlaceholder"),
        )  # fmt: skip
    return _defined(
        type="single-choice",
        text=_get(data, "text"),
        quick_replies=[_defined(title=t, payload=v) for t, v in pairs],
        typing=_get(data, "typing"),
        markdown=_get(data, "markdown"),
        disableFreeText=_get(data, "disableFreeText"),
    )


def _choice(choice: Any, number: int) -> tuple[Any, str]:
    """A choice's title and payload (Botpress sends ``value.toUpperCase()``)."""
    if not isinstance(choice, Mapping):
        raise ContentError(
            f"choice {number} of a single-choice element must be an object with a title and a value"
        )
    value = _get(choice, "value")
    if value is None or value is UNDEFINED:
        raise ContentError(f"choice {number} of a single-choice element has no value")
    return _get(choice, "title"), to_string(value).upper()


def _media_url(bot_url: str, path: Any) -> Any:
    # Botpress prefixes BOT_URL to media paths; absolute URLs are left alone (it would break them).
    if isinstance(path, str) and not _ABSOLUTE_URL.match(path):
        return bot_url + path
    return path


def _image(data: Mapping[str, Any], bot_url: str) -> dict[str, Any]:
    image = _get(data, "image")
    if not isinstance(image, str) or not image:
        raise ContentError("an image element needs an image URL")
    return _defined(type="file", title=_get(data, "title"), url=_media_url(bot_url, image),
                    collectFeedback=_get(data, "collectFeedback"))  # fmt: skip


def _carousel(data: Mapping[str, Any], bot_url: str) -> dict[str, Any]:
    items = _get(data, "items")
    if not isinstance(items, list):
        raise ContentError("a carousel element needs a list of cards (items)")
    elements = [_card(card, number, bot_url) for number, card in enumerate(items, 1)]
    return _defined(
        text=" ", type="carousel", collectFeedback=_get(data, "collectFeedback"), elements=elements
    )


def _card(card: Any, number: int, bot_url: str) -> dict[str, Any]:
    if not isinstance(card, Mapping):
        raise ContentError(f"card {number} must be an object with a title")
    image = _get(card, "image")
    actions = _get(card, "actions")
    buttons = [_button(action, bot_url) for action in (actions if isinstance(actions, list) else [])]
    return _defined(
        title=_get(card, "title"), picture=_media_url(bot_url, image) if truthy(image) else None,
        subtitle=_get(card, "subtitle"), buttons=buttons,
    )  # fmt: skip


def _button(action: Any, bot_url: str) -> dict[str, Any]:
    kind = _get(action, "action") if isinstance(action, Mapping) else UNDEFINED
    if kind == "Say something":
        return _defined(type="say_something", title=_get(action, "title"), text=_get(action, "text"))
    if kind == "Open URL":
        url = _get(action, "url")
        url = url.replace("BOT_URL", bot_url, 1) if isinstance(url, str) and url else url
        return _defined(type="open_url", title=_get(action, "title"), url=url)
    if kind == "Postback":
        return _defined(type="postback", title=_get(action, "title"), payload=_get(action, "payload"))
    shown = to_string(kind) if kind is not UNDEFINED else "no action"
    raise ContentError(
        f'card buttons support the actions "Say something", "Open URL" and "Postback", not {shown!r}'
    )
