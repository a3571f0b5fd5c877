"""Per-user locks shared by the processes that use one SQLite file: POSIX byte-range locks.

Each (bot, user) maps to one byte of a lock file beside the database; a process holds the user's
lock while it holds an exclusive lock on that byte. The kernel releases the locks of a process
that exits, however it exits, so a crashed holder never blocks a user. Waiting is polling (a
non-blocking attempt, then short sleeps): a blocking wait would need a thread per waiter, and
the kernel's deadlock detection, which works per process, would report false deadlocks between
two workers each holding one user and waiting for another.

On Linux the locks are open-file-description locks (``F_OFD_SETLK``): they belong to the
store's open lock file, not to the process, so two stores of one process exclude each other too
(as the tests need), and closing one never drops the other's locks. Elsewhere they are classic
POSIX locks, which belong to the process. Either way, the in-process queue in front of them
(:class:`~flowbot.runtime.store.base.LockManager`) keeps two turns of one store apart.

One more byte says who uses the file: a store for one process (which caches what it wrote)
holds it exclusively, shared stores hold it in shared mode. So a second process can never open
a file that a single-process store is using, which would make that store's cache lie.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from flowbot.errors import FlowbotError

FIRST_DELAY = 0.0005
MAX_DELAY = 0.01
_OFFSETS = (1 << 62) - 1
OWNER_BYTE = 1 << 62  # beyond every user's byte
_OFD = getattr(fcntl, "F_OFD_SETLK", None)


def _flock(kind: int, offset: int) -> bytes:
    # struct flock: l_type, l_whence, l_start, l_len, l_pid (0 for OFD locks), padding
    return struct.pack("hhqqii", kind, os.SEEK_SET, offset, 1, 0, 0)


class StoreBusyError(FlowbotError):
    """The SQLite file is used by another process in a way that excludes this store."""


def byte_of(bot_id: str, user_id: str) -> int:
    digest = hashlib.blake2b(f"{bot_id}\0{user_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & _OFFSETS


class FileLocks:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def open(self) -> None:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)

    def close(self) -> None:
        # Closing the file releases every lock held through it.
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def claim(self, *, exclusive: bool) -> bool:
        """Take the owner byte (exclusive: this store alone; else shared with other shared
        stores); False when another store's use of the file is incompatible."""
        return self._try(OWNER_BYTE, exclusive=exclusive)

    def _try(self, offset: int, *, exclusive: bool = True) -> bool:
        if self._fd is None:
            raise RuntimeError("the lock file is not open")
        try:
            if _OFD is not None:
                fcntl.fcntl(self._fd, _OFD, _flock(fcntl.F_WRLCK if exclusive else fcntl.F_RDLCK, offset))
            else:
                mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
                fcntl.lockf(self._fd, mode | fcntl.LOCK_NB, 1, offset)
        except (BlockingIOError, PermissionError):  # EAGAIN or EACCES: another owner holds it
            return False
        return True

    def _unlock(self, offset: int) -> None:
        if self._fd is None:
            return
        if _OFD is not None:
            fcntl.fcntl(self._fd, _OFD, _flock(fcntl.F_UNLCK, offset))
        else:
            fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, offset)

    @asynccontextmanager
    async def hold(self, bot_id: str, user_id: str) -> AsyncIterator[None]:
        offset = byte_of(bot_id, user_id)
        delay = FIRST_DELAY
        while not self._try(offset):
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY)
        try:
            yield
        finally:
            self._unlock(offset)
