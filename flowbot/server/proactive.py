"""Proactive delivery: messages the user did not ask for (a triggered flow, a turn that outlived
``converse.timeout``) go to the user's open SSE streams, or to the outbox when none is open.

The outbox is returned with the user's next converse answer, or on the next stream that opens.
Streams also poll the outbox, so that a message stored by another worker process (which does not
see this process's streams) still arrives while a stream is open.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from typing import Literal

import anyio

from flowbot.server.clock import Clock
from flowbot.server.store.base import ServerStore

logger = logging.getLogger("flowbot.server.proactive")

Delivery = Literal["stream", "outbox", "none"]


class Subscription:
    """One open stream. Messages wait in ``pending`` until the stream has sent them: the sender
    looks at the first, sends it, and only then drops it, so a stream that dies mid-send leaves it
    pending, and pending messages go back to the outbox when the stream closes."""

    def __init__(self, bot_id: str, user_id: str) -> None:
        self.bot_id = bot_id
        self.user_id = user_id
        self.pending: deque[dict[str, Any]] = deque()
        self._wakeup = asyncio.Event()

    def push(self, payload: dict[str, Any]) -> None:
        self.pending.append(payload)
        self._wakeup.set()

    async def wait(self) -> None:
        while not self.pending:
            self._wakeup.clear()
            await self._wakeup.wait()


class ProactiveHub:
    def __init__(self, store: ServerStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._streams: dict[tuple[str, str], list[Subscription]] = {}

    def has_stream(self, bot_id: str, user_id: str) -> bool:
        return bool(self._streams.get((bot_id, user_id)))

    @property
    def stream_count(self) -> int:
        return sum(len(subs) for subs in self._streams.values())

    async def deliver(self, bot_id: str, user_id: str, payloads: list[dict[str, Any]]) -> Delivery:
        if not payloads:
            return "none"
        subscribers = self._streams.get((bot_id, user_id))
        if subscribers:
            for subscription in subscribers:
                for payload in payloads:
                    subscription.push(payload)
            return "stream"
        await self._store.push_outbox(bot_id, user_id, payloads, self._clock.time())
        return "outbox"

    @asynccontextmanager
    async def subscribe(self, bot_id: str, user_id: str) -> AsyncIterator[Subscription]:
        subscription = Subscription(bot_id, user_id)
        self._streams.setdefault((bot_id, user_id), []).append(subscription)
        try:
            yield subscription
        finally:
            subscribers = self._streams.get((bot_id, user_id), [])
            if subscription in subscribers:
                subscribers.remove(subscription)
            if not subscribers:
                self._streams.pop((bot_id, user_id), None)
            await self._keep_unsent(subscription)

    async def _keep_unsent(self, subscription: Subscription) -> None:
        """Messages queued for a stream that closed before sending them go back to the outbox."""
        unsent = list(subscription.pending)
        subscription.pending.clear()
        if not unsent:
            return
        # The stream's task is being cancelled: shield the write, or it would be cancelled too.
        with anyio.CancelScope(shield=True):
            try:
                await self._store.push_outbox(
                    subscription.bot_id, subscription.user_id, unsent, self._clock.time()
                )
            except Exception:
                logger.exception(
                    "could not keep %d unsent messages of bot %s", len(unsent), subscription.bot_id
                )

    async def take_stored(self, bot_id: str, user_id: str) -> list[dict[str, Any]]:
        return [message.payload for message in await self._store.take_outbox(bot_id, user_id)]
