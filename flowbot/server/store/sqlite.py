"""The server store in SQLite (one file in the data folder, shared by the worker processes).

WAL mode lets readers run beside the one writer; ``busy_timeout`` makes a worker wait for another's
write instead of failing. Each method is one statement or one transaction, so it stays atomic across
processes. aiosqlite runs the calls on its own thread: the event loop never blocks on the disk.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import aiosqlite

from flowbot.server.jsonout import bot_json
from flowbot.server.store.base import ApiKey
from flowbot.server.store.base import DuplicateError
from flowbot.server.store.base import OutboxMessage
from flowbot.server.store.base import User
from flowbot.server.store.base import key_of
from flowbot.server.store.base import key_values
from flowbot.server.store.base import user_of
from flowbot.server.store.base import user_values
from flowbot.server.store.schema import SERVER


def _migrate(path: Path) -> None:
    from flowbot.runtime.store.schema import migrate_sqlite

    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA busy_timeout = 5000")
        migrate_sqlite(connection, [SERVER], automatic_only=True)
    finally:
        connection.close()


class SqliteServerStore:
    """``alone``: no other process writes the outbox (``bot serve`` with one worker, whose state
    store already holds the file exclusively). The store then knows which users have stored
    messages, and the outbox check of a converse answer is a set lookup instead of a query."""

    def __init__(self, path: Path, *, alone: bool = False) -> None:
        self.path = path
        self.alone = alone
        self._db: aiosqlite.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        # (bot, user) that may have stored messages; only kept when ``alone``
        self._outbox_users: set[tuple[str, str]] = set()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("the server store is not open")
        return self._db

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Password and key hashes live here: owner-only, like the token secret. SQLite gives its
        # -wal and -shm files the permissions of the database file.
        os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        await self._db.execute("PRAGMA busy_timeout = 5000")
        await self._db.execute("PRAGMA journal_mode = WAL")
        # FULL: a stored proactive message or a revocation survives a power cut.
        await self._db.execute("PRAGMA synchronous = FULL")
        await asyncio.to_thread(_migrate, self.path)
        # The outbox check runs on every converse answer: a WAL read of an indexed key never waits
        # for a writer and takes microseconds, far less than a hop to aiosqlite's thread, so it runs
        # inline on its own read-only connection (a short busy timeout bounds the rare wait).
        self._reader = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        self._reader.execute("PRAGMA busy_timeout = 50")
        if self.alone:
            rows = self._reader.execute("SELECT DISTINCT bot_id, user_id FROM server_outbox").fetchall()
            self._outbox_users = {(bot_id, user_id) for bot_id, user_id in rows}

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def ping(self) -> None:
        await self.db.execute_fetchall("SELECT 1")

    # users ------------------------------------------------------------------------------------
    async def add_user(self, user: User) -> None:
        try:
            await self.db.execute(
                "INSERT INTO server_users VALUES (?, ?, ?, ?, ?, ?)", user_values(user)
            )
        except sqlite3.IntegrityError:
            raise DuplicateError(f"a user {user.email!r} already exists") from None

    async def get_user(self, email: str) -> User | None:
        rows = await self.db.execute_fetchall("SELECT * FROM server_users WHERE email = ?", (email,))
        return user_of(rows[0]) if rows else None

    async def list_users(self) -> list[User]:
        rows = await self.db.execute_fetchall("SELECT * FROM server_users ORDER BY email")
        return [user_of(row) for row in rows]

    async def remove_user(self, email: str) -> bool:
        cursor = await self.db.execute("DELETE FROM server_users WHERE email = ?", (email,))
        return cursor.rowcount > 0

    async def bump_token_version(self, email: str) -> int | None:
        rows = await self.db.execute_fetchall(
            "UPDATE server_users SET token_version = token_version + 1 WHERE email = ? RETURNING token_version",
            (email,),
        )
        return int(rows[0][0]) if rows else None

    # API keys ---------------------------------------------------------------------------------
    async def add_api_key(self, key: ApiKey) -> None:
        try:
            await self.db.execute(
                "INSERT INTO server_api_keys VALUES (?, ?, ?, ?, ?, ?)", key_values(key)
            )
        except sqlite3.IntegrityError:
            raise DuplicateError(f"an API key {key.key_id!r} already exists") from None

    async def get_api_key(self, key_id: str) -> ApiKey | None:
        rows = await self.db.execute_fetchall("SELECT * FROM server_api_keys WHERE key_id = ?", (key_id,))
        return key_of(rows[0]) if rows else None

    async def list_api_keys(self) -> list[ApiKey]:
        rows = await self.db.execute_fetchall("SELECT * FROM server_api_keys ORDER BY bot_id, created_at")
        return [key_of(row) for row in rows]

    async def revoke_api_key(self, key_id: str) -> bool:
        cursor = await self.db.execute("DELETE FROM server_api_keys WHERE key_id = ?", (key_id,))
        return cursor.rowcount > 0

    # outbox -----------------------------------------------------------------------------------
    async def push_outbox(
        self, bot_id: str, user_id: str, payloads: list[dict[str, Any]], now: float
    ) -> None:
        if not payloads:
            return
        # One statement: a proactive turn's messages are stored together or not at all, and no
        # other coroutine's statement on this shared connection can slip into a transaction.
        values = ", ".join("(?, ?, ?, ?)" for _ in payloads)
        params = [item for payload in payloads for item in (bot_id, user_id, bot_json(payload), now)]
        await self.db.execute(
            f"INSERT INTO server_outbox (bot_id, user_id, payload, created_at) VALUES {values}", params
        )
        if self.alone:  # others' takes would never forget the user: the set would only grow
            # Known once stored (not before): a take that runs meanwhile finds nothing, as its query would.
            self._outbox_users.add((bot_id, user_id))

    async def take_outbox(self, bot_id: str, user_id: str) -> list[OutboxMessage]:
        # The common case, an empty outbox, is answered by the inline reader (see open) and never
        # takes the write lock that the state writes of other connections need.
        if self._reader is None:
            raise RuntimeError("the server store is not open")
        if self.alone:
            key = (bot_id, user_id)
            if key not in self._outbox_users:
                return []
            # Forgotten before the take: messages stored while it runs make the key known again.
            self._outbox_users.discard(key)
            try:
                return await self._take_outbox(bot_id, user_id)
            except BaseException:
                self._outbox_users.add(key)
                raise
        return await self._take_outbox(bot_id, user_id)

    async def _take_outbox(self, bot_id: str, user_id: str) -> list[OutboxMessage]:
        assert self._reader is not None
        found = self._reader.execute(
            "SELECT 1 FROM server_outbox WHERE bot_id = ? AND user_id = ? LIMIT 1", (bot_id, user_id)
        ).fetchone()
        if found is None:
            return []
        # One statement: two takers can never both get a row.
        rows = await self.db.execute_fetchall(
            "DELETE FROM server_outbox WHERE bot_id = ? AND user_id = ? RETURNING seq, payload, created_at",
            (bot_id, user_id),
        )
        messages = [
            OutboxMessage(
                seq=seq, bot_id=bot_id, user_id=user_id, payload=json.loads(payload), created_at=created
            )
            for seq, payload, created in rows
        ]
        return sorted(messages, key=lambda message: message.seq)
