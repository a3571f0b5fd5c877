"""State stores: the memory, SQLite (one process or shared) and PostgreSQL stores pass the same
tests; then what stores shared by several processes must do; then SQLite specifics.

The PostgreSQL cases need FLOWBOT_TEST_POSTGRES_URL (``.ci/run`` sets it; they skip without it)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from flowbot.runtime.state import ConversationRecord
from flowbot.runtime.state import DialogContext
from flowbot.runtime.store import DELETED
from flowbot.runtime.store import MemoryStore
from flowbot.runtime.store import SqliteStore
from flowbot.runtime.store import StateStore
from flowbot.runtime.store import StoreUrlError
from flowbot.runtime.store import create_store


def make_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> StateStore:
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SqliteStore(tmp_path / "data" / "state.db")
    if kind == "sqlite-shared":
        return SqliteStore(tmp_path / "data" / "state.db", shared=True)
    return create_store(request.getfixturevalue("postgres_url"), tmp_path)


@pytest.fixture(params=["memory", "sqlite", "sqlite-shared", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StateStore]:
    made = make_store(request.param, tmp_path, request)
    await made.open()
    yield made
    await made.close()


def record(flow: str | None = "main.flow.json", **kwargs: object) -> ConversationRecord:
    return ConversationRecord(
        context=DialogContext(currentFlow=flow, currentNode="n" if flow else None), **kwargs
    )  # type: ignore[arg-type]


async def test_load_of_an_unknown_user_is_a_fresh_record(store: StateStore) -> None:
    assert await store.load("bot", "nobody") == ConversationRecord()
    assert await store.load_bot_memory("bot") == {}


async def test_save_then_load_returns_a_private_copy(store: StateStore) -> None:
    saved = record(temp={"x": [1]}, user={"name": "Ann"})
    await store.save("bot", "u", saved, {})
    loaded = await store.load("bot", "u")
    assert loaded == saved
    loaded.temp["x"].append(2)
    assert (await store.load("bot", "u")).temp == {"x": [1]}


async def test_bot_memory_changes_are_merged(store: StateStore) -> None:
    await store.save("bot", "a", record(), {"x": 1, "y": 2})
    await store.save("bot", "b", record(), {"y": DELETED, "z": 3})
    assert await store.load_bot_memory("bot") == {"x": 1, "z": 3}
    assert await store.load_bot_memory("other") == {}


async def test_expired_lists_expired_sessions_and_expired_non_empty_contexts(store: StateStore) -> None:
    await store.save("bot", "session", record(session_expiry=10.0, context_expiry=5.0), {})
    await store.save("bot", "context", record(session_expiry=100.0, context_expiry=5.0), {})
    await store.save("bot", "idle", record(None, session_expiry=100.0, context_expiry=5.0), {})
    await store.save("bot", "fresh", record(session_expiry=100.0, context_expiry=50.0), {})
    found = {(e.user_id, e.kind) for e in await store.expired(20.0)}
    assert found == {("session", "session"), ("context", "context")}


async def test_values_json_cannot_hold_are_stored_as_text(store: StateStore) -> None:
    await store.save("bot", "u", record(temp={"when": {1, 2}}), {})
    assert (await store.load("bot", "u")).temp == {"when": [1, 2]}


async def test_locks_serialize_one_user_in_arrival_order(store: StateStore) -> None:
    order: list[int] = []

    async def turn(i: int) -> None:
        async with store.lock("bot", "u"):
            await asyncio.sleep(0)
            order.append(i)

    await asyncio.gather(*(turn(i) for i in range(50)))
    assert order == list(range(50))


async def test_sqlite_survives_a_reopen_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = SqliteStore(path)
    await first.open()
    await first.save("bot", "u", record(user={"name": "Ann"}), {"k": "v"})
    await first.close()
    second = SqliteStore(path, cache_size=1)
    await second.open()
    assert (await second.load("bot", "u")).user == {"name": "Ann"}
    assert await second.load_bot_memory("bot") == {"k": "v"}
    await second.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_sqlite_groups_concurrent_saves_into_few_commits(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    await store.open()
    await asyncio.gather(
        *(store.save("bot", f"u{i}", record(temp={"i": i}), {f"k{i}": i}) for i in range(200))
    )
    assert store.commits < 20
    assert (await store.load("bot", "u199")).temp == {"i": 199}
    assert len(await store.load_bot_memory("bot")) == 200
    await store.close()


async def test_sqlite_writes_a_batch_of_records_in_few_statements(tmp_path: Path) -> None:
    # The writer thread wins the GIL back from the event loop after every statement step: a
    # batch is one statement per chunk of rows, never one per row. Batches of more than a chunk,
    # with and without bot memory changes, land whole.
    store = SqliteStore(tmp_path / "state.db", max_batch=400)
    await store.open()
    statements: list[str] = []
    assert store._writer is not None
    store._writer.set_trace_callback(statements.append)
    await asyncio.gather(*(store.save("bot", f"u{i}", record(temp={"i": i}), {}) for i in range(400)))
    inserts = [s for s in statements if s.startswith("INSERT INTO conversations")]
    assert store.commits < 10 and len(inserts) <= 3 * store.commits
    statements.clear()
    await asyncio.gather(
        *(store.save("bot", f"u{i}", record(temp={"i": -i}), {"k": i} if i == 7 else {}) for i in range(400))
    )
    store._writer.set_trace_callback(None)
    await store.close()
    reopened = SqliteStore(tmp_path / "state.db", cache_size=1)
    await reopened.open()
    assert [(await reopened.load("bot", f"u{i}")).temp["i"] for i in range(400)] == [-i for i in range(400)]
    assert await reopened.load_bot_memory("bot") == {"k": 7}
    await reopened.close()


async def test_sqlite_reads_evicted_records_from_disk(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db", cache_size=2, commit_in_thread=False, synchronous="normal")
    await store.open()
    for i in range(5):
        await store.save("bot", f"u{i}", record(temp={"i": i}), {})
    assert [(await store.load("bot", f"u{i}")).temp["i"] for i in range(5)] == list(range(5))
    await store.close()


async def test_a_failed_sqlite_write_fails_the_save_and_changes_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    await store.open()
    await store.save("bot", "u", record(temp={"v": 1}), {})
    with sqlite3.connect(tmp_path / "state.db") as other:
        other.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON conversations BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    with pytest.raises(sqlite3.IntegrityError, match="refused"):
        await store.save("bot", "u", record(temp={"v": 2}), {"k": 1})
    assert (await store.load("bot", "u")).temp == {"v": 1}
    assert await store.load_bot_memory("bot") == {}
    await store.close()


async def test_using_a_closed_sqlite_store_is_a_clear_error(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    with pytest.raises(RuntimeError, match="not open"):
        await store.load("bot", "u")


def test_create_store_from_a_url(tmp_path: Path) -> None:
    assert isinstance(create_store(None, tmp_path), SqliteStore)
    default = create_store("sqlite://", tmp_path)
    assert isinstance(default, SqliteStore) and default.path == tmp_path / "flowbot.sqlite3"
    assert isinstance(create_store("memory://", tmp_path), MemoryStore)
    explicit = create_store(f"sqlite:///{tmp_path}/x.db", tmp_path)
    assert isinstance(explicit, SqliteStore) and explicit.path == tmp_path / "x.db"
    with pytest.raises(StoreUrlError, match="unknown store 'mysql://x'"):
        create_store("mysql://x", tmp_path)


async def test_a_cancelled_save_returns_only_once_its_write_has_landed(tmp_path: Path) -> None:
    # The turn holding the user's lock is cancelled mid-save: it must keep the lock (it does not
    # return) until the queued write is committed, so that the user's next turn reads it.
    store = SqliteStore(tmp_path / "state.db")
    await store.open()
    write_batch = store._write_batch

    def slow_write(*args: object) -> dict[str, str]:
        import time

        time.sleep(0.2)
        return write_batch(*args)  # type: ignore[arg-type]

    store._write_batch = slow_write  # type: ignore[method-assign]
    try:
        saving = asyncio.create_task(store.save("bot", "u1", ConversationRecord(user={"n": 1}), {}))
        await asyncio.sleep(0.05)  # the write is in the commit
        saving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await saving
        assert store.commits == 1
        assert (await store.load("bot", "u1")).user == {"n": 1}
    finally:
        await store.close()


async def test_a_lone_surrogate_in_memory_is_stored_and_read_back(store: StateStore) -> None:
    # a JSON body may escape half of a UTF-16 pair; it has no UTF-8 form, so it is stored escaped
    session = {"lastMessages": [{"incomingPreview": "\udc00"}]}
    record = ConversationRecord(user={"name": "\ud800x"}, session=session)
    await store.save("bot", "u1", record, {})
    loaded = await store.load("bot", "u1")
    assert loaded.user == {"name": "\ud800x"}
    assert loaded.session["lastMessages"][0]["incomingPreview"] == "\udc00"


async def test_bot_memory_holding_nan_is_stored_as_json_stringify_writes_it(store: StateStore) -> None:
    # a Python action doing float() of a user's "nan" must not make every later turn's save fail
    await store.save("bot", "u1", ConversationRecord(), {"ratio": float("nan"), "top": [float("inf"), 1.5]})
    assert await store.load_bot_memory("bot") == {"ratio": None, "top": [None, 1.5]}
