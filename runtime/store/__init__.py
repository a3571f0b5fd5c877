"""State stores: the interface (:class:`StateStore`), the in-memory and SQLite implementations."""

from __future__ import annotations

from pathlib import Path

from flowbot.errors import FlowbotError
from flowbot.runtime.store.base import DELETED
from flowbot.runtime.store.base import ExpiredConversation
from flowbot.runtime.store.base import LockManager
from flowbot.runtime.store.base import StateStore
from flowbot.runtime.store.memory import MemoryStore
from flowbot.runtime.store.sqlite import SqliteStore

SQLITE_FILE = "flowbot.sqlite3"


class StoreUrlError(FlowbotError):
    """A store URL that names no store flowbot knows."""


def create_store(url: str | None, data_dir: Path) -> StateStore:
    """The store named by ``url``: ``memory://``, ``sqlite:///<file>`` (``sqlite:////<absolute path>``)
    or ``sqlite://`` (the default:
    ``<data_dir>/flowbot.sqlite3``). Other stores (PostgreSQL, Redis) register their own schemes."""
    if not url or url in ("sqlite://", "sqlite:"):
        return SqliteStore(data_dir / SQLITE_FILE)
    if url == "memory://":
        return MemoryStore()
    if url.startswith("sqlite:///"):
        # as in SQLAlchemy: sqlite:///relative/file.db, sqlite:////absolute/file.db
        return SqliteStore(Path(url[len("sqlite:///") :]))
    raise StoreUrlError(f"unknown store {url!r}: expected memory://, sqlite:// or sqlite:///<path to a file>")


__all__ = [
    "DELETED",
    "ExpiredConversation",
    "LockManager",
    "MemoryStore",
    "SqliteStore",
    "StateStore",
    "StoreUrlError",
    "create_store",
]
