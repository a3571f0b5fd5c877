"""Server store: users, API keys, token versions, outbox (see :mod:`.base`)."""

from __future__ import annotations

from pathlib import Path

from flowbot.runtime.store.urls import StoreUrlError
from flowbot.runtime.store.urls import is_postgres_url
from flowbot.server.store.base import ApiKey
from flowbot.server.store.base import DuplicateError
from flowbot.server.store.base import OutboxMessage
from flowbot.server.store.base import ServerStore
from flowbot.server.store.base import User
from flowbot.server.store.sqlite import SqliteServerStore
from flowbot.settings import SettingsError

__all__ = [
    "ApiKey",
    "DuplicateError",
    "OutboxMessage",
    "ServerStore",
    "SqliteServerStore",
    "User",
    "store_from_url",
]


def store_from_url(url: str, data_dir: Path, *, alone: bool = False) -> ServerStore:
    """The store a ``database.url`` names: ``sqlite:///<path>`` (relative to the data folder, or
    absolute with four slashes as in SQLAlchemy) or ``postgresql://...`` (the options of
    :mod:`flowbot.runtime.store.urls`). Not opened yet. ``alone``: this process is the only one
    serving a SQLite file (see :class:`SqliteServerStore`)."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        return SqliteServerStore(path if path.is_absolute() else data_dir / path, alone=alone)
    if is_postgres_url(url):
        from flowbot.server.store.postgres import PostgresServerStore

        try:
            return PostgresServerStore(url)
        except StoreUrlError as exc:
            raise SettingsError(f"database.url: {exc}") from None
    scheme = url.split(":", 1)[0] or url
    raise SettingsError(
        f"database.url: unsupported store {scheme!r}; expected sqlite:///<path> or postgresql://..."
    )
