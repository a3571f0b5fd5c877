"""Content elements rendered to Converse payloads (v12.0-v12.25 default renderer shapes)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from flowbot.errors import FlowbotError
from flowbot.runtime.content import ContentError
from flowbot.runtime.content import render_content
from flowbot.runtime.content import render_content_type
from flowbot.runtime.content import translate
from flowbot.runtime.templates import JinjaRenderer
from flowbot.runtime.templates import MustacheRenderer
from flowbot.runtime.templates import TemplateRenderer

TYPING = {"type": "typing", "value": True}


def _memory(**overrides: Any) -> dict[str, Any]:
    memory: dict[str, Any] = {
        "event": {"payload": {"text": "hi"}},
        "user": {},
        "session": {},
        "temp": {},
        "bot": {},
    }
    memory.update(overrides)
    return memory


def _element(bot_dir: Path, content_type: str, element_id: str) -> dict[str, Any]:
    elements = json.loads((bot_dir / "content-elements" / f"{content_type}.json").read_text(encoding="utf-8"))
    return next(element["formData"] for element in elements if element["id"] == element_id)


def _render(
    content_type: str,
    form_data: dict[str, Any],
    *,
    args: dict[str, Any] | None = None,
    memory: dict[str, Any] | None = None,
    language: str | None = "en",
    renderer: TemplateRenderer | None = None,
    seed: int = 0,
    bot_url: str = "",
) -> list[dict[str, Any]]:
    payloads = render_content(
        content_type, form_data, args or {}, memory if memory is not None else _memory(),
        renderer or MustacheRenderer(), language, "en", random.Random(seed), bot_url=bot_url,
    )  # fmt: skip
    json.dumps(payloads)  # what the Converse API sends: nothing undefined may leak
    return payloads


def test_welcome_bot_text(compat_bots: Path) -> None:
    form_data = _element(compat_bots / "welcome-bot", "builtin_text", "builtin_text-lbs0Re")
    assert _render("builtin_text", form_data) == [
        TYPING,
        {
            "type": "text",
            "text": "Hi, I'm Welcome Bot! My task is to help you understand how Botpress works.",
        },
    ]


def test_welcome_bot_greeting_picks_a_variation_and_renders_it_once(compat_bots: Path) -> None:
    form_data = _element(compat_bots / "welcome-bot", "builtin_text", "builtin_text-pSsHWg")
    memory = _memory(user={"nickname": "{{temp.secret}} & co"}, temp={"secret": "S3CRET"})
    texts = {_render("builtin_text", form_data, memory=memory, seed=seed)[1]["text"] for seed in range(40)}
    assert texts == {
        "👋, {{temp.secret}} &amp; co!",
        "Hello, {{temp.secret}} &amp; co!",
        "Welcome to Botpress, {{temp.secret}} &amp; co!",
    }
    assert _render("builtin_text", form_data, memory=memory, seed=7) == _render(
        "builtin_text", form_data, memory=memory, seed=7
    )


def test_welcome_bot_markdown_text_from_memory(compat_bots: Path) -> None:
    form_data = _element(compat_bots / "welcome-bot", "builtin_text", "builtin_text--icAL0")
    payloads = _render("builtin_text", form_data, memory=_memory(temp={"endMessage": "Bye **now**"}))
    assert payloads == [TYPING, {"type": "text", "markdown": True, "text": "Bye **now**"}]


def test_welcome_bot_single_choice_with_skill_args(compat_bots: Path) -> None:
    form_data = _element(compat_bots / "welcome-bot", "builtin_single-choice", "builtin_single-choice-mrFFU_")
    payloads = _render("builtin_single-choice", form_data, args={"skill": "choice"})
    assert payloads == [
        TYPING,
        {
            "type": "single-choice",
            "text": "What would you like to know?",
            "quick_replies": [
                {"title": "What is a Context?", "payload": "CONTEXT"},
                {"title": "What is Bot Memory?", "payload": "MEMORY"},
            ],
            "typing": True,
        },
    ]


def test_welcome_bot_dropdown(compat_bots: Path) -> None:
    form_data = _element(compat_bots / "welcome-bot", "builtin_single-choice", "builtin_single-choice-yOBfeA")
    assert _render("builtin_single-choice", form_data) == [
        TYPING,
        {
            "type": "custom",
            "module": "extensions",
            "component": "Dropdown",
            "message": "Okay, let's use a simple example. Let's talk about animals. Pick one.",
            "buttonText": "",
            "displayInKeyboard": True,
            "options": [{"label": "Monkey", "value": "MONKEY"}, {"label": "Giraffe", "value": "GIRAFFE"}],
            "width": 300,
            "placeholderText": "Select option...",
        },
    ]


def test_small_talk_text_in_the_users_language_with_fallback(compat_bots: Path) -> None:
    form_data = _element(compat_bots / "small-talk", "builtin_text", "builtin_text-iVBzXn")
    french = _render("builtin_text", form_data, language="fr")
    assert french[1]["text"] == "Pardon, je n'ai pas compris. Veuillez me poser un autre question."
    german = _render("builtin_text", form_data, language="de")
    assert german[1]["text"] == "I'm sorry, I did not understand. Please ask me something else."
    assert _render("builtin_text", form_data, language=None)[1]["text"].startswith("I'm sorry")


def test_translation_reads_suffixed_and_nested_props_and_keeps_schema_props_only() -> None:
    form_data = {
        "text": {"fr": "Bonjour", "en": "Hello"},
        "markdown$en": False,
        "typing$fr": True,
        "unknown$en": "dropped",
        "variations$en": [],
    }
    properties = ("text", "variations", "markdown", "typing")
    # An empty list is truthy in JS, so it is a translation.
    assert translate(form_data, properties, "fr", "en") == {
        "text": "Bonjour",
        "typing": True,
        "variations": [],
    }
    assert translate(form_data, properties, "es", "en") == {"text": "Hello", "variations": []}
    # A falsy translation counts as missing, as in Botpress (so markdown: false is left out).
    assert _render("builtin_text", {"text$en": "x", "markdown$en": False}) == [{"type": "text", "text": "x"}]


def test_the_text_is_rendered_once_and_user_text_comes_back_verbatim() -> None:
    memory = _memory(event={"payload": {"text": "{{temp.secret}}"}}, temp={"secret": "S3CRET"})
    for renderer, template in [(MustacheRenderer(), "You said {{{event.payload.text}}}"),
                               (JinjaRenderer(), "You said {{ event.payload.text }}")]:  # fmt: skip
        payloads = _render("builtin_text", {"text$en": template}, memory=memory, renderer=renderer)
        assert payloads == [{"type": "text", "text": "You said {{temp.secret}}"}]


def test_say_arguments_join_the_context_and_memory_wins() -> None:
    form_data = {"text$en": "{{name}} / {{temp.x}}", "typing$en": True}
    args = {"name": "Ana", "temp": {"x": "from args"}, "collectFeedback": True, "typing": False}
    payloads = _render("builtin_text", form_data, args=args, memory=_memory(temp={"x": "memory"}))
    assert payloads == [TYPING, {"type": "text", "text": "Ana / memory", "collectFeedback": True}]


def test_every_string_of_the_element_is_rendered() -> None:
    form_data = {
        "text$en": "Pick, {{user.name}}",
        "choices$en": [{"title": "{{temp.a}}", "value": "a"}, {"title": "B", "value": "b-{{temp.a}}"}],
    }
    payloads = _render(
        "builtin_single-choice", form_data, memory=_memory(user={"name": "Ana"}, temp={"a": "x"})
    )
    assert payloads == [
        {
            "type": "single-choice",
            "text": "Pick, Ana",
            "quick_replies": [{"title": "x", "payload": "A"}, {"title": "B", "payload": "B-X"}],
        }
    ]


def test_image_payload() -> None:
    form_data = {"image$en": "/api/v1/bots/b/media/cat.png", "title$en": "A cat", "typing$en": True}
    assert _render("builtin_image", form_data, bot_url="http://localhost:3000") == [
        TYPING,
        {"type": "file", "title": "A cat", "url": "http://localhost:3000/api/v1/bots/b/media/cat.png"},
    ]
    absolute = _render("builtin_image", {"image$en": "{{{temp.url}}}"}, memory=_memory(temp={"url": "https://x/a.png?b=1&c"}),
                       bot_url="http://localhost:3000")  # fmt: skip
    assert absolute == [{"type": "file", "url": "https://x/a.png?b=1&c"}]


CARD = {
    "title": "Mars",
    "subtitle": "Red",
    "image": "/media/mars.png",
    "actions": [
        {"action": "Say something", "title": "Tell me", "text": "more"},
        {"action": "Open URL", "title": "Docs", "url": "BOT_URL/docs"},
        {"action": "Postback", "title": "Pick", "payload": "MARS"},
    ],
}
CARD_ELEMENT = {
    "title": "Mars",
    "picture": "http://bp/media/mars.png",
    "subtitle": "Red",
    "buttons": [
        {"type": "say_something", "title": "Tell me", "text": "more"},
        {"type": "open_url", "title": "Docs", "url": "http://bp/docs"},
        {"type": "postback", "title": "Pick", "payload": "MARS"},
    ],
}


def test_card_is_a_one_item_carousel() -> None:
    form_data = {f"{key}$en": value for key, value in CARD.items()}
    assert _render("builtin_card", form_data, bot_url="http://bp") == [
        {"text": " ", "type": "carousel", "elements": [CARD_ELEMENT]}
    ]


def test_carousel_payload() -> None:
    plain = {"title": "Moon"}
    form_data = {"items$en": [CARD, plain], "typing$en": True}
    assert _render("builtin_carousel", form_data, bot_url="http://bp") == [
        TYPING,
        {
            "text": " ",
            "type": "carousel",
            "elements": [CARD_ELEMENT, {"title": "Moon", "picture": None, "buttons": []}],
        },
    ]


def test_content_type_rendered_directly_renders_its_text_once() -> None:
    memory = _memory(user={"name": "Ana"}, temp={"t": "{{user.name}}"})
    args = {
        "text": "Hi {{user.name}} {{{temp.t}}}",
        "markdown": True,
        "typing": True,
        "title": "{{user.name}}",
    }
    payloads = render_content_type("builtin_text", args, memory, MustacheRenderer())
    assert payloads == [TYPING, {"type": "text", "markdown": True, "text": "Hi Ana {{user.name}}"}]
    choice = render_content_type(
        "builtin_single-choice",
        {"text": "?", "choices": [{"title": "Y", "value": "yes"}]},
        memory,
        MustacheRenderer(),
    )
    assert choice == [
        {"type": "single-choice", "text": "?", "quick_replies": [{"title": "Y", "payload": "YES"}]}
    ]


@pytest.mark.parametrize(
    ("content_type", "form_data", "message"),
    [
        ("builtin_video", {}, "unsupported content type 'builtin_video'"),
        ("builtin_single-choice", {"text$en": "?"}, "needs a list of choices"),
        (
            "builtin_single-choice",
            {"choices$en": ["yes"]},
            "choice 1 of a single-choice element must be an object",
        ),
        (
            "builtin_single-choice",
            {"choices$en": [{"title": "Y"}]},
            "choice 1 of a single-choice element has no value",
        ),
        ("builtin_image", {"title$en": "x"}, "needs an image URL"),
        ("builtin_carousel", {}, "needs a list of cards"),
        ("builtin_carousel", {"items$en": ["x"]}, "card 1 must be an object"),
        ("builtin_card", {"title$en": "x", "actions$en": [{"action": "Call"}]}, "not 'Call'"),
    ],
)
def test_invalid_elements_raise_content_errors(
    content_type: str, form_data: dict[str, Any], message: str
) -> None:
    with pytest.raises(ContentError, match=message) as caught:
        _render(content_type, form_data)
    assert isinstance(caught.value, FlowbotError)
