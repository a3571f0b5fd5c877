"""Store URLs: flowbot's options taken out of the query string, the driver's left in, clear
errors for bad values, passwords never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowbot.runtime.store import MemoryStore
from flowbot.runtime.store import SqliteStore
from flowbot.runtime.store import StoreUrlError
from flowbot.runtime.store import create_store
from flowbot.runtime.store.postgres import PostgresStore
from flowbot.runtime.store.urls import PostgresOptions
from flowbot.runtime.store.urls import parse_postgres_url
from flowbot.runtime.store.urls import parse_redis_url
from flowbot.runtime.store.urls import redact


def test_postgres_options_are_taken_out_and_the_rest_kept() -> None:
    dsn, options = parse_postgres_url(
        "postgresql://u:p@db:5433/bots?schema=Tenant_1&pool_max=20&pool_min=2&lock_ttl=12.5&migrate=off&sslmode=require"
    )
    assert dsn == "postgresql://u:p@db:5433/bots?sslmode=require"
    assert options == PostgresOptions(
        schema="Tenant_1", pool_min=2, pool_max=20, lock_ttl=12.5, migrate="off"
    )
    assert parse_postgres_url("postgres://db/x") == ("postgres://db/x", PostgresOptions())


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("schema=a-b", "invalid schema name 'a-b'"),
        ("pool_max=0", "pool_max='0': must be at least 1"),
        ("pool_max=many", "pool_max='many': expected a number"),
        ("pool_min=5&pool_max=2", "pool_min (5) is above pool_max (2)"),
        ("lock_ttl=0.5", "lock_ttl='0.5': must be at least 1"),
        ("migrate=yes", "migrate='yes': expected auto or off"),
    ],
)
def test_bad_postgres_options_are_clear_errors(query: str, message: str) -> None:
    with pytest.raises(StoreUrlError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_postgres_url(f"postgresql://db/x?{query}")


def test_redis_urls() -> None:
    assert parse_redis_url("redis://cache:6379/2") == ("redis://cache:6379/2", "flowbot")
    assert parse_redis_url("rediss://:pw@cache/0?prefix=bots&ssl_cert_reqs=none") == (
        "rediss://:pw@cache/0?ssl_cert_reqs=none",
        "bots",
    )
    with pytest.raises(StoreUrlError, match="not a Redis URL"):
        parse_redis_url("http://cache")


def test_passwords_are_hidden() -> None:
    assert redact("postgresql://bot:s3cret@db:5432/x") == "postgresql://bot:***@db:5432/x"
    assert redact("postgresql://db/x") == "postgresql://db/x"
    with pytest.raises(StoreUrlError) as caught:
        create_store("mysql://root:s3cret@db/x", Path("."))
    assert "s3cret" not in str(caught.value)


def test_create_store_by_url(tmp_path: Path) -> None:
    assert isinstance(create_store("postgresql://db/x", tmp_path), PostgresStore)
    relative = create_store("sqlite:///state/x.sqlite", tmp_path, shared=True)
    assert isinstance(relative, SqliteStore) and relative.path == tmp_path / "state" / "x.sqlite"
    assert relative.shared
    assert isinstance(create_store("memory://", tmp_path), MemoryStore)
    with pytest.raises(StoreUrlError, match="cannot be shared"):
        create_store("memory://", tmp_path, shared=True)


async def test_a_schema_with_capitals_is_used_as_written(postgres_url: str) -> None:
    url = postgres_url.replace("schema=flowbot_test_", "schema=Flowbot_Test_")
    store = PostgresStore(url)
    await store.open()
    try:
        async with store.lock("bot", "u"):
            assert (await store.load("bot", "u")).user == {}
    finally:
        await store.close()
    import asyncpg

    dsn, options = parse_postgres_url(url)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'DROP SCHEMA "{options.schema}" CASCADE')
    finally:
        await connection.close()
