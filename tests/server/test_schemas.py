"""The public route's hand-written checks decide as the slower ones: the body as the pydantic model
reads it (the same values, or the same 400 message), the text's length as JavaScript counts it."""

from __future__ import annotations

from typing import Any

import pytest

from flowbot.server.errors import StandardError
from flowbot.server.routes.converse import js_length
from flowbot.server.routes.converse import within_js_length
from flowbot.server.schemas import ConverseBody
from flowbot.server.schemas import parse_body
from flowbot.server.schemas import parse_public_body


class Text(str):
    pass


BODIES: list[Any] = [
    {"text": "hi"},
    {"type": "text", "text": "hi"},
    {"type": "text", "text": "é 😀 \u2028 \x00", "includedContexts": ["global", "x"], "metadata": {"a": [1]}},
    {"text": "hi", "includedContexts": []},
    {"text": "hi", "metadata": {"nested": {"a": None}, "n": 2**70}},
    {"text": "hi", "includedContexts": ["\udc00"], "metadata": {"\ud800": 1}},
    {"text": "\ud800"},
    {"text": "a\udfffb", "type": "text"},
    {},
    {"text": ""},
    {"text": None},
    {"text": 1},
    {"text": True},
    {"text": ["hi"]},
    {"text": Text("hi")},
    {"type": None, "text": "hi"},
    {"type": "TEXT", "text": "hi"},
    {"type": "quick_reply", "text": "hi"},
    {"type": 1, "text": "hi"},
    {"type": Text("text"), "text": "hi"},
    {"text": "hi", "includedContexts": None},
    {"text": "hi", "includedContexts": "global"},
    {"text": "hi", "includedContexts": ["a", 1]},
    {"text": "hi", "includedContexts": ("a",)},
    {"text": "hi", "includedContexts": [Text("a")]},
    {"text": "hi", "metadata": None},
    {"text": "hi", "metadata": []},
    {"text": "hi", "metadata": {1: "a"}},
    {"text": "hi", "extra": 1},
    {"extra": 1},
    {1: "hi"},
    [{"text": "hi"}],
    "hi",
    None,
    17,
]


def outcome(parse: Any, body: Any) -> tuple[str, Any]:
    try:
        parsed = parse(body)
    except StandardError as exc:
        return "error", exc.message
    return "ok", (parsed.text, parsed.includedContexts, parsed.metadata)


@pytest.mark.parametrize("body", BODIES, ids=repr)
def test_public_body_is_read_as_the_model_reads_it(body: Any) -> None:
    assert outcome(parse_public_body, body) == outcome(lambda b: parse_body(ConverseBody, b), body)


def test_the_defaults_are_fresh_each_time() -> None:
    first = parse_public_body({"text": "a"})
    first.includedContexts.append("x")
    first.metadata["y"] = 1
    assert parse_public_body({"text": "a"})[1:] == (["global"], {})


TEXTS = ["", "a", "abcd", "\x7f" * 3, "é", "😀", "😀😀a", "a😀😀", "😀" * 3, "€" * 5]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("limit", [0, 1, 2, 3, 4, 5, 6, 7, 10])
def test_length_is_checked_as_javascript_counts(text: str, limit: int) -> None:
    assert within_js_length(text, limit) == (js_length(text) <= limit)
