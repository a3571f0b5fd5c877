"""The PostgreSQL state store: several ``bot serve`` processes, on one machine or many, share it.

* Turn order: a per-user advisory lock held on a pooled connection for the whole turn (see
  :mod:`.pglock`); the turn's load and save run on that connection, so a holder that lost its
  lock (its session ended) cannot write.
* Saves: the record and the bot memory changes in one statement (one implicit transaction), so
  it is atomic; it returns once PostgreSQL committed it (durable with ``synchronous_commit=on``,
  PostgreSQL's default). Bot memory is one row per key: the database applies a turn's changes to
  whatever the other processes wrote.
* No cache: another process may have written any row since this one last read it.
* Schema: created and migrated on open when safe (:mod:`.schema`); ``bot db upgrade`` otherwise.
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from contextlib import asynccontextmanager
from typing import Any

from flowbot.runtime.state import ConversationRecord
from flowbot.runtime.store.base import DELETED
from flowbot.runtime.store.base import ExpiredConversation
from flowbot.runtime.store.base import LockManager
from flowbot.runtime.store.base import StateStore
from flowbot.runtime.store.base import due_of
from flowbot.runtime.store.migrations import RUNTIME
from flowbot.runtime.store.pglock import SERVER_SETTINGS
from flowbot.runtime.store.pglock import Lease
from flowbot.runtime.store.pglock import LeaseKeeper
from flowbot.runtime.store.pglock import advisory_lease
from flowbot.runtime.store.pglock import keep_session
from flowbot.runtime.store.pglock import lock_key
from flowbot.runtime.store.memory import dump_memory
from flowbot.runtime.store.records import dump_record
from flowbot.runtime.store.records import load_record
from flowbot.runtime.store.schema import Component
from flowbot.runtime.store.schema import SchemaError
from flowbot.runtime.store.schema import migrate_postgres
from flowbot.runtime.store.schema import postgres_status
from flowbot.runtime.store.urls import PostgresOptions
from flowbot.runtime.store.urls import parse_postgres_url

logger = logging.getLogger("flowbot.runtime.store")

MIN_TTL_VERSION = 140000  # idle_session_timeout exists from PostgreSQL 14 on

_LOAD = "SELECT data FROM conversations WHERE bot_id = $1 AND user_id = $2"
_LOAD_BOT = "SELECT key, value FROM bot_memory WHERE bot_id = $1"
_SAVE_RECORD = """
INSERT INTO conversations (bot_id, user_id, data, session_expiry, due) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (bot_id, user_id) DO UPDATE
SET data = excluded.data, session_expiry = excluded.session_expiry, due = excluded.due
"""
# One statement: the record, the deleted keys and the set keys of bot memory, atomically.
_SAVE = """
WITH record AS (
    INSERT INTO conversations (bot_id, user_id, data, session_expiry, due) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (bot_id, user_id) DO UPDATE
    SET data = excluded.data, session_expiry = excluded.session_expiry, due = excluded.due
), removed AS (
    DELETE FROM bot_memory WHERE bot_id = $1 AND key = ANY($6::text[])
), stored AS (
    INSERT INTO bot_memory (bot_id, key, value)
    SELECT $1, k, v FROM unnest($7::text[], $8::text[]) AS changes(k, v)
    ON CONFLICT (bot_id, key) DO UPDATE SET value = excluded.value
)
SELECT 1
"""
_EXPIRED = (
    "SELECT bot_id, user_id, session_expiry IS NOT NULL AND session_expiry <= $1 FROM conversations"
    " WHERE due <= $1 ORDER BY due LIMIT $2"
)


async def create_pool(dsn: str, options: PostgresOptions, *, max_size: int | None = None) -> Any:
    """An asyncpg pool whose sessions see ``options.schema`` and notice dead peers quickly."""
    import asyncpg

    size = options.pool_max if max_size is None else max_size
    return await asyncpg.create_pool(
        dsn,
        min_size=min(options.pool_min, size),
        max_size=size,
        reset=keep_session,
        server_settings={
            "search_path": f'"{options.schema}"',
            "application_name": "flowbot",
            **SERVER_SETTINGS,
        },
    )


async def prepare_schema(pool: Any, options: PostgresOptions, components: tuple[Component, ...]) -> None:
    """Apply the safe migrations (``migrate=auto``), or check that none is pending (``off``)."""
    async with pool.acquire() as connection:
        if options.migrate == "auto":
            applied = await migrate_postgres(
                connection, components, schema=options.schema, automatic_only=True
            )
            for name in applied:
                logger.info("schema %s: applied migration %s", options.schema, name)
            return
        for status in await postgres_status(connection, components, options.schema):
            if not status.up_to_date:
                raise SchemaError(
                    f"the {status.component} schema in {options.schema!r} is at version {status.current}, "
                    f"this flowbot needs {status.latest}: run `bot db upgrade` (migrate=off in the URL)"
                )


def _bot_changes(changes: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    deleted = [key for key, value in changes.items() if value is DELETED]
    stored = {key: value for key, value in changes.items() if value is not DELETED}
    values = [dump_memory(value) for value in stored.values()]
    return deleted, list(stored), values


class PostgresStore(StateStore):
    def __init__(self, url: str) -> None:
        self.dsn, self.options = parse_postgres_url(url)
        self._pool: Any = None
        self._locks = LockManager()
        self._keeper = LeaseKeeper(self.options.lock_ttl)
        self._lease: contextvars.ContextVar[tuple[tuple[str, str], Lease] | None] = contextvars.ContextVar(
            f"flowbot-postgres-lease-{id(self)}", default=None
        )

    @property
    def pool(self) -> Any:
        if self._pool is None:
            raise RuntimeError("the PostgreSQL store is not open (call `await store.open()` first)")
        return self._pool

    async def open(self) -> None:
        if self._pool is not None:
            return
        pool = await create_pool(self.dsn, self.options)
        try:
            await prepare_schema(pool, self.options, (RUNTIME,))
            async with pool.acquire() as connection:
                if connection.get_server_version() < (14,):
                    logger.warning(
                        "PostgreSQL < 14: a frozen lock holder keeps its user's lock (no lock_ttl)"
                    )
                    self._keeper.ttl = None
        except BaseException:
            await pool.close()
            raise
        self._pool = pool
        self._keeper.start()

    async def close(self) -> None:
        await self._keeper.stop()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    # -- locks -------------------------------------------------------------------------------------

    def lock(self, bot_id: str, user_id: str) -> AbstractAsyncContextManager[None]:
        return self._hold(bot_id, user_id)

    @asynccontextmanager
    async def _hold(self, bot_id: str, user_id: str) -> AsyncIterator[None]:
        key = lock_key(self.options.schema, bot_id, user_id)
        async with (
            self._locks.hold(bot_id, user_id),
            advisory_lease(self.pool, self._keeper, key, bot_id, user_id) as lease,
        ):
            token = self._lease.set(((bot_id, user_id), lease))
            try:
                yield
            finally:
                self._lease.reset(token)

    def _held(self, bot_id: str, user_id: str | None) -> Lease | None:
        """The lease of this task's lock when it covers the user (for bot-wide reads: the bot)."""
        held = self._lease.get()
        if held is None or held[0][0] != bot_id or (user_id is not None and held[0][1] != user_id):
            return None
        return held[1]

    async def _run(self, bot_id: str, user_id: str | None, operation: Any) -> Any:
        """Run ``operation(connection)`` on the lease when there is one, else on a pooled connection."""
        lease = self._held(bot_id, user_id)
        if lease is not None:
            return await lease.run(operation)
        async with self.pool.acquire() as connection:
            return await operation(connection)

    # -- reads and writes -------------------------------------------------------------------------

    async def load(self, bot_id: str, user_id: str) -> ConversationRecord:
        lease = self._held(bot_id, user_id)
        if lease is not None and lease.has_record:
            text = lease.record  # read with the lock or saved since: nobody else can write it
        else:
            text = await self._run(bot_id, user_id, lambda c: c.fetchval(_LOAD, bot_id, user_id))
        return ConversationRecord() if text is None else load_record(text)

    async def load_bot_memory(self, bot_id: str) -> dict[str, Any]:
        lease = self._held(bot_id, None)
        if lease is not None and lease.memory is not None:
            memory, lease.memory = lease.memory, None  # once: later reads see other users' changes
            return {key: json.loads(value) for key, value in memory.items()}
        rows = await self._run(bot_id, None, lambda c: c.fetch(_LOAD_BOT, bot_id))
        return {row[0]: json.loads(row[1]) for row in rows}

    async def save(
        self,
        bot_id: str,
        user_id: str,
        record: ConversationRecord,
        bot_changes: dict[str, Any],
        *,
        reusable: bool = False,
    ) -> None:
        # serialize everything first: nothing is stored unless all of it can be
        text = dump_record(record)
        args: tuple[Any, ...] = (bot_id, user_id, text, record.session_expiry, due_of(record))
        if bot_changes:
            query, args = _SAVE, (*args, *_bot_changes(bot_changes))
        else:
            query = _SAVE_RECORD  # most turns: a plain upsert costs the server less than the CTE
        await self._run(bot_id, user_id, lambda c: c.execute(query, *args))
        lease = self._held(bot_id, user_id)
        if lease is not None:
            lease.record, lease.has_record = text, True

    async def expired(self, now: float, limit: int = 1000) -> list[ExpiredConversation]:
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(_EXPIRED, now, limit)
        return [
            ExpiredConversation(bot, user, "session" if session else "context") for bot, user, session in rows
        ]
