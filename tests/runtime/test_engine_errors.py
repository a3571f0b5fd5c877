"""Errors (§2.6) and loop protection (§2.5): the turn always ends cleanly, through the error flow."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from flowbot.runtime.bot_runtime import RuntimeSettings
from tests.runtime.botkit import flow
from tests.runtime.botkit import make_service
from tests.runtime.botkit import node
from tests.runtime.botkit import position
from tests.runtime.botkit import say
from tests.runtime.botkit import texts
from tests.runtime.botkit import write_bot

TEXTS = {f"builtin_text-{name}": name for name in ("a", "b", "oops", "custom", "after")}
ERROR_FLOW = flow(node("entry", on_enter=["say #!builtin_text-oops"]))


def bot(tmp_path: Path, main: dict[str, object], **flows: dict[str, object]) -> Path:
    return write_bot(tmp_path / "bot", {"main.flow.json": main, **flows}, texts=TEXTS)


async def test_an_unknown_action_goes_to_the_error_flow(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    main = flow(node("one", on_enter=["say #!builtin_text-a", "no/such_action {}", "say #!builtin_text-b"]))
    service = make_service(bot(tmp_path, main, **{"error.flow.json": ERROR_FLOW}))
    with caplog.at_level(logging.ERROR, "flowbot.runtime"):
        result = await say(service, "bot", "hi")
    assert texts(result) == ["a", "oops"]
    assert result.errors[0]["type"] == "action-execution"
    assert 'Action "no/such_action" not found in main.flow.json:one' in result.errors[0]["message"]
    assert "bot bot, flow main.flow.json, node one" in caplog.text


async def test_temp_on_error_flow_to_overrides_the_error_flow(tmp_path: Path) -> None:
    set_target = 'builtin/setVariable {"type":"temp","name":"onErrorFlowTo","value":"custom.flow.json"}'
    main = flow(node("one", on_enter=[set_target, "no/such_action {}"]))
    custom = flow(node("entry", on_enter=["say #!builtin_text-custom"]))
    service = make_service(bot(tmp_path, main, **{"error.flow.json": ERROR_FLOW, "custom.flow.json": custom}))
    assert texts(await say(service, "bot", "hi")) == ["custom"]


async def test_a_transition_to_an_unknown_node_goes_to_the_error_flow(tmp_path: Path) -> None:
    main = flow(node("one", on_enter=["say #!builtin_text-a"], next=[("true", "nowhere")]))
    service = make_service(bot(tmp_path, main, **{"error.flow.json": ERROR_FLOW}))
    result = await say(service, "bot", "hi")
    assert texts(result) == ["a", "oops"]
    assert result.errors[0]["type"] == "dialog-transition"
    assert "Node not found: nowhere" in result.errors[0]["message"]


async def test_a_transition_to_an_unknown_flow_goes_to_the_error_flow(tmp_path: Path) -> None:
    main = flow(node("one", next=[("true", "ghost.flow.json")]))
    service = make_service(bot(tmp_path, main, **{"error.flow.json": ERROR_FLOW}))
    result = await say(service, "bot", "hi")
    assert texts(result) == ["oops"]
    assert "Flow not found: ghost.flow.json" in result.errors[0]["message"]


async def test_a_two_node_loop_is_stopped_cleans_state_and_runs_the_error_flow_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    set_temp = 'builtin/setVariable {"type":"temp","name":"x","value":"1"}'
    main = flow(
        node("ping", on_enter=[set_temp, "say #!builtin_text-a"], next=[("true", "pong")]),
        node("pong", on_enter=["say #!builtin_text-b"], next=[("true", "ping")]),
    )
    service = make_service(bot(tmp_path, main, **{"error.flow.json": ERROR_FLOW}))
    with caplog.at_level(logging.ERROR, "flowbot.runtime"):
        result = await say(service, "bot", "hi")
    assert texts(result) == ["a", "b", "a", "b", "a", "oops"]
    assert [e["type"] for e in result.errors] == ["infinite-loop"]
    message = result.errors[0]["message"]
    assert message.startswith(
        "Infinite loop detected. (main.flow.json (ping) --> main.flow.json (pong) --> main.flow.json (ping))"
    )
    assert "Infinite loop detected" in caplog.text
    # temp was cleaned before the error flow ran, and the error flow ended the conversation
    assert result.state["temp"] == {}
    assert result.state["context"] == {}
    # the service is still up: the next message starts over
    assert texts(await say(service, "bot", "hi"))[:2] == ["a", "b"]


async def test_a_loop_through_a_subflow_is_detected(tmp_path: Path) -> None:
    main = flow(node("call", next=[("true", "sub.flow.json")]))
    sub = flow(node("entry", on_enter=["say #!builtin_text-a"], next=[("true", "main.flow.json")]))
    service = make_service(bot(tmp_path, main, **{"sub.flow.json": sub, "error.flow.json": ERROR_FLOW}))
    result = await say(service, "bot", "hi")
    assert texts(result)[-1] == "oops"
    assert result.errors[0]["type"] == "infinite-loop"


async def test_the_instruction_cap_stops_a_turn_that_never_revisits_a_node(tmp_path: Path) -> None:
    nodes = [
        node(f"n{i}", on_enter=["say #!builtin_text-a"], next=[("true", f"n{i + 1}")]) for i in range(30)
    ]
    main = flow(*nodes, node("n30"))
    settings = RuntimeSettings(max_instructions=20)
    service = make_service(bot(tmp_path, main, **{"error.flow.json": ERROR_FLOW}), settings=settings)
    result = await say(service, "bot", "hi")
    assert texts(result)[-1] == "oops"
    assert result.errors[0]["type"] == "infinite-loop"
    assert "more than 20 instructions" in result.errors[0]["message"]


async def test_an_error_flow_that_loops_is_abandoned_cleanly(tmp_path: Path) -> None:
    main = flow(node("one", on_enter=["no/such_action {}"]))
    looping_error = flow(
        node("entry", on_enter=["say #!builtin_text-oops"], next=[("true", "again")]),
        node("again", next=[("true", "entry")]),
    )
    settings = RuntimeSettings(max_instructions=50)
    service = make_service(bot(tmp_path, main, **{"error.flow.json": looping_error}), settings=settings)
    result = await say(service, "bot", "hi")
    assert "oops" in texts(result)
    assert result.state["context"] == {}
    assert any("error flow failed" in e["message"] for e in result.errors)


async def test_a_bot_without_error_flow_still_ends_the_turn(tmp_path: Path) -> None:
    main = flow(node("one", on_enter=["say #!builtin_text-a", "no/such_action {}"]))
    service = make_service(bot(tmp_path, main))
    result = await say(service, "bot", "hi")
    assert texts(result) == ["a"]
    assert result.state["context"] == {}


async def test_a_condition_that_cannot_be_evaluated_stops_the_turn(tmp_path: Path) -> None:
    main = flow(
        node("one", on_enter=["say #!builtin_text-a"], next=[("undefinedName.x === 1", "two")]), node("two")
    )
    service = make_service(bot(tmp_path, main, **{"error.flow.json": ERROR_FLOW}))
    result = await say(service, "bot", "hi")
    assert texts(result) == ["a"]
    assert result.errors[0]["type"] == "dialog-engine"
    # as in Botpress, the failing instruction stays queued
    assert position(result) == ("main.flow.json", "one")


async def test_a_type_error_in_a_condition_is_false(tmp_path: Path) -> None:
    main = flow(
        node("one", next=[("temp.missing.deeper === 1", "two"), ("true", "three")]),
        node("two", on_enter=["say #!builtin_text-a"]),
        node("three", on_enter=["say #!builtin_text-b"]),
    )
    service = make_service(bot(tmp_path, main))
    assert texts(await say(service, "bot", "hi")) == ["b"]


async def test_skill_calls_that_enter_each_other_forever_are_stopped(tmp_path: Path) -> None:
    # no instruction runs and no node is recorded in the trace: only the step cap can stop it
    calls_itself = {
        **node("loop"),
        "type": "skill-call",
        "skill": "choice",
        "flow": "skills/loop.flow.json",
        "onEnter": None,
    }
    flows = {"main.flow.json": flow(calls_itself), "skills/loop.flow.json": flow(calls_itself)}
    root = write_bot(tmp_path / "bot", {**flows, "error.flow.json": ERROR_FLOW}, texts=TEXTS)
    service = make_service(root, settings=RuntimeSettings(max_instructions=100))
    result = await say(service, "bot", "hi")
    assert texts(result) == ["oops"]
    assert result.errors[0]["type"] == "infinite-loop"
    assert result.state["context"] == {}
