"""The conversation service on every store (memory, SQLite alone or shared, PostgreSQL): the
same conversations, expiries and timeouts, whatever keeps the state. PostgreSQL's lease reads
the record with the lock; these tests check that a turn sees what it saved earlier in the same
lock (a timeout processed before the message) and what other users changed in bot memory."""

from __future__ import annotations

from pathlib import Path

from flowbot.runtime.conversation import TurnResult
from flowbot.runtime.service import ConversationService
from flowbot.runtime.store import StateStore
from tests.runtime.botkit import make_service
from tests.runtime.botkit import position
from tests.runtime.botkit import say
from tests.runtime.botkit import texts
from tests.runtime.test_expiry import Clock
from tests.runtime.test_expiry import bot
from tests.runtime.test_store import store  # noqa: F401 - the same stores, as a fixture

SET_BOT = 'builtin/setVariable {"type":"bot","name":"last_{{event.target}}","value":"{{event.payload.text}}"}'


def service_on(store: StateStore, folder: Path, clock: Clock, **options: object) -> ConversationService:
    return make_service(folder, store=store, clock=clock, **options)  # type: ignore[arg-type]


async def test_a_conversation_and_its_session_expiry(store: StateStore, tmp_path: Path) -> None:
    clock = Clock()
    service = service_on(store, bot(tmp_path), clock)
    assert texts(await say(service, "bot", "hi")) == ["ask"]
    result = await say(service, "bot", "cats")
    assert texts(result) == ["got"] and result.state["session"]["topic"] == "cats"
    clock.now += 31 * 60
    assert await service.expire() == 1
    record = await store.load("bot", "u1")
    assert record.context.is_empty and record.user == {"name": "Ann"}


async def test_a_timeout_processed_before_the_message_is_seen_by_the_message(
    store: StateStore, tmp_path: Path
) -> None:
    """The turn saves the timeout, then runs the message in the same lock on what it saved."""
    clock = Clock()
    sent: list[TurnResult] = []

    async def sink(bot_id: str, user_id: str, result: TurnResult) -> None:
        sent.append(result)

    service = service_on(store, bot(tmp_path, timeout_node=True), clock, on_proactive=sink)
    await say(service, "bot", "hi")
    clock.now += 6 * 60
    result = await say(service, "bot", "cats")
    assert [texts(r) for r in sent] == [["timeout"]]
    assert texts(result) == ["ask"] and position(result) == ("main.flow.json", "ask")
    assert (await store.load("bot", "u1")).timeouts == 0


async def test_the_janitor_runs_a_timeout_once(store: StateStore, tmp_path: Path) -> None:
    clock = Clock()
    sent: list[TurnResult] = []

    async def sink(bot_id: str, user_id: str, result: TurnResult) -> None:
        sent.append(result)

    service = service_on(store, bot(tmp_path, timeout_node=True), clock, on_proactive=sink)
    await say(service, "bot", "hi")
    clock.now += 6 * 60
    assert await service.expire() == 1
    assert await service.expire() == 0
    assert [texts(r) for r in sent] == [["timeout"]]


async def test_bot_memory_is_shared_by_the_users_of_a_bot(store: StateStore, tmp_path: Path) -> None:
    from tests.runtime.botkit import flow
    from tests.runtime.botkit import node
    from tests.runtime.botkit import write_bot

    folder = write_bot(
        tmp_path / "bot",
        {"main.flow.json": flow(node("entry", on_enter=[SET_BOT], on_receive=[], next=[("true", "entry")]))},
    )
    service = service_on(store, folder, Clock())
    await say(service, "bot", "one", user="a")
    await say(service, "bot", "two", user="b")
    result = await say(service, "bot", "three", user="a")
    assert result.state["bot"] == {"last_a": "three", "last_b": "two"}
    assert await store.load_bot_memory("bot") == {"last_a": "three", "last_b": "two"}
