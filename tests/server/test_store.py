"""The server store, on SQLite and on PostgreSQL (same tests): users, keys, token versions, and
an outbox that never hands a message to two takers, even when two processes take at once.

The PostgreSQL cases need FLOWBOT_TEST_POSTGRES_URL (``.ci/run`` sets it; they skip without it)."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import AsyncIterator
from collections.abc import Callable
from pathlib import Path

import pytest

from flowbot.server.store import DuplicateError
from flowbot.server.store import ServerStore
from flowbot.server.store import SqliteServerStore
from flowbot.server.store import User
from flowbot.server.store import store_from_url
from flowbot.server.store.base import ApiKey
from flowbot.server.store.postgres import PostgresServerStore
from flowbot.settings import SettingsError

StoreFactory = Callable[[], ServerStore]


@pytest.fixture(params=["sqlite", "postgres"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    """Each call is a new store on the same database, as another worker process would open."""
    if request.param == "sqlite":
        return lambda: SqliteServerStore(tmp_path / "s.sqlite")
    url: str = request.getfixturevalue("postgres_url")
    return lambda: store_from_url(url, tmp_path)


@pytest.fixture
async def store(make_store: StoreFactory) -> AsyncIterator[ServerStore]:
    opened = make_store()
    await opened.open()
    yield opened
    await opened.close()


async def test_users_round_trip(store: ServerStore) -> None:
    user = User(email="a@example.com", password_hash="h", role="user", bots=["x", "y"], created_at=1.0)
    await store.add_user(user)
    with pytest.raises(DuplicateError):
        await store.add_user(user)
    assert await store.get_user("a@example.com") == user
    assert await store.get_user("b@example.com") is None
    assert await store.bump_token_version("a@example.com") == 2
    assert await store.bump_token_version("nobody@example.com") is None
    assert [u.email for u in await store.list_users()] == ["a@example.com"]
    assert await store.remove_user("a@example.com")
    assert not await store.remove_user("a@example.com")
    await store.ping()


async def test_api_keys_round_trip(store: ServerStore) -> None:
    key = ApiKey(key_id="k1", bot_id="b", name="crm", secret_hash="s", created_at=2.0)
    await store.add_api_key(key)
    with pytest.raises(DuplicateError):
        await store.add_api_key(key)
    await store.add_api_key(ApiKey(key_id="k0", bot_id="a", secret_hash="t", created_at=3.0))
    assert await store.get_api_key("k1") == key
    assert [k.key_id for k in await store.list_api_keys()] == ["k0", "k1"]
    assert await store.revoke_api_key("k1")
    assert not await store.revoke_api_key("k1")
    assert await store.get_api_key("k1") is None


async def test_outbox_is_ordered_and_taken_once(make_store: StoreFactory) -> None:
    # Two stores on one database, as two worker processes would have.
    first, second = make_store(), make_store()
    await first.open()
    await second.open()
    try:
        for n in range(20):
            await first.push_outbox("b", "u", [{"n": n}, {"n": f"{n}b"}], float(n))
        await first.push_outbox("b", "other", [{"n": "other"}], 0.0)
        takes = await asyncio.gather(
            *(store.take_outbox("b", "u") for store in (first, second, first, second))
        )
        taken = [m.payload for batch in takes for m in batch]
        assert sorted(map(str, taken)) == sorted(
            str({"n": n}) for n in [*range(20), *(f"{n}b" for n in range(20))]
        )
        for batch in takes:
            assert [m.seq for m in batch] == sorted(m.seq for m in batch)
        assert await first.take_outbox("b", "u") == []
        [other] = await second.take_outbox("b", "other")
        assert other.payload == {"n": "other"} and other.user_id == "other"
    finally:
        await first.close()
        await second.close()


async def test_one_push_keeps_its_messages_in_order(store: ServerStore) -> None:
    payloads = [{"i": i, "text": "é \u0000 ✓"} for i in range(50)]
    await store.push_outbox("b", "u", payloads, 5.0)
    taken = await store.take_outbox("b", "u")
    assert [m.payload for m in taken] == payloads
    assert {m.created_at for m in taken} == {5.0}


async def test_the_sqlite_file_is_private(tmp_path: Path) -> None:
    store = SqliteServerStore(tmp_path / "s.sqlite")
    await store.open()
    await store.close()
    assert stat.S_IMODE((tmp_path / "s.sqlite").stat().st_mode) == 0o600


def test_store_urls(tmp_path: Path) -> None:
    store = store_from_url("sqlite:///rel.sqlite", tmp_path)
    assert isinstance(store, SqliteServerStore) and store.path == tmp_path / "rel.sqlite"
    store = store_from_url(f"sqlite:///{tmp_path}/abs.sqlite", Path("/elsewhere"))
    assert isinstance(store, SqliteServerStore) and store.path == tmp_path / "abs.sqlite"
    store = store_from_url("postgresql://localhost/db?schema=bots&pool_max=3", tmp_path)
    assert isinstance(store, PostgresServerStore) and store.options.schema == "bots"
    with pytest.raises(SettingsError, match="unsupported store 'mysql'"):
        store_from_url("mysql://localhost/db", tmp_path)
    with pytest.raises(SettingsError, match="invalid schema name"):
        store_from_url("postgresql://localhost/db?schema=a;drop", tmp_path)


# --- a store alone on its file (bot serve, one worker) knows who has stored messages -------------


async def test_a_store_alone_answers_the_outbox_check_without_a_query(tmp_path: Path) -> None:
    store = SqliteServerStore(tmp_path / "s.sqlite", alone=True)
    await store.open()
    await store.push_outbox("b", "u1", [{"text": "one"}], 1.0)
    # A row no process of this server wrote (it cannot happen while the store is alone): the
    # check of a user with nothing stored does not read the file, so it is not seen.
    other = SqliteServerStore(tmp_path / "s.sqlite")
    await other.open()
    await other.push_outbox("b", "u2", [{"text": "unseen"}], 1.0)
    assert await store.take_outbox("b", "u2") == []
    assert [m.payload for m in await store.take_outbox("b", "u1")] == [{"text": "one"}]
    assert await store.take_outbox("b", "u1") == []
    await store.push_outbox("b", "u1", [{"text": "two"}], 2.0)
    assert [m.payload for m in await store.take_outbox("b", "u1")] == [{"text": "two"}]
    await store.close()
    # Opened again, it knows what was stored before (by anyone): u2's message is delivered.
    reopened = SqliteServerStore(tmp_path / "s.sqlite", alone=True)
    await reopened.open()
    assert [m.payload for m in await reopened.take_outbox("b", "u2")] == [{"text": "unseen"}]
    await reopened.close()
    await other.close()


async def test_a_store_alone_keeps_messages_stored_while_a_take_runs(tmp_path: Path) -> None:
    store = SqliteServerStore(tmp_path / "s.sqlite", alone=True)
    await store.open()
    await store.push_outbox("b", "u", [{"n": 1}], 1.0)
    taken, _ = await asyncio.gather(
        store.take_outbox("b", "u"), store.push_outbox("b", "u", [{"n": 2}], 2.0)
    )
    later = await store.take_outbox("b", "u")
    assert sorted(m.payload["n"] for m in [*taken, *later]) == [1, 2]
    await store.close()


def test_only_a_sqlite_store_can_be_alone(tmp_path: Path) -> None:
    store = store_from_url("sqlite:///s.sqlite", tmp_path, alone=True)
    assert isinstance(store, SqliteServerStore) and store.alone
    postgres = store_from_url("postgresql://localhost/db", tmp_path, alone=True)
    assert not isinstance(postgres, SqliteServerStore)


async def test_a_shared_store_keeps_no_list_of_users_with_messages(tmp_path: Path) -> None:
    # Several workers share the file: the outbox check queries, and nothing is remembered per user
    # (takes by other workers would never forget anyone: the set would grow with every user).
    store = SqliteServerStore(tmp_path / "s.sqlite")
    await store.open()
    try:
        for n in range(3):
            await store.push_outbox("b", f"u{n}", [{"n": n}], 1.0)
        assert store._outbox_users == set()
        assert [m.payload for m in await store.take_outbox("b", "u1")] == [{"n": 1}]
    finally:  # an open store's thread would keep pytest from exiting
        await store.close()
