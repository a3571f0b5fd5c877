"""Stores that several processes share (SQLite with ``shared=True``, PostgreSQL): two store
instances on one database stand for two processes; a child process stands for one that crashes.

The same tests run on both; PostgreSQL's lock expiry and fence have tests of their own."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from flowbot.runtime.state import ConversationRecord
from flowbot.runtime.store import DELETED
from flowbot.runtime.store import SqliteStore
from flowbot.runtime.store import StateStore
from flowbot.runtime.store import create_store
from flowbot.runtime.store.postgres import PostgresStore
from flowbot.runtime.store.schema import SchemaError

Pair = tuple[StateStore, StateStore]


def _url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite-shared":
        return f"sqlite:///{tmp_path / 'state.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(params=["sqlite-shared", "postgres"])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _url(request.param, tmp_path, request)


@pytest.fixture
async def pair(shared_url: str, tmp_path: Path) -> AsyncIterator[Pair]:
    first, second = (
        create_store(shared_url, tmp_path, shared=True),
        create_store(shared_url, tmp_path, shared=True),
    )
    await first.open()
    await second.open()
    yield first, second
    await first.close()
    await second.close()


def counter(record: ConversationRecord) -> int:
    return int(record.user.get("n", 0))


async def test_each_instance_reads_what_the_other_wrote(pair: Pair) -> None:
    first, second = pair
    await first.save("bot", "u", ConversationRecord(user={"n": 1}), {"a": 1, "b": 2})
    assert counter(await second.load("bot", "u")) == 1
    await second.save("bot", "u", ConversationRecord(user={"n": 2}), {"b": DELETED, "c": 3})
    assert counter(await first.load("bot", "u")) == 2
    # each instance's changes were applied to the memory the other one wrote
    assert await first.load_bot_memory("bot") == {"a": 1, "c": 3}
    assert await second.load_bot_memory("bot") == {"a": 1, "c": 3}


async def test_a_user_lock_excludes_the_other_instance(pair: Pair) -> None:
    first, second = pair
    events: list[str] = []
    held = asyncio.Event()

    async def holder() -> None:
        async with first.lock("bot", "u"):
            held.set()
            events.append("first in")
            await asyncio.sleep(0.3)
            events.append("first out")

    async def waiter() -> None:
        await held.wait()
        async with second.lock("bot", "u"):
            events.append("second in")
        async with second.lock("bot", "other"):  # other users are not blocked
            events.append("other")

    await asyncio.gather(holder(), waiter())
    assert events == ["first in", "first out", "second in", "other"]


async def test_concurrent_turns_of_one_user_on_two_instances_lose_nothing(pair: Pair) -> None:
    """Read-modify-write turns under the lock, alternating instances: every turn sees the last."""

    async def turn(store: StateStore, i: int) -> int:
        async with store.lock("bot", "u"):
            record = await store.load("bot", "u")
            seen = counter(record)
            record.user["n"] = seen + 1
            record.user.setdefault("log", []).append(i)
            await store.save("bot", "u", record, {f"k{i}": i})
            return seen

    seen = await asyncio.gather(*(turn(pair[i % 2], i) for i in range(60)))
    assert sorted(seen) == list(range(60))
    final = await pair[0].load("bot", "u")
    assert counter(final) == 60 and sorted(final.user["log"]) == list(range(60))
    assert len(await pair[1].load_bot_memory("bot")) == 60


HOLD_AND_WAIT = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from flowbot.runtime.store import create_store

    async def main():
        store = create_store(sys.argv[1], Path(sys.argv[2]), shared=True)
        await store.open()
        async with store.lock("bot", "u"):
            print("held", flush=True)
            await asyncio.sleep(60)

    asyncio.run(main())
    """
)


async def test_a_killed_holder_releases_its_users(shared_url: str, tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_WAIT, shared_url, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    store = create_store(shared_url, tmp_path, shared=True)
    await store.open()
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), 30)
        assert line.strip() == "held"
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                async with store.lock("bot", "u"):
                    pass
        os.kill(child.pid, signal.SIGKILL)
        started = time.monotonic()
        async with asyncio.timeout(10):
            async with store.lock("bot", "u"):
                await store.save("bot", "u", ConversationRecord(user={"n": 1}), {})
        assert time.monotonic() - started < 5
    finally:
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
        await store.close()


# -- PostgreSQL: lock expiry of a frozen holder, and the fence -------------------------------------


async def test_a_frozen_holder_loses_its_lock_and_cannot_save(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A holder whose heartbeat stops (a frozen process) is cut off after lock_ttl; the next
    holder goes on, and the old holder's save fails instead of overwriting the newer state."""
    from flowbot.runtime.store import pglock

    frozen = PostgresStore(f"{postgres_url}&lock_ttl=1")
    other = PostgresStore(postgres_url)
    monkeypatch.setattr(pglock.LeaseKeeper, "start", lambda self: None)
    await frozen.open()
    monkeypatch.undo()
    await other.open()
    try:
        async with frozen.lock("bot", "u"):
            stale = await frozen.load("bot", "u")
            async with asyncio.timeout(10):
                async with other.lock("bot", "u"):  # granted once the frozen session is ended
                    await other.save("bot", "u", ConversationRecord(user={"n": 2}), {})
            with pytest.raises(Exception):  # noqa: B017 - asyncpg's connection error
                await frozen.save("bot", "u", stale.model_copy(update={"user": {"n": 1}}), {})
        assert counter(await other.load("bot", "u")) == 2
    finally:
        await frozen.close()
        await other.close()


async def test_a_holder_with_a_heartbeat_keeps_its_lock_past_the_ttl(postgres_url: str) -> None:
    store, other = PostgresStore(f"{postgres_url}&lock_ttl=1"), PostgresStore(postgres_url)
    await store.open()
    await other.open()

    async def next_turn() -> int:
        async with other.lock("bot", "u"):
            return counter(await other.load("bot", "u"))

    try:
        async with store.lock("bot", "u"):
            waiting = asyncio.ensure_future(next_turn())
            await asyncio.sleep(2.0)  # twice the ttl: the heartbeat keeps the session alive
            assert not waiting.done()
            await store.save("bot", "u", ConversationRecord(user={"n": 1}), {})
        assert await asyncio.wait_for(waiting, 10) == 1
    finally:
        await other.close()
        await store.close()


# -- schema --------------------------------------------------------------------------------------


async def test_a_sqlite_database_from_a_newer_flowbot_is_refused(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    await store.open()
    await store.close()
    import sqlite3

    with sqlite3.connect(tmp_path / "state.db") as connection:
        connection.execute("INSERT INTO flowbot_migrations VALUES ('runtime', 99, 'future', 0)")
    with pytest.raises(SchemaError, match="version 99, newer than this flowbot knows"):
        await SqliteStore(tmp_path / "state.db").open()
    # the refused store let go of the file: another store may open it (and is refused the same way)
    with pytest.raises(SchemaError):
        await SqliteStore(tmp_path / "state.db").open()


async def test_postgres_migrate_off_refuses_an_unmigrated_schema(postgres_url: str) -> None:
    with pytest.raises(SchemaError, match="run `bot db upgrade`"):
        await PostgresStore(f"{postgres_url}&migrate=off").open()
    store = PostgresStore(postgres_url)
    await store.open()
    await store.close()
    checked = PostgresStore(f"{postgres_url}&migrate=off")
    await checked.open()
    await checked.close()


async def test_a_sqlite_file_is_either_one_stores_or_shared(tmp_path: Path) -> None:
    from flowbot.runtime.store.filelock import StoreBusyError

    path = tmp_path / "state.db"
    alone = SqliteStore(path)
    await alone.open()
    for intruder in (SqliteStore(path), SqliteStore(path, shared=True)):
        with pytest.raises(StoreBusyError, match="in use by another process"):
            await intruder.open()
    await alone.close()
    first, second = SqliteStore(path, shared=True), SqliteStore(path, shared=True)
    await first.open()
    await second.open()
    with pytest.raises(StoreBusyError, match="must be alone"):
        await SqliteStore(path).open()
    await first.close()
    await second.close()
    reopened = SqliteStore(path)
    await reopened.open()
    await reopened.close()
