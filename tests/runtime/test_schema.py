"""Versioned migrations, on SQLite and PostgreSQL: applied once, in order, under a lock; manual
migrations refused on open; a newer database refused."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from flowbot.runtime.store.schema import Component
from flowbot.runtime.store.schema import Migration
from flowbot.runtime.store.schema import SchemaError
from flowbot.runtime.store.schema import migrate_postgres
from flowbot.runtime.store.schema import migrate_sqlite
from flowbot.runtime.store.schema import postgres_status
from flowbot.runtime.store.schema import sqlite_status
from flowbot.runtime.store.urls import parse_postgres_url

FIRST = Migration(1, "notes", ("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",))
SECOND = Migration(2, "notes author", ("ALTER TABLE notes ADD COLUMN author TEXT",))
REWRITE = Migration(3, "rewrite notes", ("UPDATE notes SET body = upper(body)",), automatic=False)
V1 = Component("notes", sqlite=(FIRST,), postgres=(FIRST,))
V2 = Component("notes", sqlite=(FIRST, SECOND), postgres=(FIRST, SECOND))
V3 = Component("notes", sqlite=(FIRST, SECOND, REWRITE), postgres=(FIRST, SECOND, REWRITE))


def test_sqlite_migrations_apply_in_order_once(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    assert [s.current for s in sqlite_status(connection, [V1])] == [0]
    assert migrate_sqlite(connection, [V1], automatic_only=True) == ["notes:1 notes"]
    assert migrate_sqlite(connection, [V1], automatic_only=True) == []
    connection.execute("INSERT INTO notes (body) VALUES ('hi')")
    assert migrate_sqlite(connection, [V2], automatic_only=True) == ["notes:2 notes author"]
    with pytest.raises(SchemaError, match=r"needs migration 3 \(rewrite notes\).*bot db upgrade"):
        migrate_sqlite(connection, [V3], automatic_only=True)
    assert migrate_sqlite(connection, [V3], automatic_only=False) == ["notes:3 rewrite notes"]
    assert connection.execute("SELECT body, author FROM notes").fetchall() == [("HI", None)]
    with pytest.raises(SchemaError, match="newer than this flowbot knows"):
        migrate_sqlite(connection, [V1], automatic_only=True)
    connection.close()


def test_a_failed_sqlite_migration_leaves_nothing(tmp_path: Path) -> None:
    broken = Component(
        "notes", sqlite=(FIRST, Migration(2, "broken", ("ALTER TABLE nowhere ADD x",))), postgres=()
    )
    connection = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    with pytest.raises(sqlite3.OperationalError):
        migrate_sqlite(connection, [broken], automatic_only=True)
    [status] = sqlite_status(connection, [V1])
    assert status.current == 0
    connection.close()


async def _connect(url: str) -> tuple[Any, str]:
    dsn, options = parse_postgres_url(url)
    return await asyncpg.connect(dsn), options.schema


async def test_postgres_migrations_apply_in_order_once(postgres_url: str) -> None:
    connection, schema = await _connect(postgres_url)
    try:
        assert [s.current for s in await postgres_status(connection, [V1], schema)] == [0]
        assert await migrate_postgres(connection, [V2], schema=schema, automatic_only=True) == [
            "notes:1 notes",
            "notes:2 notes author",
        ]
        with pytest.raises(SchemaError, match="bot db upgrade"):
            await migrate_postgres(connection, [V3], schema=schema, automatic_only=True)
        assert await migrate_postgres(connection, [V3], schema=schema, automatic_only=False) == [
            "notes:3 rewrite notes"
        ]
        [status] = await postgres_status(connection, [V3], schema)
        assert (status.current, status.latest, status.up_to_date) == (3, 3, True)
    finally:
        await connection.close()


async def test_postgres_workers_starting_together_migrate_once(postgres_url: str) -> None:
    connections = [await _connect(postgres_url) for _ in range(3)]
    try:
        results = await asyncio.gather(
            *(migrate_postgres(c, [V2], schema=schema, automatic_only=True) for c, schema in connections)
        )
        assert sorted(len(applied) for applied in results) == [0, 0, 2]
    finally:
        for connection, _ in connections:
            await connection.close()


async def test_a_failed_postgres_migration_leaves_nothing(postgres_url: str) -> None:
    broken = Component(
        "notes", sqlite=(), postgres=(FIRST, Migration(2, "broken", ("ALTER TABLE nowhere ADD x int",)))
    )
    connection, schema = await _connect(postgres_url)
    try:
        with pytest.raises(asyncpg.PostgresError):
            await migrate_postgres(connection, [broken], schema=schema, automatic_only=True)
        [status] = await postgres_status(connection, [V1], schema)
        assert status.current == 0
        assert await connection.fetchval("SELECT to_regclass($1)", f'"{schema}".notes') is None
    finally:
        await connection.close()
