"""State stores: the interface (:class:`StateStore`), the in-memory, SQLite and PostgreSQL stores."""

from __future__ import annotations

from pathlib import Path

from flowbot.runtime.store.base import DELETED
from flowbot.runtime.store.base import ExpiredConversation
from flowbot.runtime.store.base import LockManager
from flowbot.runtime.store.base import StateStore
from flowbot.runtime.store.memory import MemoryStore
from flowbot.runtime.store.sqlite import SqliteStore
from flowbot.runtime.store.urls import StoreUrlError
from flowbot.runtime.store.urls import is_postgres_url
from flowbot.runtime.store.urls import redact

SQLITE_FILE = "flowbot.sqlite3"


def sqlite_path(url: str | None, data_dir: Path) -> Path | None:
    """The file a SQLite URL names (``sqlite:///relative/to/data_dir``, ``sqlite:////absolute``;
    ``sqlite://`` and no URL: ``<data_dir>/flowbot.sqlite3``), or None for another store."""
    if not url or url in ("sqlite://", "sqlite:"):
        return data_dir / SQLITE_FILE
    if url.startswith("sqlite:///"):
        # as in SQLAlchemy: sqlite:///relative/file.db, sqlite:////absolute/file.db
        path = Path(url[len("sqlite:///") :])
        return path if path.is_absolute() else data_dir / path
    return None


def create_store(url: str | None, data_dir: Path, *, shared: bool = False) -> StateStore:
    """The store named by ``url``: ``memory://``, ``sqlite:///<file>`` (relative to ``data_dir``),
    ``sqlite:////<absolute path>``, ``sqlite://`` (the default: ``<data_dir>/flowbot.sqlite3``) or
    ``postgresql://user@host:port/db?schema=...`` (see :mod:`.urls` for the options).

    ``shared``: several processes use the store at once (``bot serve``); SQLite then locks users
    across processes. PostgreSQL always does; the memory store cannot be shared."""
    if url == "memory://":
        if shared:
            raise StoreUrlError("memory:// cannot be shared by several processes")
        return MemoryStore()
    path = sqlite_path(url, data_dir)
    if path is not None:
        return SqliteStore(path, shared=shared)
    if is_postgres_url(url):
        from flowbot.runtime.store.postgres import PostgresStore

        return PostgresStore(str(url))
    raise StoreUrlError(
        f"unknown store {redact(str(url))!r}: expected sqlite:///<path to a file>, "
        "postgresql://user@host:port/database or memory://"
    )


__all__ = [
    "DELETED",
    "ExpiredConversation",
    "LockManager",
    "MemoryStore",
    "SqliteStore",
    "StateStore",
    "StoreUrlError",
    "create_store",
    "sqlite_path",
]
