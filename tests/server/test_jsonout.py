"""Answers are written by orjson when it writes them as ``json`` does, by ``json`` otherwise."""

from __future__ import annotations

import enum
import json
from typing import Any

import pytest

from flowbot.server.jsonout import BotJSONAnswer
from flowbot.server.jsonout import BotJSONResponse
from flowbot.server.jsonout import bot_json
from flowbot.server.jsonout import bot_json_bytes
from flowbot.server.jsonout import standard_bot_json


class Level(enum.IntEnum):
    HIGH = 3


class Tag(str):
    pass


VALUES: list[Any] = [
    {"responses": [{"type": "text", "text": "héllo ✓ 😀", "markdown": True, "typing": 0.5}]},
    {"nested": {"list": [1, -2.5, None, False, "\u2028\x00\x1f\"\\"], "empty": {}}},
    {"nan": float("nan"), "inf": [float("inf"), float("-inf")], "ok": 1e-7},
    {1: "non-text key", 2.5: "float key", None: "null key"},
    {True: "bool key", "text": "key"},
    {"big": 2**70, "negative": -(2**65)},
    {"enum": Level.HIGH, "subclass": Tag("text")},
    [("a", "tuple")],
]


@pytest.mark.parametrize("value", VALUES)
def test_the_same_values_as_json(value: Any) -> None:
    # orjson writes some floats differently (1e-7 where json writes 1e-07): the values are equal
    fast = json.loads(bot_json_bytes(value))
    assert fast == json.loads(standard_bot_json(value))
    assert json.loads(bot_json(value)) == fast


def test_what_json_cannot_hold_is_refused_as_before() -> None:
    import datetime

    with pytest.raises(TypeError):
        bot_json_bytes({"when": datetime.date(2026, 1, 1)})


def test_fallback_writes_what_orjson_refuses() -> None:
    assert bot_json_bytes({1: 2**70}) == b'{"1":1180591620717411303424}'
    assert bot_json_bytes({"n": float("nan")}) == b'{"n":null}'


async def sent(app: Any) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    await app({"type": "http"}, receive, send)
    return messages


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("status", [200, 400])
async def test_answer_sends_what_the_response_sends(value: Any, status: int) -> None:
    assert await sent(BotJSONAnswer(value, status)) == await sent(BotJSONResponse(value, status))
