"""The instruction-queue model of §2.1: onEnter, wait, onReceive, catchAll, transitions, end of flow."""

from __future__ import annotations

from pathlib import Path

from tests.runtime.botkit import flow
from tests.runtime.botkit import make_service
from tests.runtime.botkit import node
from tests.runtime.botkit import position
from tests.runtime.botkit import say
from tests.runtime.botkit import texts
from tests.runtime.botkit import write_bot

TEXTS = {f"builtin_text-{name}": name for name in ("a", "b", "c", "d", "got", "all", "x", "end")}


def set_temp(name: str, value: str) -> str:
    return f'builtin/setVariable {{"type":"temp","name":"{name}","value":"{value}"}}'


async def test_nodes_without_on_receive_run_through_and_the_flow_ends(tmp_path: Path) -> None:
    bot = write_bot(
        tmp_path / "bot",
        {
            "main.flow.json": flow(
                node("one", on_enter=["say #!builtin_text-a", set_temp("x", "1")], next=[("true", "two")]),
                node(
                    "two",
                    on_enter=["say #!builtin_text-b"],
                    next=[("temp.x === '2'", "one"), ("temp.x === '1'", "three")],
                ),
                node("three", on_enter=["say #!builtin_text-c"]),
            )
        },
        texts=TEXTS,
    )
    service = make_service(bot)
    result = await say(service, "bot", "hello")
    assert texts(result) == ["a", "b", "c"]
    # the queue of `three` is exhausted: end of flow, context and temp are cleaned
    assert result.state["context"] == {}
    assert result.state["temp"] == {}
    assert [(e["flow"], e["node"]) for e in result.state["__stacktrace"]] == [
        ("main.flow.json", "one"),
        ("main.flow.json", "two"),
        ("main.flow.json", "three"),
    ]


async def test_an_empty_on_receive_waits_and_the_next_message_resumes_the_queue(tmp_path: Path) -> None:
    wait_node = node(
        "ask",
        on_enter=["say #!builtin_text-a"],
        on_receive=[set_temp("answer", "{{event.payload.text}}")],
        next=[("true", "done")],
    )
    bot = write_bot(
        tmp_path / "bot",
        {"main.flow.json": flow(wait_node, node("done", on_enter=["say #!builtin_text-got"], on_receive=[]))},
        texts=TEXTS,
    )
    service = make_service(bot)
    first = await say(service, "bot", "hello")
    assert texts(first) == ["a"]
    assert position(first) == ("main.flow.json", "ask")
    # the rest of the queue is stored: onReceive, then the transitions
    queue = first.state["context"]["queue"]["instructions"]
    assert [i["type"] for i in queue] == ["on-receive", "transition"]
    second = await say(service, "bot", "Bob")
    assert texts(second) == ["got"]
    assert second.state["temp"]["answer"] == "Bob"
    assert position(second) == ("main.flow.json", "done")
    third = await say(service, "bot", "again")
    # `done` waited with an empty onReceive and no transitions: the flow ends
    assert texts(third) == []
    assert third.state["context"] == {}


async def test_catch_all_on_receive_runs_only_for_nodes_that_wait(tmp_path: Path) -> None:
    catch_all = {"onReceive": ["say #!builtin_text-all"], "next": []}
    bot = write_bot(
        tmp_path / "bot",
        {
            "main.flow.json": flow(
                node("pass", on_enter=["say #!builtin_text-a"], next=[("true", "ask")]),
                node("ask", on_receive=["say #!builtin_text-got"], next=[("true", "pass")]),
                catch_all=catch_all,
            )
        },
        texts=TEXTS,
    )
    service = make_service(bot)
    assert texts(await say(service, "bot", "hi")) == ["a"]
    assert texts(await say(service, "bot", "hi")) == ["all", "got", "a"]


async def test_catch_all_transitions_come_first_and_never_target_the_current_node(tmp_path: Path) -> None:
    catch_all = {
        "next": [
            {"condition": "event.payload.text === 'stop'", "node": "stopped"},
            {"condition": "true", "node": "ask"},
        ]
    }
    bot = write_bot(
        tmp_path / "bot",
        {
            "main.flow.json": flow(
                node("ask", on_enter=["say #!builtin_text-a"], on_receive=[], next=[("true", "other")]),
                node("other", on_enter=["say #!builtin_text-b"], on_receive=[]),
                node("stopped", on_enter=["say #!builtin_text-end"]),
                catch_all=catch_all,
            )
        },
        texts=TEXTS,
    )
    service = make_service(bot)
    assert texts(await say(service, "bot", "hi")) == ["a"]
    # at `ask` the catch-all `true -> ask` is dropped (self-target), so the node's own transition runs
    assert texts(await say(service, "bot", "go")) == ["b"]
    # at `other` the catch-all `true -> ask` applies before anything else
    assert texts(await say(service, "bot", "go")) == ["a"]
    # `stopped` has no transition of its own, but the flow-wide `true -> ask` still applies
    assert texts(await say(service, "bot", "stop")) == ["end", "a"]


async def test_no_matching_transition_ends_the_flow_but_session_memory_survives(tmp_path: Path) -> None:
    set_session = 'builtin/setVariable {"type":"session","name":"seen","value":"yes"}'
    bot = write_bot(
        tmp_path / "bot",
        {
            "main.flow.json": flow(
                node(
                    "one",
                    on_enter=[set_session, set_temp("t", "1"), "say #!builtin_text-a"],
                    next=[("temp.t === '2'", "one")],
                ),
            )
        },
        texts=TEXTS,
    )
    service = make_service(bot)
    result = await say(service, "bot", "hi")
    assert result.state["context"] == {}
    assert result.state["temp"] == {}
    assert result.state["session"]["seen"] == "yes"
    # the next message starts main.flow.json again
    assert texts(await say(service, "bot", "hi")) == ["a"]


async def test_end_and_unconnected_ports_end_the_flow(tmp_path: Path) -> None:
    bot = write_bot(
        tmp_path / "bot",
        {
            "main.flow.json": flow(
                node(
                    "one",
                    on_enter=["say #!builtin_text-a"],
                    on_receive=[],
                    next=[("event.payload.text === 'end'", "END"), ("true", "")],
                ),
            )
        },
        texts=TEXTS,
    )
    service = make_service(bot)
    await say(service, "bot", "hi")
    assert (await say(service, "bot", "end")).state["context"] == {}
    await say(service, "bot", "hi")
    assert (await say(service, "bot", "other")).state["context"] == {}


async def test_last_node_condition_compares_with_the_previous_node_of_the_trace(tmp_path: Path) -> None:
    bot = write_bot(
        tmp_path / "bot",
        {
            "main.flow.json": flow(
                node("first", next=[("true", "router")]),
                node("router", next=[("lastNode=first", "came-from-first"), ("true", "other")]),
                node("came-from-first", on_enter=["say #!builtin_text-got"]),
                node("other", on_enter=["say #!builtin_text-x"]),
            )
        },
        texts=TEXTS,
    )
    service = make_service(bot)
    assert texts(await say(service, "bot", "hi")) == ["got"]


async def test_a_say_with_invalid_arguments_stops_the_turn_and_is_reported(tmp_path: Path) -> None:
    bot = write_bot(
        tmp_path / "bot",
        {
            "main.flow.json": flow(
                node(
                    "one",
                    on_enter=[
                        "say #!builtin_text-a",
                        "say #!builtin_text-b {not json",
                        "say #!builtin_text-c",
                    ],
                )
            )
        },
        texts=TEXTS,
    )
    service = make_service(bot)
    result = await say(service, "bot", "hi")
    assert texts(result) == ["a"]
    assert result.errors[0]["type"] == "dialog-engine"
    assert "invalid arguments" in result.errors[0]["message"]
