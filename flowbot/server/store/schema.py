"""The server store's tables and their migrations (see :mod:`flowbot.runtime.store.schema`).

Add a migration at the end of a list, never edit one that shipped. SQLite's first migration is the
schema the store created before migrations existed (``IF NOT EXISTS``), so those files are adopted.
"""

from __future__ import annotations

from flowbot.runtime.store.schema import Component
from flowbot.runtime.store.schema import Migration

_SQLITE_INITIAL = Migration(
    1,
    "users, API keys, outbox",
    (
        """CREATE TABLE IF NOT EXISTS server_users (
            email TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL,
            bots TEXT NOT NULL,
            token_version INTEGER NOT NULL,
            created_at REAL NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS server_api_keys (
            key_id TEXT PRIMARY KEY,
            bot_id TEXT NOT NULL,
            name TEXT NOT NULL,
            secret_hash TEXT NOT NULL,
            created_at REAL NOT NULL,
            last_used_at REAL
        )""",
        """CREATE TABLE IF NOT EXISTS server_outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            bot_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at REAL NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS server_outbox_by_user ON server_outbox (bot_id, user_id, seq)",
    ),
)

_POSTGRES_INITIAL = Migration(
    1,
    "users, API keys, outbox",
    (
        """CREATE TABLE IF NOT EXISTS server_users (
            email TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL,
            bots TEXT NOT NULL,
            token_version INTEGER NOT NULL,
            created_at DOUBLE PRECISION NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS server_api_keys (
            key_id TEXT PRIMARY KEY,
            bot_id TEXT NOT NULL,
            name TEXT NOT NULL,
            secret_hash TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            last_used_at DOUBLE PRECISION
        )""",
        """CREATE TABLE IF NOT EXISTS server_outbox (
            seq BIGSERIAL PRIMARY KEY,
            bot_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS server_outbox_by_user ON server_outbox (bot_id, user_id, seq)",
    ),
)

SERVER = Component("server", sqlite=(_SQLITE_INITIAL,), postgres=(_POSTGRES_INITIAL,))
