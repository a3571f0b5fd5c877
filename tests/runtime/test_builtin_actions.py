"""The builtin/* actions, called directly with an action context."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from flowbot.runtime.actions import ActionContext
from flowbot.runtime.actions import ActionError
from flowbot.runtime.actions.base import js_number
from flowbot.runtime.actions.builtin import append_context
from flowbot.runtime.actions.builtin import increment_number_of_conversations
from flowbot.runtime.actions.builtin import remove_context
from flowbot.runtime.actions.builtin import reset_context
from flowbot.runtime.actions.builtin import reset_session
from flowbot.runtime.actions.builtin import set_variable
from flowbot.runtime.bot import BotDefinition
from flowbot.runtime.events import make_event
from flowbot.runtime.flow import BotConfig
from flowbot.runtime.state import ConversationRecord
from flowbot.runtime.templates import renderer_for
from flowbot.runtime.turn import DELETED
from flowbot.runtime.turn import Turn


def make_turn(record: ConversationRecord | None = None, bot_memory: dict[str, Any] | None = None) -> Turn:
    event = make_event(event_id="1", bot_id="b", user_id="u", payload={"type": "text", "text": "hi"})
    return Turn(
        bot_id="b",
        event=event,
        record=record or ConversationRecord(),
        bot_memory=bot_memory or {},
        now=0.0,
        rng=random.Random(0),
        language="en",
    )


def context(turn: Turn, **args: Any) -> ActionContext:
    bot = BotDefinition(bot_id="b", root=Path("."), config=BotConfig())
    return ActionContext(turn, args, bot, renderer_for("mustache"), None, 1.0)


async def test_set_variable_sets_and_deletes_in_each_scope() -> None:
    turn = make_turn()
    for scope in ("user", "session", "temp", "bot"):
        await set_variable(context(turn, type=scope, name="x", value="1"))
    assert (turn.user["x"], turn.session["x"], turn.temp["x"], turn.bot["x"]) == ("1", "1", "1", "1")
    await set_variable(context(turn, type="user", name="x", value="null"))
    await set_variable(context(turn, type="session", name="x", value=""))
    await set_variable(context(turn, type="temp", name="x"))
    assert "x" not in turn.user and "x" not in turn.session and "x" not in turn.temp


async def test_set_variable_stores_json_values_as_they_are_and_dotted_paths_nest() -> None:
    turn = make_turn()
    await set_variable(context(turn, type="temp", name="count", value=3))
    await set_variable(context(turn, type="temp", name="flag", value=None))
    await set_variable(context(turn, type="session", name="order.items", value=[1, 2]))
    await set_variable(context(turn, type="session", name="order.id", value={"n": 7}))
    assert turn.temp == {"count": 3, "flag": None}
    assert turn.session["order"] == {"items": [1, 2], "id": {"n": 7}}
    await set_variable(context(turn, type="session", name="order.items", value="null"))
    assert turn.session["order"] == {"id": {"n": 7}}


async def test_set_variable_rejects_an_unknown_scope() -> None:
    with pytest.raises(ActionError, match="unknown memory type 'global'"):
        await set_variable(context(make_turn(), type="global", name="x", value="1"))


async def test_reset_session_keeps_history_contexts_and_workflows() -> None:
    record = ConversationRecord(
        temp={"a": 1}, session={"lastMessages": [1], "nluContexts": [2], "workflows": {}, "slots": {}, "x": 1}
    )
    turn = make_turn(record)
    await reset_session(context(turn))
    assert turn.temp == {}
    assert turn.session == {"lastMessages": [1], "nluContexts": [2], "workflows": {}}


async def test_contexts_append_keeps_the_highest_ttl_remove_and_reset() -> None:
    turn = make_turn()
    await append_context(context(turn, contexts="a,b", ttl="3"))
    await append_context(context(turn, contexts=" b,c ", ttl="7"))
    await append_context(context(turn, contexts="a", ttl="1"))
    assert turn.session["nluContexts"] == [
        {"context": "a", "ttl": 3},
        {"context": "b", "ttl": 7},
        {"context": "c", "ttl": 7},
    ]
    await append_context(context(turn, contexts="d"))
    assert turn.session["nluContexts"][-1] == {"context": "d", "ttl": 1000}  # Number(undefined) is NaN
    await remove_context(context(turn, contexts="a,c"))
    assert [c["context"] for c in turn.session["nluContexts"]] == ["b", "d"]
    await reset_context(context(turn))
    assert turn.session["nluContexts"] == []


async def test_increment_number_of_conversations_starts_at_zero() -> None:
    turn = make_turn()
    for expected in (0, 1, 2):
        await increment_number_of_conversations(context(turn, output="$r"))
        assert turn.temp["$r"] == expected
    assert turn.kv == {"numberOfConversations": 2}


def test_bot_memory_changes_are_the_keys_a_turn_touched() -> None:
    turn = make_turn(bot_memory={"keep": 1, "change": 1, "drop": 1})
    turn.bot["change"] = 2
    turn.bot["new"] = 3
    del turn.bot["drop"]
    assert turn.bot_memory_changes() == {"change": 2, "new": 3, "drop": DELETED}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10", 10.0),
        (" 2.5 ", 2.5),
        ("", 0.0),
        (True, 1.0),
        (3, 3.0),
        ("0x1f", 31.0),
        ("Infinity", float("inf")),
    ],
)
def test_js_number(value: Any, expected: float) -> None:
    assert js_number(value) == expected


@pytest.mark.parametrize("value", [None, "abc", "1_000", "inf", "nan", [1], {}])
def test_js_number_nan(value: Any) -> None:
    assert js_number(value) != js_number(value)
