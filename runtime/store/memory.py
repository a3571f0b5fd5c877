"""An in-memory store: for tests, ``bot chat``, and as the baseline of the turn benchmark.

Records are kept serialized, exactly as a database keeps them, so that a turn always works on a
private copy and a failed turn cannot leak half-done changes into the store.
"""

from __future__ import annotations

import json
from contextlib import AbstractAsyncContextManager
from typing import Any

from flowbot.runtime.fastjson import exact_dumps
from flowbot.runtime.fastjson import finite
from flowbot.runtime.state import ConversationRecord
from flowbot.runtime.store.base import ExpiredConversation
from flowbot.runtime.store.base import LockManager
from flowbot.runtime.store.base import StateStore
from flowbot.runtime.store.base import apply_bot_changes
from flowbot.runtime.store.records import dump_record
from flowbot.runtime.store.records import load_record


def dump_memory(memory: Any) -> str:
    """Bot memory (or one of its values) as JSON text. NaN and the infinities (a Python action's
    ``float(text)`` of a user's "nan") are written as ``null``, as JavaScript's JSON.stringify and
    the records' writer do; values JSON cannot hold are kept as their text."""
    fast = exact_dumps(memory)
    if fast is not None:
        return fast.decode()
    try:
        return json.dumps(memory, default=str, allow_nan=False)
    except ValueError:
        return json.dumps(finite(memory), default=str)


class MemoryStore(StateStore):
    def __init__(self) -> None:
        self._locks = LockManager()
        self._records: dict[tuple[str, str], str] = {}
        self._bots: dict[str, str] = {}
        self.saves = 0

    def lock(self, bot_id: str, user_id: str) -> AbstractAsyncContextManager[None]:
        return self._locks.hold(bot_id, user_id)

    async def load(self, bot_id: str, user_id: str) -> ConversationRecord:
        stored = self._records.get((bot_id, user_id))
        return ConversationRecord() if stored is None else load_record(stored)

    async def load_bot_memory(self, bot_id: str) -> dict[str, Any]:
        stored = self._bots.get(bot_id)
        return {} if stored is None else json.loads(stored)

    async def save(
        self,
        bot_id: str,
        user_id: str,
        record: ConversationRecord,
        bot_changes: dict[str, Any],
        *,
        reusable: bool = False,
    ) -> None:
        # serialize everything first: nothing is stored unless all of it can be
        record_text = dump_record(record)
        memory_text = None
        if bot_changes:
            memory_text = dump_memory(apply_bot_changes(await self.load_bot_memory(bot_id), bot_changes))
        self._records[(bot_id, user_id)] = record_text
        if memory_text is not None:
            self._bots[bot_id] = memory_text
        self.saves += 1

    async def expired(self, now: float, limit: int = 1000) -> list[ExpiredConversation]:
        found: list[ExpiredConversation] = []
        for (bot_id, user_id), text in self._records.items():
            record = load_record(text)
            if record.session_expiry is not None and record.session_expiry <= now:
                found.append(ExpiredConversation(bot_id, user_id, "session"))
            elif (
                record.context_expiry is not None
                and record.context_expiry <= now
                and not record.context.is_empty
            ):
                found.append(ExpiredConversation(bot_id, user_id, "context"))
            if len(found) >= limit:
                break
        return found
