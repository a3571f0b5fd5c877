"""The SQLite server store: users, keys, token versions, and an outbox that never hands a message
to two takers."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from flowbot.server.store import DuplicateError
from flowbot.server.store import SqliteServerStore
from flowbot.server.store import User
from flowbot.server.store import store_from_url
from flowbot.settings import SettingsError


async def test_users_round_trip(tmp_path: Path) -> None:
    store = SqliteServerStore(tmp_path / "s.sqlite")
    await store.open()
    user = User(email="a@example.com", password_hash="h", role="user", bots=["x", "y"], created_at=1.0)
    await store.add_user(user)
    with pytest.raises(DuplicateError):
        await store.add_user(user)
    assert await store.get_user("a@example.com") == user
    assert await store.bump_token_version("a@example.com") == 2
    assert await store.bump_token_version("nobody@example.com") is None
    assert [u.email for u in await store.list_users()] == ["a@example.com"]
    assert await store.remove_user("a@example.com")
    assert not await store.remove_user("a@example.com")
    await store.close()
    assert stat.S_IMODE((tmp_path / "s.sqlite").stat().st_mode) == 0o600


async def test_outbox_is_ordered_and_taken_once(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    # Two connections, as two worker processes would have.
    first, second = SqliteServerStore(path), SqliteServerStore(path)
    await first.open()
    await second.open()
    for n in range(20):
        await first.push_outbox("b", "u", [{"n": n}, {"n": f"{n}b"}], float(n))
    takes = await asyncio.gather(*(store.take_outbox("b", "u") for store in (first, second, first, second)))
    taken = [m.payload for batch in takes for m in batch]
    assert sorted(map(str, taken)) == sorted(
        str({"n": n}) for n in [*range(20), *(f"{n}b" for n in range(20))]
    )
    for batch in takes:
        assert [m.seq for m in batch] == sorted(m.seq for m in batch)
    assert await first.take_outbox("b", "u") == []
    await first.close()
    await second.close()


def test_store_urls(tmp_path: Path) -> None:
    store = store_from_url("sqlite:///rel.sqlite", tmp_path)
    assert isinstance(store, SqliteServerStore) and store.path == tmp_path / "rel.sqlite"
    store = store_from_url(f"sqlite:///{tmp_path}/abs.sqlite", Path("/elsewhere"))
    assert isinstance(store, SqliteServerStore) and store.path == tmp_path / "abs.sqlite"
    with pytest.raises(SettingsError, match="unsupported store 'postgresql'"):
        store_from_url("postgresql://localhost/db", tmp_path)
