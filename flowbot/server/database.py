"""The database of a deployment as a whole: the runtime's tables and the server's, in SQLite or
PostgreSQL. ``bot db upgrade`` / ``bot db status`` and ``bot serve``'s start-up check use it."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from flowbot.errors import FlowbotError
from flowbot.runtime.store import create_store
from flowbot.runtime.store import sqlite_path
from flowbot.runtime.store.migrations import RUNTIME
from flowbot.runtime.store.schema import ComponentStatus
from flowbot.runtime.store.schema import SchemaError
from flowbot.runtime.store.schema import migrate_postgres
from flowbot.runtime.store.schema import migrate_sqlite
from flowbot.runtime.store.schema import plan
from flowbot.runtime.store.schema import postgres_status
from flowbot.runtime.store.schema import sqlite_status
from flowbot.runtime.store.urls import StoreUrlError
from flowbot.runtime.store.urls import is_postgres_url
from flowbot.runtime.store.urls import parse_postgres_url
from flowbot.runtime.store.urls import redact
from flowbot.server.store import store_from_url
from flowbot.server.store.schema import SERVER

COMPONENTS = (RUNTIME, SERVER)


class DatabaseError(FlowbotError):
    """The database cannot be reached or used; the message names it (password hidden)."""


def _sqlite_file(url: str, data_dir: Path) -> Path:
    path = sqlite_path(url, data_dir)
    if path is None:
        raise StoreUrlError(f"unknown store {redact(url)!r}: expected sqlite:///<path> or postgresql://...")
    return path


def _sqlite_upgrade(url: str, data_dir: Path) -> list[str]:
    path = _sqlite_file(url, data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA busy_timeout = 5000")
        return migrate_sqlite(connection, COMPONENTS, automatic_only=False)
    finally:
        connection.close()


def _sqlite_status(url: str, data_dir: Path) -> list[ComponentStatus]:
    path = _sqlite_file(url, data_dir)
    if not path.exists():
        return [plan(component, "sqlite", set()) for component in COMPONENTS]
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return sqlite_status(connection, COMPONENTS)
    finally:
        connection.close()


async def _connect(url: str) -> tuple[object, str]:
    import asyncpg

    dsn, options = parse_postgres_url(url)
    try:
        return await asyncpg.connect(dsn, timeout=10), options.schema
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise DatabaseError(f"cannot connect to {redact(url)}: {exc}") from None


async def upgrade(url: str, data_dir: Path) -> list[str]:
    """Apply every pending migration, automatic or not; the names of those applied."""
    if not is_postgres_url(url):
        return await asyncio.to_thread(_sqlite_upgrade, url, data_dir)
    connection, schema = await _connect(url)
    try:
        return await migrate_postgres(connection, COMPONENTS, schema=schema, automatic_only=False)
    finally:
        await connection.close()  # type: ignore[attr-defined]


async def status(url: str, data_dir: Path) -> list[ComponentStatus]:
    """Per component: the version applied, the latest, the migrations pending."""
    if not is_postgres_url(url):
        return await asyncio.to_thread(_sqlite_status, url, data_dir)
    connection, schema = await _connect(url)
    try:
        return await postgres_status(connection, COMPONENTS, schema)
    finally:
        await connection.close()  # type: ignore[attr-defined]


async def preflight(url: str, data_dir: Path, *, shared: bool) -> None:
    """Open (which migrates when safe) and close the server's and the runtime's stores, so that
    ``bot serve`` stops with one clear message before starting workers that could not serve."""
    try:
        server_store = store_from_url(url, data_dir)
        runtime_store = create_store(url, data_dir, shared=shared)
        for store in (server_store, runtime_store):
            await store.open()
            await store.close()
    except (FlowbotError, SchemaError):
        raise
    except Exception as exc:
        raise DatabaseError(f"cannot use the store {redact(url)}: {exc}") from None


async def ping_redis(url: str) -> None:
    from flowbot.server.cluster import redis_client

    client, _ = redis_client(url)
    try:
        await client.ping()
    except Exception as exc:
        raise DatabaseError(f"cannot reach Redis at {redact(url)}: {exc}") from None
    finally:
        await client.aclose()
