"""The default store: one SQLite file (WAL mode) under the caller's data folder.

Throughput comes from three choices, measured in ``benchmarks/turns.py``:

* hot records and bot memory are cached in memory (as their JSON text), so a turn's load is a
  dictionary lookup; the cache is filled on a miss by one primary-key read on the event loop
  (a few microseconds: cheaper than a hop to a thread); a record saved ``reusable`` is cached as
  the object too, and the user's next load takes that object instead of parsing the text (the
  parse was the largest part of a load); a taken object is gone from the cache, so a turn that
  fails after its load leaves the text, which is what is stored, for the next one;
* one writer task groups the saves of concurrent turns into one transaction (group commit) and
  resolves each turn's save only once that transaction is durable (``synchronous=FULL`` fsyncs
  the WAL at each commit; ``"normal"`` survives a crash of the process but not of the machine);
* the commit runs on a dedicated thread (``commit_in_thread=True``), so the fsync never blocks the
  event loop: other turns keep running while a batch is written.

``shared=True`` makes the file safe for several processes (``bot serve --workers N``): turn locks
become per-user byte-range locks on ``<file>-locks`` (:mod:`.filelock`), records and bot memory
are read from the file at every turn (another process may have written them), and bot memory
changes are applied to the stored memory inside the write transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections import OrderedDict
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import Literal

from flowbot.runtime.state import ConversationRecord
from flowbot.runtime.store.base import ExpiredConversation
from flowbot.runtime.store.base import LockManager
from flowbot.runtime.store.base import StateStore
from flowbot.runtime.store.base import apply_bot_changes
from flowbot.runtime.store.base import due_of
from flowbot.runtime.store.filelock import FileLocks
from flowbot.runtime.store.filelock import StoreBusyError
from flowbot.runtime.store.memory import dump_memory
from flowbot.runtime.store.migrations import RUNTIME
from flowbot.runtime.store.records import dump_record
from flowbot.runtime.store.records import load_record
from flowbot.runtime.store.schema import migrate_sqlite

UPSERT_ROW = "(?, ?, ?, ?, ?)"
UPSERT_CONFLICT = (
    " ON CONFLICT (bot_id, user_id) DO UPDATE SET"
    " data = excluded.data, session_expiry = excluded.session_expiry, due = excluded.due"
)
# A batch's records are written by one multi-row statement (per chunk of this many rows: 5
# parameters each stays under the 999 that older SQLite builds allow). sqlite3 releases the GIL
# around each statement step, and the writer thread must win it back from the busy event loop
# each time: one statement for the batch instead of one per row keeps those handoffs few.
ROWS_PER_STATEMENT = 150
UPSERT_BOT = "INSERT INTO bot_memory VALUES (?, ?) ON CONFLICT (bot_id) DO UPDATE SET data = excluded.data"


@dataclass
class _Write:
    bot_id: str
    user_id: str
    text: str
    record: ConversationRecord
    bot_changes: dict[str, Any]
    done: asyncio.Future[None]
    reusable: bool = False
    finished: bool = False  # committed or failed: the writer is done with it
    landed: asyncio.Future[None] | None = None  # waited on by a caller cancelled meanwhile


class SqliteStore(StateStore):
    def __init__(
        self,
        path: Path | str,
        *,
        synchronous: Literal["full", "normal"] = "full",
        cache_size: int = 100_000,
        commit_in_thread: bool = True,
        max_batch: int = 1000,
        shared: bool = False,
    ) -> None:
        self.path = Path(path)
        self.shared = shared
        self._owner = FileLocks(self.path.with_name(self.path.name + "-locks"))
        self._file_locks = self._owner if shared else None
        self.synchronous = synchronous
        self.cache_size = cache_size
        self.commit_in_thread = commit_in_thread
        self.max_batch = max_batch
        self._locks = LockManager()
        # (bot, user) -> the stored text, and the saved record object while no load has taken it
        self._cache: OrderedDict[tuple[str, str], tuple[str, ConversationRecord | None]] = OrderedDict()
        self._bot_cache: dict[str, str] = {}
        self._reader: sqlite3.Connection | None = None
        self._writer: sqlite3.Connection | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._queue: asyncio.Queue[_Write | None] | None = None
        self._task: asyncio.Task[None] | None = None
        self.commits = 0

    # -- lifecycle ---------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA synchronous={self.synchronous.upper()}")
        connection.execute("PRAGMA busy_timeout=5000")
        return connection

    async def open(self) -> None:
        if self._task is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._owner.open()
        if not self._owner.claim(exclusive=not self.shared):
            self._owner.close()
            raise StoreBusyError(
                f"{self.path} is in use by another process"
                + ("" if self.shared else " (this store caches what it writes, so it must be alone)")
                + ": serve it from one `bot serve --workers N`, or use PostgreSQL for several servers"
            )
        try:
            self._writer = self._connect()
            migrate_sqlite(self._writer, [RUNTIME], automatic_only=True)
        except BaseException:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            self._owner.close()
            raise
        self._reader = self._connect()
        if self.commit_in_thread:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="flowbot-sqlite")
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._write_loop(), name="flowbot-sqlite-writer")

    async def close(self) -> None:
        if self._task is None or self._queue is None:
            return
        await self._queue.put(None)
        await self._task
        self._task = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        for connection in (self._reader, self._writer):
            if connection is not None:
                connection.close()
        self._reader = self._writer = None
        self._owner.close()

    def _require_reader(self) -> sqlite3.Connection:
        if self._reader is None:
            raise RuntimeError("the SQLite store is not open (call `await store.open()` first)")
        return self._reader

    # -- reads -------------------------------------------------------------------------------------

    def lock(self, bot_id: str, user_id: str) -> AbstractAsyncContextManager[None]:
        if self._file_locks is None:
            return self._locks.hold(bot_id, user_id)
        return self._shared_hold(bot_id, user_id)

    @asynccontextmanager
    async def _shared_hold(self, bot_id: str, user_id: str) -> AsyncIterator[None]:
        assert self._file_locks is not None
        async with self._locks.hold(bot_id, user_id), self._file_locks.hold(bot_id, user_id):
            yield

    async def load(self, bot_id: str, user_id: str) -> ConversationRecord:
        key = (bot_id, user_id)
        cached = None if self.shared else self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            text, record = cached
            if record is None:
                return load_record(text)
            self._cache[key] = (text, None)
            return record
        row = (
            self._require_reader()
            .execute("SELECT data FROM conversations WHERE bot_id = ? AND user_id = ?", key)
            .fetchone()
        )
        if row is None:
            return ConversationRecord()
        self._remember(key, row[0])
        return load_record(row[0])

    async def load_bot_memory(self, bot_id: str) -> dict[str, Any]:
        text = self._bot_memory_text(bot_id)
        return {} if text == "{}" else json.loads(text)

    def _bot_memory_text(self, bot_id: str) -> str:
        text = None if self.shared else self._bot_cache.get(bot_id)
        if text is None:
            row = (
                self._require_reader()
                .execute("SELECT data FROM bot_memory WHERE bot_id = ?", (bot_id,))
                .fetchone()
            )
            text = row[0] if row else "{}"
            if not self.shared:
                self._bot_cache[bot_id] = text
        return text

    def _remember(self, key: tuple[str, str], text: str, record: ConversationRecord | None = None) -> None:
        if self.shared:
            return
        self._cache[key] = (text, record)
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    async def expired(self, now: float, limit: int = 1000) -> list[ExpiredConversation]:
        rows = (
            self._require_reader()
            .execute(
                "SELECT bot_id, user_id, session_expiry IS NOT NULL AND session_expiry <= ?"
                " FROM conversations WHERE due <= ? ORDER BY due LIMIT ?",
                (now, now, limit),
            )
            .fetchall()
        )
        return [
            ExpiredConversation(bot, user, "session" if session else "context") for bot, user, session in rows
        ]

    # -- writes ------------------------------------------------------------------------------------

    async def save(
        self,
        bot_id: str,
        user_id: str,
        record: ConversationRecord,
        bot_changes: dict[str, Any],
        *,
        reusable: bool = False,
    ) -> None:
        if self._queue is None:
            raise RuntimeError("the SQLite store is not open (call `await store.open()` first)")
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        write = _Write(bot_id, user_id, dump_record(record), record, bot_changes, done, reusable)
        self._queue.put_nowait(write)
        try:
            await done  # not shielded (a shield per turn cost more than the rest of this method)
        except asyncio.CancelledError:
            # The write is queued and will land: keep the caller (and so the user's turn lock)
            # until it has, so that the user's next turn reads it.
            if not write.finished:
                write.landed = loop.create_future()
                with contextlib.suppress(Exception):
                    await write.landed
            raise

    async def _write_loop(self) -> None:
        assert self._queue is not None
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self.max_batch and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            await self._commit(batch)

    async def _commit(self, batch: list[_Write]) -> None:
        try:
            rows = [self._row(w) for w in batch]
            changes = [(w.bot_id, w.bot_changes) for w in batch if w.bot_changes]
            # Single process: bot memory as this process last wrote it (its cache is the truth).
            # Shared: read inside the write transaction, where no other process can change it.
            known = {} if self.shared else {b: self._bot_memory_text(b) for b, _ in changes}
            if self._executor is not None:
                memories = await asyncio.get_running_loop().run_in_executor(
                    self._executor, self._write_batch, rows, changes, known
                )
            else:
                memories = self._write_batch(rows, changes, known)
        except Exception as exc:  # the turns fail; their stored state stays as it was
            _finish(batch, exc)
            return
        self.commits += 1
        for write in batch:
            reusable = write.record if write.reusable else None
            self._remember((write.bot_id, write.user_id), write.text, reusable)
        if not self.shared:
            self._bot_cache.update(memories)
        _finish(batch, None)

    @staticmethod
    def _row(write: _Write) -> tuple[Any, ...]:
        record = write.record
        return (write.bot_id, write.user_id, write.text, record.session_expiry, due_of(record))

    def _write_batch(
        self, rows: list[tuple[Any, ...]], changes: list[tuple[str, dict[str, Any]]], known: dict[str, str]
    ) -> dict[str, str]:
        connection = self._writer
        assert connection is not None
        if not changes and len(rows) <= ROWS_PER_STATEMENT:
            # One statement in autocommit mode is its own transaction: atomic, and durable once
            # it returns (synchronous=FULL).
            _upsert(connection, rows)
            return {}
        connection.execute("BEGIN IMMEDIATE")
        try:
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                _upsert(connection, rows[start : start + ROWS_PER_STATEMENT])
            memories = self._merge_memories(connection, changes, known)
            if memories:
                connection.executemany(UPSERT_BOT, list(memories.items()))
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return memories

    @staticmethod
    def _merge_memories(
        connection: sqlite3.Connection, changes: list[tuple[str, dict[str, Any]]], known: dict[str, str]
    ) -> dict[str, str]:
        memories: dict[str, dict[str, Any]] = {}
        for bot_id, bot_changes in changes:
            current = memories.get(bot_id)
            if current is None:
                text = known.get(bot_id)
                if text is None:
                    row = connection.execute(
                        "SELECT data FROM bot_memory WHERE bot_id = ?", (bot_id,)
                    ).fetchone()
                    text = row[0] if row else "{}"
                current = json.loads(text)
            memories[bot_id] = apply_bot_changes(current, bot_changes)
        return {bot_id: dump_memory(memory) for bot_id, memory in memories.items()}


def _finish(batch: list[_Write], error: Exception | None) -> None:
    for write in batch:
        write.finished = True
        if not write.done.done():
            if error is None:
                write.done.set_result(None)
            else:
                write.done.set_exception(error)
        if write.landed is not None and not write.landed.done():
            write.landed.set_result(None)


def _upsert(connection: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    if rows:
        sql = "INSERT INTO conversations VALUES " + ", ".join([UPSERT_ROW] * len(rows)) + UPSERT_CONFLICT
        connection.execute(sql, [value for row in rows for value in row])
