"""The runtime's tables and their migrations (see :mod:`flowbot.runtime.store.schema`).

Add a migration at the end of a list, never edit one that shipped: databases record the versions
they applied. SQLite's first migration is the schema the store created before migrations
existed (``IF NOT EXISTS``), so that those databases are adopted as they are.
"""

from __future__ import annotations

from flowbot.runtime.store.schema import Component
from flowbot.runtime.store.schema import Migration

# Rows hold a whole record (~1-2 KB of JSON): a rowid table updated in place is cheaper than a
# WITHOUT ROWID one rewritten by INSERT OR REPLACE (measured: ~30% per row). ``due`` is when the
# janitor next has work for the row (its expired context, else its expired session): one index.
_SQLITE_INITIAL = Migration(
    1,
    "conversations and bot memory",
    (
        """CREATE TABLE IF NOT EXISTS conversations (
            bot_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            data TEXT NOT NULL,
            session_expiry REAL,
            due REAL,
            PRIMARY KEY (bot_id, user_id)
        )""",
        "CREATE INDEX IF NOT EXISTS conversations_due ON conversations (due)",
        "CREATE TABLE IF NOT EXISTS bot_memory (bot_id TEXT PRIMARY KEY, data TEXT NOT NULL)",
    ),
)

# Records are JSON text, not jsonb: the store never queries inside them, text costs the server
# no parsing, and it holds any string (jsonb refuses \u0000). Bot memory is one row per key, so
# that a turn's changes are applied by the database (upsert and delete of its keys) in the same
# statement as the record, whichever process wrote the other keys.
# A turn starts with one round trip: take the user's advisory lock (with the lease's expiry),
# then read the record and the bot memory. In a VOLATILE function each query takes a new
# snapshot, so the reads see every commit made before the lock was granted (a single SELECT
# calling pg_advisory_lock would read the snapshot taken before it waited: a stale record).
_LOCK_AND_LOAD = """
CREATE OR REPLACE FUNCTION flowbot_lock_and_load(lock_key BIGINT, ttl TEXT, bot TEXT, target TEXT)
RETURNS TABLE (record TEXT, memory_keys TEXT[], memory_values TEXT[])
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF ttl IS NOT NULL THEN
        PERFORM set_config('idle_session_timeout', ttl, false);
    END IF;
    PERFORM pg_advisory_lock(lock_key);
    RETURN QUERY SELECT
        (SELECT c.data FROM conversations c WHERE c.bot_id = bot AND c.user_id = target),
        m.keys, m.vals
    FROM (SELECT array_agg(b.key) AS keys, array_agg(b.value) AS vals FROM bot_memory b WHERE b.bot_id = bot) m;
END
$$
"""

_POSTGRES_INITIAL = Migration(
    1,
    "conversations and bot memory",
    (
        """CREATE TABLE IF NOT EXISTS conversations (
            bot_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            data TEXT NOT NULL,
            session_expiry DOUBLE PRECISION,
            due DOUBLE PRECISION,
            PRIMARY KEY (bot_id, user_id)
        )""",
        "CREATE INDEX IF NOT EXISTS conversations_due ON conversations (due) WHERE due IS NOT NULL",
        """CREATE TABLE IF NOT EXISTS bot_memory (
            bot_id TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (bot_id, key)
        )""",
        _LOCK_AND_LOAD,
    ),
)

RUNTIME = Component("runtime", sqlite=(_SQLITE_INITIAL,), postgres=(_POSTGRES_INITIAL,))
