"""Versioned schema migrations for the SQLite and PostgreSQL stores.

Each part of flowbot that owns tables (the runtime's state store, the server's store) is a
:class:`Component` with an ordered list of :class:`Migration` per database. The versions applied
are recorded in the table ``flowbot_migrations`` (component, version, name, applied_at), in the
database itself, so that every process and ``bot db upgrade`` agree on what is there.

Stores migrate when they open, but only when it is safe: every pending migration is marked
``automatic`` (additive and quick, such as a new table or column). A migration that is not (a
rewrite of a large table, say) makes ``open`` fail with a message that names ``bot db upgrade``,
which applies it. A database migrated by a newer flowbot (a version this code does not know) is
refused rather than misread. Migrations run under a lock (PostgreSQL: an advisory lock in the
migrating transaction; SQLite: ``BEGIN IMMEDIATE``), so that several workers starting at once
apply each migration exactly once.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flowbot.errors import FlowbotError

MIGRATIONS_TABLE = "flowbot_migrations"
# pg_advisory_xact_lock key of the migrating transaction ("flowbot-migrate" read as an integer).
MIGRATION_LOCK_KEY = 0x666C6F77626F74

_MIGRATIONS_DDL = (
    f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (component TEXT NOT NULL, version INTEGER NOT NULL,"
    " name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (component, version))"
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class SchemaError(FlowbotError):
    """The database schema cannot be used as it is (too new, or a migration must be run by hand)."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]
    # Safe to apply when a store opens: additive and quick. Others need ``bot db upgrade``.
    automatic: bool = True


@dataclass(frozen=True)
class Component:
    """The tables of one part of flowbot, and how they evolved, per database."""

    name: str
    sqlite: tuple[Migration, ...]
    postgres: tuple[Migration, ...]

    def migrations(self, dialect: str) -> tuple[Migration, ...]:
        return self.sqlite if dialect == "sqlite" else self.postgres


@dataclass(frozen=True)
class ComponentStatus:
    component: str
    current: int
    latest: int
    pending: tuple[Migration, ...]

    @property
    def up_to_date(self) -> bool:
        return not self.pending


def check_identifier(name: str, what: str = "schema") -> str:
    """A PostgreSQL identifier flowbot may put in SQL text (letters, digits, underscores)."""
    if not _IDENTIFIER.match(name):
        raise SchemaError(f"invalid {what} name {name!r}: use letters, digits and underscores")
    return name


def plan(component: Component, dialect: str, applied: set[int]) -> ComponentStatus:
    """What is pending for ``component`` given the versions applied; refuses a newer database."""
    migrations = component.migrations(dialect)
    latest = max((m.version for m in migrations), default=0)
    current = max(applied, default=0)
    if current > latest:
        raise SchemaError(
            f"the database's {component.name} schema is at version {current}, newer than this "
            f"flowbot knows ({latest}): it was migrated by a newer flowbot; upgrade flowbot"
        )
    pending = tuple(m for m in migrations if m.version not in applied)
    return ComponentStatus(component.name, current, latest, pending)


def _refuse_manual(status: ComponentStatus) -> None:
    manual = [m for m in status.pending if not m.automatic]
    if manual:
        names = ", ".join(f"{m.version} ({m.name})" for m in manual)
        raise SchemaError(
            f"the {status.component} schema needs migration {names}, which is not applied when a "
            "store opens: run `bot db upgrade` (with the same --store) first"
        )


# -- SQLite ------------------------------------------------------------------------------------


def _sqlite_applied(connection: sqlite3.Connection, component: str) -> set[int]:
    rows = connection.execute(
        f"SELECT version FROM {MIGRATIONS_TABLE} WHERE component = ?", (component,)
    ).fetchall()
    return {int(row[0]) for row in rows}


def _sqlite_has_table(connection: sqlite3.Connection) -> bool:
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MIGRATIONS_TABLE,)
    ).fetchone()
    return found is not None


def sqlite_status(connection: sqlite3.Connection, components: Sequence[Component]) -> list[ComponentStatus]:
    has_table = _sqlite_has_table(connection)
    return [
        plan(c, "sqlite", _sqlite_applied(connection, c.name) if has_table else set()) for c in components
    ]


def migrate_sqlite(
    connection: sqlite3.Connection, components: Sequence[Component], *, automatic_only: bool
) -> list[str]:
    """Apply what is pending in one ``BEGIN IMMEDIATE`` transaction (``connection`` must be in
    autocommit mode, ``isolation_level=None``). Returns ``component:version name`` of each applied."""
    applied_now: list[str] = []
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute(_MIGRATIONS_DDL)
        for component in components:
            status = plan(component, "sqlite", _sqlite_applied(connection, component.name))
            if automatic_only:
                _refuse_manual(status)
            for migration in status.pending:
                for statement in migration.statements:
                    connection.execute(statement)
                connection.execute(
                    f"INSERT INTO {MIGRATIONS_TABLE} VALUES (?, ?, ?, ?)",
                    (component.name, migration.version, migration.name, time.time()),
                )
                applied_now.append(f"{component.name}:{migration.version} {migration.name}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return applied_now


# -- PostgreSQL --------------------------------------------------------------------------------


async def _postgres_applied(connection: Any, schema: str, component: str) -> set[int] | None:
    exists = await connection.fetchval("SELECT to_regclass($1)", f'"{schema}".{MIGRATIONS_TABLE}')
    if exists is None:
        return None
    rows = await connection.fetch(
        f'SELECT version FROM "{schema}".{MIGRATIONS_TABLE} WHERE component = $1', component
    )
    return {int(row[0]) for row in rows}


async def postgres_status(
    connection: Any, components: Sequence[Component], schema: str
) -> list[ComponentStatus]:
    """``connection`` is an asyncpg connection."""
    check_identifier(schema)
    statuses = []
    for component in components:
        applied = await _postgres_applied(connection, schema, component.name)
        statuses.append(plan(component, "postgres", applied or set()))
    return statuses


async def migrate_postgres(
    connection: Any, components: Sequence[Component], *, schema: str, automatic_only: bool
) -> list[str]:
    """Create ``schema`` if needed and apply what is pending, in one transaction holding the
    migration lock (DDL is transactional in PostgreSQL: a failed migration leaves nothing)."""
    check_identifier(schema)
    applied_now: list[str] = []
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_KEY)
        await connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await connection.execute(f'SET LOCAL search_path TO "{schema}"')
        await connection.execute(_MIGRATIONS_DDL)
        for component in components:
            applied = await _postgres_applied(connection, schema, component.name)
            status = plan(component, "postgres", applied or set())
            if automatic_only:
                _refuse_manual(status)
            for migration in status.pending:
                for statement in migration.statements:
                    await connection.execute(statement)
                await connection.execute(
                    f"INSERT INTO {MIGRATIONS_TABLE} VALUES ($1, $2, $3, $4)",
                    component.name,
                    migration.version,
                    migration.name,
                    time.time(),
                )
                applied_now.append(f"{component.name}:{migration.version} {migration.name}")
    return applied_now
