"""Per-user turn locks shared by every process of a PostgreSQL deployment: advisory locks.

A lock is a session-level ``pg_advisory_lock`` taken on a pooled connection, the *lease*, that
the turn keeps until it releases the lock; the turn's reads and its save run on that connection.
That is the fence: PostgreSQL releases an advisory lock only when its session unlocks it or ends,
and a session that ended can write nothing, so a holder that lost its lock can never save.

A holder cannot block its user forever:

* a process that dies (crash, SIGKILL) closes its sockets; PostgreSQL ends the sessions at once;
* a host that vanishes is found by TCP keepalives (sent every few seconds, see ``SERVER_SETTINGS``);
* a process that stops answering (frozen, its event loop blocked) stops its lease's heartbeat;
  ``idle_session_timeout`` (the lease's ``ttl``) then ends the session, as a lock expiry would.

Waiters queue in PostgreSQL's lock manager, which grants a lock in the order it was requested:
with the in-process queue in front of it (:class:`~flowbot.runtime.store.base.LockManager`, one
waiter per user per process), turns run in the order they reached the database.
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

_ACQUIRE = "SELECT set_config('idle_session_timeout', $1, false), pg_advisory_lock($2)"
_ACQUIRE_NO_TTL = "SELECT pg_advisory_lock($1)"
_RELEASE = "SELECT pg_advisory_unlock($1), set_config('idle_session_timeout', '0', false)"
_RELEASE_NO_TTL = "SELECT pg_advisory_unlock($1)"


def lock_key(namespace: str, bot_id: str, user_id: str) -> int:
    """A signed 64-bit key per (namespace, bot, user); the namespace (the schema) keeps two
    deployments sharing a database apart. Two users colliding would only share a lock."""
    digest = hashlib.blake2b(f"{namespace}\0{bot_id}\0{user_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Lease:
    """A connection holding one user's lock. Its operations and the heartbeat take turns on it
    (a connection runs one statement at a time)."""

    def __init__(self, connection: Any, key: int, ttl: float | None) -> None:
        self.connection = connection
        self.key = key
        self.ttl = ttl
        self._busy = asyncio.Lock()
        self._heartbeat: asyncio.Task[None] | None = None

    async def run(self, operation: Callable[[Any], Awaitable[T]]) -> T:
        async with self._busy:
            return await operation(self.connection)

    def start_heartbeat(self) -> None:
        if self.ttl is not None:
            self._heartbeat = asyncio.create_task(self._beat(self.ttl / 3), name="flowbot-lease-heartbeat")

    async def _beat(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.run(lambda connection: connection.execute("SELECT 1"))
            except Exception as exc:  # the session is gone: the save will fail, and say why
                logger.warning("lost the lock of a turn (its database session ended): %s", exc)
                return

    async def stop_heartbeat(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None


@asynccontextmanager
async def advisory_lease(pool: Any, key: int, ttl: float | None) -> AsyncIterator[Lease]:
    """Hold the advisory lock ``key`` on a connection of ``pool`` for the ``with`` block."""
    connection = await pool.acquire()
    lease = Lease(connection, key, ttl)
    try:
        if ttl is None:
            await connection.execute(_ACQUIRE_NO_TTL, key)
        else:
            await connection.execute(_ACQUIRE, str(int(ttl * 1000)), key)
    except BaseException:
        # Cancelled or failed while waiting: whether the lock was granted is unknown, so the
        # session is ended, which releases anything it holds.
        _terminate(connection)
        await pool.release(connection)
        raise
    lease.start_heartbeat()
    try:
        yield lease
    finally:
        await lease.stop_heartbeat()
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
            await connection.execute(_RELEASE_NO_TTL if lease.ttl is None else _RELEASE, lease.key)
    except Exception as exc:
        # The session is gone (and its lock with it): what the turn saved before stays saved.
        logger.debug("releasing a turn lock: %s", exc)
        _terminate(connection)
    except BaseException:
        _terminate(connection)  # cancelled mid-unlock: an ended session holds no lock
        raise
    finally:
        await pool.release(connection)
