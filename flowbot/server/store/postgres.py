"""The server store in PostgreSQL, shared by every ``bot serve`` process of a deployment.

Each method is one statement, so it is atomic whichever process runs it: ``take_outbox`` deletes
and returns the user's messages in one ``DELETE ... RETURNING``, so two processes never hand out
one message twice. The pool is small: these are short statements, unlike turns.
"""

from __future__ import annotations

import json
from typing import Any

from flowbot.runtime.store.postgres import create_pool
from flowbot.runtime.store.postgres import prepare_schema
from flowbot.runtime.store.urls import parse_postgres_url
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

POOL_SIZE = 4


class PostgresServerStore:
    def __init__(self, url: str) -> None:
        self.dsn, self.options = parse_postgres_url(url)
        self._pool: Any = None

    @property
    def pool(self) -> Any:
        if self._pool is None:
            raise RuntimeError("the server store is not open")
        return self._pool

    async def open(self) -> None:
        if self._pool is not None:
            return
        pool = await create_pool(self.dsn, self.options, max_size=min(POOL_SIZE, self.options.pool_max))
        try:
            await prepare_schema(pool, self.options, (SERVER,))
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def ping(self) -> None:
        await self.pool.fetchval("SELECT 1")

    # users ------------------------------------------------------------------------------------
    async def add_user(self, user: User) -> None:
        import asyncpg

        try:
            await self.pool.execute(
                "INSERT INTO server_users VALUES ($1, $2, $3, $4, $5, $6)", *user_values(user)
            )
        except asyncpg.UniqueViolationError:
            raise DuplicateError(f"a user {user.email!r} already exists") from None

    async def get_user(self, email: str) -> User | None:
        row = await self.pool.fetchrow("SELECT * FROM server_users WHERE email = $1", email)
        return user_of(row) if row else None

    async def list_users(self) -> list[User]:
        return [user_of(row) for row in await self.pool.fetch("SELECT * FROM server_users ORDER BY email")]

    async def remove_user(self, email: str) -> bool:
        status = await self.pool.execute("DELETE FROM server_users WHERE email = $1", email)
        return bool(status != "DELETE 0")

    async def bump_token_version(self, email: str) -> int | None:
        version = await self.pool.fetchval(
            "UPDATE server_users SET token_version = token_version + 1 WHERE email = $1 RETURNING token_version",
            email,
        )
        return None if version is None else int(version)

    # API keys ---------------------------------------------------------------------------------
    async def add_api_key(self, key: ApiKey) -> None:
        import asyncpg

        try:
            await self.pool.execute(
                "INSERT INTO server_api_keys VALUES ($1, $2, $3, $4, $5, $6)", *key_values(key)
            )
        except asyncpg.UniqueViolationError:
            raise DuplicateError(f"an API key {key.key_id!r} already exists") from None

    async def get_api_key(self, key_id: str) -> ApiKey | None:
        row = await self.pool.fetchrow("SELECT * FROM server_api_keys WHERE key_id = $1", key_id)
        return key_of(row) if row else None

    async def list_api_keys(self) -> list[ApiKey]:
        rows = await self.pool.fetch("SELECT * FROM server_api_keys ORDER BY bot_id, created_at")
        return [key_of(row) for row in rows]

    async def revoke_api_key(self, key_id: str) -> bool:
        status = await self.pool.execute("DELETE FROM server_api_keys WHERE key_id = $1", key_id)
        return bool(status != "DELETE 0")

    # outbox -----------------------------------------------------------------------------------
    async def push_outbox(
        self, bot_id: str, user_id: str, payloads: list[dict[str, Any]], now: float
    ) -> None:
        if not payloads:
            return
        # One statement: a turn's messages are stored together (in order: WITH ORDINALITY) or not at all.
        await self.pool.execute(
            "INSERT INTO server_outbox (bot_id, user_id, payload, created_at)"
            " SELECT $1, $2, payload, $4 FROM unnest($3::text[]) WITH ORDINALITY AS p(payload, n) ORDER BY n",
            bot_id,
            user_id,
            [bot_json(payload) for payload in payloads],
            now,
        )

    async def take_outbox(self, bot_id: str, user_id: str) -> list[OutboxMessage]:
        rows = await self.pool.fetch(
            "DELETE FROM server_outbox WHERE bot_id = $1 AND user_id = $2 RETURNING seq, payload, created_at",
            bot_id,
            user_id,
        )
        messages = [
            OutboxMessage(
                seq=row["seq"],
                bot_id=bot_id,
                user_id=user_id,
                payload=json.loads(row["payload"]),
                created_at=row["created_at"],
            )
            for row in rows
        ]
        return sorted(messages, key=lambda message: message.seq)
