"""The state store interface: what the conversation service needs from SQLite, PostgreSQL or Redis.

A store keeps, per (bot, user), one :class:`ConversationRecord` (dialog session + user memory),
and per bot its shared bot memory. The service uses it as follows, for every turn::

    async with store.lock(bot_id, user_id):          # turns of one user, strictly in order
        record = await store.load(bot_id, user_id)   # a private copy
        memory = await store.load_bot_memory(bot_id)  # a private copy
        ...                                           # run the turn on the copies
        await store.save(bot_id, user_id, record, bot_changes)   # atomic; durable on return

``save`` writes the record and applies ``bot_changes`` (the top-level keys of bot memory the turn
set, or :data:`DELETED`) in one transaction, and returns only once that transaction is durable.
A turn that fails never calls ``save``, so the stored state stays as it was.
"""

from __future__ import annotations

import asyncio
from abc import ABC
from abc import abstractmethod
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any
from typing import Literal

from flowbot.runtime.state import ConversationRecord
from flowbot.runtime.turn import DELETED

__all__ = ["DELETED", "ExpiredConversation", "LockManager", "StateStore", "apply_bot_changes", "due_of"]


@dataclass(frozen=True)
class ExpiredConversation:
    """A conversation the janitor must handle: its session expired, or only its context did."""

    bot_id: str
    user_id: str
    kind: Literal["session", "context"]


class LockManager:
    """In-process per-(bot, user) locks. ``asyncio.Lock`` wakes waiters in arrival order, so the
    turns of one user are applied in the order they arrived; idle locks are dropped."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    def hold(self, bot_id: str, user_id: str) -> AbstractAsyncContextManager[None]:
        return _Hold(self._locks, (bot_id, user_id))

    def __len__(self) -> int:
        return len(self._locks)


class _Hold(AbstractAsyncContextManager[None]):
    """One hold of a user's lock. A class rather than an ``asynccontextmanager``: every turn takes
    one, and the generator machinery cost several times the lock itself."""

    def __init__(self, locks: dict[tuple[str, str], tuple[asyncio.Lock, int]], key: tuple[str, str]) -> None:
        self._locks = locks
        self._key = key
        self._lock: asyncio.Lock | None = None

    async def __aenter__(self) -> None:
        lock, users = self._locks.get(self._key) or (asyncio.Lock(), 0)
        self._locks[self._key] = (lock, users + 1)
        try:
            await lock.acquire()
        except BaseException:
            self._leave()
            raise
        self._lock = lock

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._lock is not None
        self._lock.release()
        self._leave()

    def _leave(self) -> None:
        lock, users = self._locks[self._key]
        if users == 1:
            del self._locks[self._key]
        else:
            self._locks[self._key] = (lock, users - 1)


def apply_bot_changes(memory: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Bot memory after a turn's changes (keys set, or removed when the value is ``DELETED``)."""
    updated = dict(memory)
    for key, value in changes.items():
        if value is DELETED:
            updated.pop(key, None)
        else:
            updated[key] = value
    return updated


def due_of(record: ConversationRecord) -> float | None:
    """When the janitor next has work for a record: its context expiry when the context is not
    empty, else its session expiry (stores index it to find expired conversations)."""
    due = record.session_expiry
    if not record.context.is_empty and record.context_expiry is not None:
        due = record.context_expiry if due is None else min(due, record.context_expiry)
    return due


class StateStore(ABC):
    """Async storage of conversation records and bot memory (see the module docstring)."""

    async def open(self) -> None:
        """Prepare the store (create tables, start writers). Idempotent."""

    async def close(self) -> None:
        """Flush pending writes and release resources."""

    @abstractmethod
    def lock(self, bot_id: str, user_id: str) -> AbstractAsyncContextManager[None]:
        """Hold the turn lock of (bot, user). A distributed store may hold a distributed lock."""

    @abstractmethod
    async def load(self, bot_id: str, user_id: str) -> ConversationRecord:
        """The stored record of (bot, user), or a new one; the caller may mutate it freely."""

    @abstractmethod
    async def load_bot_memory(self, bot_id: str) -> dict[str, Any]:
        """The bot's memory (``bot`` scope); the caller may mutate it freely."""

    @abstractmethod
    async def save(
        self,
        bot_id: str,
        user_id: str,
        record: ConversationRecord,
        bot_changes: dict[str, Any],
        *,
        reusable: bool = False,
    ) -> None:
        """Write the record and the bot memory changes atomically; return once durable.

        ``reusable``: the caller keeps no reference into ``record``, so a store that caches may
        hand this very object to the user's next :meth:`load` instead of reading a copy back (a
        store is free to ignore it). Without it, the next load always returns a fresh copy."""

    @abstractmethod
    async def expired(self, now: float, limit: int = 1000) -> list[ExpiredConversation]:
        """Conversations whose session expired, or whose non-empty context expired, at ``now``."""
