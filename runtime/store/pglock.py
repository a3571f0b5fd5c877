"""Per-user turn locks shared by every process of a PostgreSQL deployment: advisory locks.

A lock is a session-level ``pg_advisory_lock`` taken on a pooled connection, the *lease*, that
the turn keeps until it releases the lock; the turn's reads and its save run on that connection.
That is the fence: PostgreSQL releases an advisory lock only when its session unlocks it or ends,
and a session that ended can write nothing, so a holder that lost its lock can never save.

A holder cannot block its user forever:

* a process that dies (crash, SIGKILL) closes its sockets; PostgreSQL ends the sessions at once;
* a host that vanishes is found by TCP keepalives (sent every few seconds, see ``SERVER_SETTINGS``);
* a process that stops answering (frozen, its event loop blocked) stops the heartbeat of its
  leases; ``idle_session_timeout`` (the lease's ``ttl``) then ends the session, as a lock expiry
  would. One :class:`LeaseKeeper` per store beats for all of its leases.

Waiters queue in PostgreSQL's lock manager, which grants a lock in the order it was requested:
with the in-process queue in front of it (:class:`~flowbot.runtime.store.base.LockManager`, one
waiter per user per process), turns run in the order they reached the database.

Taking the lock also reads the user's record and the bot's memory, in the same round trip
(``flowbot_lock_and_load``, created by the migrations): a turn costs three round trips (lock and
load, save, unlock).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from collections.abc import Awaitable
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Any
from typing import TypeVar

logger = logging.getLogger("flowbot.runtime.store")

T = TypeVar("T")

# Dead peers are noticed in idle + interval * count = 25 s instead of the kernel's two hours.
SERVER_SETTINGS = {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"}

_ACQUIRE = "SELECT record, memory_keys, memory_values FROM flowbot_lock_and_load($1, $2, $3, $4)"
_RELEASE = "SELECT pg_advisory_unlock_all(), set_config('idle_session_timeout', '0', false)"
_RELEASE_NO_TTL = "SELECT pg_advisory_unlock_all()"


def lock_key(namespace: str, bot_id: str, user_id: str) -> int:
    """A signed 64-bit key per (namespace, bot, user); the namespace (the schema) keeps two
    deployments sharing a database apart. Two users colliding would only share a lock."""
    digest = hashlib.blake2b(f"{namespace}\0{bot_id}\0{user_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def keep_session(connection: Any) -> None:
    """The pool's reset: nothing to undo (a lease unlocks what it took and resets its expiry),
    which saves the round trip of asyncpg's default reset on every release."""


class Lease:
    """A connection holding one user's lock. Its operations and the heartbeat take turns on it
    (a connection runs one statement at a time). ``record`` and ``memory`` are what was read with
    the lock, until the turn uses them."""

    def __init__(self, connection: Any, key: int, ttl: float | None) -> None:
        self.connection = connection
        self.key = key
        self.ttl = ttl
        self.record: str | None = None
        self.has_record = False
        self.memory: dict[str, str] | None = None
        self._busy = asyncio.Lock()

    async def run(self, operation: Callable[[Any], Awaitable[T]]) -> T:
        async with self._busy:
            return await operation(self.connection)

    async def beat(self) -> None:
        if self._busy.locked():  # a statement is running: the session is not idle
            return
        try:
            await self.run(lambda connection: connection.execute("SELECT 1"))
        except Exception as exc:  # the session is gone: the save will fail, and say why
            logger.warning("lost the lock of a turn (its database session ended): %s", exc)


class LeaseKeeper:
    """Keeps the sessions of a store's leases from expiring while the process is alive."""

    def __init__(self, ttl: float | None) -> None:
        self.ttl = ttl
        self.leases: set[Lease] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.ttl is not None and self._task is None:
            self._task = asyncio.create_task(self._run(self.ttl / 3), name="flowbot-lease-keeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            await asyncio.gather(*(lease.beat() for lease in list(self.leases)))


@asynccontextmanager
async def advisory_lease(
    pool: Any, keeper: LeaseKeeper, key: int, bot_id: str, user_id: str
) -> AsyncIterator[Lease]:
    """Hold the advisory lock ``key`` on a connection of ``pool`` for the ``with`` block; the
    lease carries the user's record and the bot's memory as they were when it was granted."""
    connection = await pool.acquire()
    lease = Lease(connection, key, keeper.ttl)
    ttl = None if keeper.ttl is None else str(int(keeper.ttl * 1000))
    try:
        row = await connection.fetchrow(_ACQUIRE, key, ttl, bot_id, user_id)
    except BaseException:
        # Cancelled or failed while waiting: whether the lock was granted is unknown, so the
        # session is ended, which releases anything it holds.
        _terminate(connection)
        await pool.release(connection)
        raise
    lease.record, lease.has_record = row["record"], True
    lease.memory = dict(zip(row["memory_keys"] or (), row["memory_values"] or (), strict=True))
    keeper.leases.add(lease)
    try:
        yield lease
    finally:
        keeper.leases.discard(lease)
        await _release(pool, lease)


def _alive(connection: Any) -> bool:
    try:
        return not connection.is_closed()
    except Exception:  # asyncpg detached the pooled connection when its session ended
        return False


def _terminate(connection: Any) -> None:
    if _alive(connection):
        connection.terminate()


async def _release(pool: Any, lease: Lease) -> None:
    connection = lease.connection
    try:
        if _alive(connection):
            await lease.run(lambda c: c.execute(_RELEASE_NO_TTL if lease.ttl is None else _RELEASE))
    except Exception as exc:
        # The session is gone (and its lock with it): what the turn saved before stays saved.
        logger.debug("releasing a turn lock: %s", exc)
        _terminate(connection)
    except BaseException:
        _terminate(connection)  # cancelled mid-unlock: an ended session holds no lock
        raise
    finally:
        await pool.release(connection)
