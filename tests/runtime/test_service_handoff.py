"""Turns that answer only their responses (the public Converse route): the SQLite store hands the
saved record to the user's next turn instead of parsing it again, and nothing of it leaks."""

from __future__ import annotations

import asyncio
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from flowbot.runtime.conversation import IncomingMessage
from flowbot.runtime.conversation import TurnResult
from flowbot.runtime.service import ConversationService
from flowbot.runtime.state import ConversationRecord
from flowbot.runtime.store import MemoryStore
from flowbot.runtime.store import SqliteStore
from flowbot.runtime.store import StateStore
from flowbot.runtime.turn import detached
from tests.runtime.botkit import flow
from tests.runtime.botkit import make_service
from tests.runtime.botkit import node
from tests.runtime.botkit import write_bot
from tests.runtime.test_service import FailOnSave
from tests.runtime.test_service import counter_bot

# The hook puts a list of session memory in every payload: the user's next turn appends to that list.
SHOW_SEEN = {
    "before_outgoing": {
        "01_seen.py": "async def run(payload, session):\n    payload['seen'] = session.get('seen')\n"
    }
}


async def answer(service: ConversationService, text: str, user: str = "u1") -> TurnResult:
    message = IncomingMessage(payload={"type": "text", "text": text})
    return await service.converse("bot", user, message, responses_only=True)


class FailingSqliteStore(FailOnSave, SqliteStore):
    pass


async def test_a_reusable_record_is_handed_to_the_next_load_once(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    await store.open()
    try:
        record = ConversationRecord(user={"name": "Ann"})
        await store.save("bot", "u1", record, {}, reusable=True)
        assert await store.load("bot", "u1") is record
        again = await store.load("bot", "u1")
        assert again is not record and again == record  # the second load parses the stored text
        await store.save("bot", "u1", again, {})
        assert await store.load("bot", "u1") is not again
    finally:
        await store.close()


async def test_a_shared_store_never_hands_records_over(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db", shared=True)
    await store.open()
    try:
        record = ConversationRecord(user={"name": "Ann"})
        await store.save("bot", "u1", record, {}, reusable=True)
        assert await store.load("bot", "u1") is not record  # another process may have written it
    finally:
        await store.close()


@pytest.mark.parametrize("store_kind", ["memory", "sqlite"])
async def test_responses_only_turns_store_the_same_conversation(tmp_path: Path, store_kind: str) -> None:
    stores: list[StateStore] = []
    for name in ("full", "responses"):
        store = MemoryStore() if store_kind == "memory" else SqliteStore(tmp_path / f"{name}.db")
        await store.open()
        stores.append(store)
    try:
        full = make_service(counter_bot(tmp_path), store=stores[0])
        lean = make_service(counter_bot(tmp_path), store=stores[1])
        for text in ["start", "one", "two", "three"]:
            message = IncomingMessage(payload={"type": "text", "text": text})
            expected = await full.converse("bot", "u1", message)
            got = await answer(lean, text)
            assert got.responses == expected.responses and got.errors == expected.errors
            assert got.state == {} and got.nlu == {}
        assert (await stores[1].load("bot", "u1")).session == (await stores[0].load("bot", "u1")).session
    finally:
        for store in stores:
            await store.close()


async def test_a_turn_that_fails_after_taking_the_handed_record_leaves_the_stored_state(
    tmp_path: Path,
) -> None:
    store = FailingSqliteStore(tmp_path / "state.db")
    await store.open()
    try:
        service = make_service(counter_bot(tmp_path), store=store)
        await answer(service, "start")
        await answer(service, "one")
        store.fail = True
        with pytest.raises(OSError, match="disk full"):
            await answer(service, "two")  # it appended "two" to the handed record, then failed
        store.fail = False
        await answer(service, "three")
        assert (await store.load("bot", "u1")).session["seen"] == ["one", "three"]
    finally:
        await store.close()


async def test_responses_share_nothing_with_the_memory_the_next_turn_changes(tmp_path: Path) -> None:
    main = flow(node("listen", on_receive=["record {}", "say #!builtin_text-ok"], next=[("true", "listen")]))
    root = write_bot(
        tmp_path / "bot",
        {"main.flow.json": main},
        texts={"builtin_text-ok": "ok"},
        actions={
            "record": "async def run(session, event):\n"
            "    session.setdefault('seen', []).append(event['payload']['text'])\n"
        },
        hooks=SHOW_SEEN,
    )
    store = SqliteStore(tmp_path / "state.db")
    await store.open()
    try:
        service = make_service(root, store=store)
        await answer(service, "start")
        first, second = await asyncio.gather(answer(service, "one"), answer(service, "two"))
        assert first.responses[-1]["seen"] == ["one"]
        assert second.responses[-1]["seen"] == ["one", "two"]
    finally:
        await store.close()


def test_detached_shares_no_container_whatever_the_payload_holds() -> None:
    nested = {"items": [1, 2], "when": {"at": "noon"}}
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    for payload in ({"type": "custom", "data": nested}, {"type": "custom", "data": nested, "at": stamp}):
        copy = detached([payload])
        assert copy == [payload]
        assert copy[0]["data"] is not nested and copy[0]["data"]["items"] is not nested["items"]
    assert detached([{"ratio": float("nan")}]) == [{"ratio": None}]  # as the JSON answer writes it
    assert detached([{"big": 2**70}]) == [{"big": 2**70}]
