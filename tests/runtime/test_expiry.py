"""Session and context expiry (§2.9), driven by a fake clock."""

from __future__ import annotations

import asyncio
from pathlib import Path

from flowbot.runtime.bot_runtime import RuntimeSettings
from flowbot.runtime.conversation import TurnResult
from tests.runtime.botkit import flow
from tests.runtime.botkit import make_service
from tests.runtime.botkit import node
from tests.runtime.botkit import position
from tests.runtime.botkit import say
from tests.runtime.botkit import texts
from tests.runtime.botkit import write_bot

TEXTS = {f"builtin_text-{name}": name for name in ("ask", "got", "timeout", "flow-timeout")}
SET_SESSION = 'builtin/setVariable {"type":"session","name":"topic","value":"{{event.payload.text}}"}'
SET_USER = 'builtin/setVariable {"type":"user","name":"name","value":"Ann"}'


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def bot(tmp_path: Path, *, timeout_node: bool = False, timeout_flow: bool = False) -> Path:
    nodes = [
        node(
            "ask",
            on_enter=["say #!builtin_text-ask", SET_USER],
            on_receive=[SET_SESSION],
            next=[("true", "got")],
        ),
        node("got", on_enter=["say #!builtin_text-got"], on_receive=[]),
    ]
    if timeout_node:
        nodes.append(node("timeout", on_enter=["say #!builtin_text-timeout"]))
    flows = {"main.flow.json": flow(*nodes)}
    if timeout_flow:
        flows["timeout.flow.json"] = flow(node("entry", on_enter=["say #!builtin_text-flow-timeout"]))
    config = {"dialog": {"timeoutInterval": "5m", "sessionTimeoutInterval": "30m"}}
    return write_bot(tmp_path / "bot", flows, texts=TEXTS, config=config)


async def test_an_expired_session_starts_over_but_user_memory_stays(tmp_path: Path) -> None:
    clock = Clock()
    service = make_service(bot(tmp_path), clock=clock)
    await say(service, "bot", "hi")
    result = await say(service, "bot", "cats")
    assert result.state["session"]["topic"] == "cats"
    clock.now += 31 * 60
    assert await service.expire() == 1
    record = await service.store.load("bot", "u1")
    assert record.session == {"lastMessages": [], "workflows": {}}
    assert record.context.is_empty
    assert record.user == {"name": "Ann"}


async def test_a_message_after_session_expiry_starts_a_new_conversation_without_the_janitor(
    tmp_path: Path,
) -> None:
    clock = Clock()
    service = make_service(bot(tmp_path), clock=clock)
    await say(service, "bot", "hi")
    await say(service, "bot", "cats")
    clock.now += 31 * 60
    result = await say(service, "bot", "hello again")
    assert texts(result) == ["ask"]
    assert "topic" not in result.state["session"]


async def test_an_expired_context_runs_the_timeout_node_and_reports_it_proactively(tmp_path: Path) -> None:
    clock = Clock()
    sent: list[tuple[str, str, TurnResult]] = []

    async def sink(bot_id: str, user_id: str, result: TurnResult) -> None:
        sent.append((bot_id, user_id, result))

    service = make_service(bot(tmp_path, timeout_node=True), clock=clock, on_proactive=sink)
    await say(service, "bot", "hi")
    clock.now += 4 * 60
    assert await service.expire() == 0  # not yet
    clock.now += 2 * 60
    assert await service.expire() == 1
    ((bot_id, user_id, result),) = sent
    assert (bot_id, user_id, texts(result)) == ("bot", "u1", ["timeout"])
    record = await service.store.load("bot", "u1")
    assert record.context.is_empty and record.temp == {}
    # the timeout was processed once: nothing more to do
    assert await service.expire() == 0


async def test_the_timeout_flow_is_used_when_the_flow_has_no_timeout_node(tmp_path: Path) -> None:
    clock = Clock()
    sent: list[TurnResult] = []

    async def sink(bot_id: str, user_id: str, result: TurnResult) -> None:
        sent.append(result)

    service = make_service(bot(tmp_path, timeout_flow=True), clock=clock, on_proactive=sink)
    await say(service, "bot", "hi")
    clock.now += 6 * 60
    await service.expire()
    assert [texts(r) for r in sent] == [["flow-timeout"]]


async def test_without_timeout_node_an_expired_context_is_cleared(tmp_path: Path) -> None:
    clock = Clock()
    service = make_service(bot(tmp_path), clock=clock)
    await say(service, "bot", "hi")
    clock.now += 6 * 60
    # no janitor pass: the next message processes the timeout first, then starts over
    result = await say(service, "bot", "cats")
    assert texts(result) == ["ask"]
    assert position(result) == ("main.flow.json", "ask")


async def test_a_timeout_node_that_waits_keeps_the_context(tmp_path: Path) -> None:
    clock = Clock()
    flows = {"main.flow.json": flow(
        node("ask", on_enter=["say #!builtin_text-ask"], on_receive=[], next=[("true", "got")]),
        node("got", on_enter=["say #!builtin_text-got"]),
        node("timeout", on_enter=["say #!builtin_text-timeout"], on_receive=[], next=[("true", "got")]),
    )}  # fmt: skip
    service = make_service(write_bot(tmp_path / "bot", flows, texts=TEXTS), clock=clock)
    await say(service, "bot", "hi")
    clock.now += 26 * 60  # the default context timeout is 25 minutes
    await service.expire()
    record = await service.store.load("bot", "u1")
    assert (record.context.currentFlow, record.context.currentNode) == ("main.flow.json", "timeout")
    assert texts(await say(service, "bot", "back")) == ["got"]


async def test_repeated_timeouts_without_messages_stop(tmp_path: Path) -> None:
    clock = Clock()
    flows = {"main.flow.json": flow(
        node("ask", on_receive=[]),
        node("timeout", on_enter=["say #!builtin_text-timeout"], on_receive=[], next=[("true", "ask")]),
    )}  # fmt: skip
    sent: list[TurnResult] = []

    async def sink(bot_id: str, user_id: str, result: TurnResult) -> None:
        sent.append(result)

    service = make_service(write_bot(tmp_path / "bot", flows, texts=TEXTS), clock=clock, on_proactive=sink)
    await say(service, "bot", "hi")
    for _ in range(8):
        clock.now += 26 * 60  # past the context timeout (25 min), inside the session timeout (30 min)
        await service.expire()
    assert len(sent) == 5
    assert (await service.store.load("bot", "u1")).context.is_empty


async def test_the_janitor_runs_in_the_background_while_the_service_is_open(tmp_path: Path) -> None:
    clock = Clock()
    sent: list[TurnResult] = []

    async def sink(bot_id: str, user_id: str, result: TurnResult) -> None:
        sent.append(result)

    settings = RuntimeSettings(janitor_interval=0.01)
    service = make_service(bot(tmp_path, timeout_node=True), clock=clock, on_proactive=sink, settings=settings)
    async with service:
        await say(service, "bot", "hi")
        clock.now += 6 * 60
        for _ in range(200):
            if sent:
                break
            await asyncio.sleep(0.01)
    assert [texts(r) for r in sent] == [["timeout"]]
