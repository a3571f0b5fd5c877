"""Proactive delivery: messages the user did not ask for (a triggered flow, a turn that outlived
``converse.timeout``) go to the user's open SSE streams, or to the outbox when none is open.

The outbox is returned with the user's next converse answer, or on the next stream that opens.
A process sees only its own streams: when it has none for the user, it stores the messages and,
given a :class:`Notifier` (Redis pub/sub, see :mod:`flowbot.server.cluster`), tells the other
processes, and the one with the user's stream takes them at once. Streams also poll the outbox
(every second, or every few seconds with a notifier), so nothing waits forever if a notification
is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Any
from typing import Literal
from typing import Protocol

import anyio

from flowbot.server.clock import Clock
from flowbot.server.store.base import ServerStore

logger = logging.getLogger("flowbot.server.proactive")

Delivery = Literal["stream", "outbox", "none"]

POLL_SECONDS = 1.0
POLL_WITH_NOTIFIER_SECONDS = 5.0


class Notifier(Protocol):
    """Tells the other server processes that a user's outbox has messages."""

    def listen(self, listener: Callable[[str, str], None]) -> None:
        """Call ``listener(bot_id, user_id)`` for each notification another process publishes."""

    async def publish(self, bot_id: str, user_id: str) -> None:
        """Never raises: the messages are in the outbox whether or not anyone hears of it."""


class Subscription:
    """One open stream. Messages wait in ``pending`` until the stream has sent them: the sender
    looks at the first, sends it, and only then drops it, so a stream that dies mid-send leaves it
    pending, and pending messages go back to the outbox when the stream closes."""

    def __init__(self, bot_id: str, user_id: str) -> None:
        self.bot_id = bot_id
        self.user_id = user_id
        self.pending: deque[dict[str, Any]] = deque()
        # Another process stored messages for this user: take the outbox now.
        self.stored = False
        self._wakeup = asyncio.Event()

    def push(self, payload: dict[str, Any]) -> None:
        self.pending.append(payload)
        self._wakeup.set()

    def poke(self) -> None:
        self.stored = True
        self._wakeup.set()

    async def wait(self) -> None:
        while not self.pending and not self.stored:
            self._wakeup.clear()
            await self._wakeup.wait()


class ProactiveHub:
    def __init__(self, store: ServerStore, clock: Clock, notifier: Notifier | None = None) -> None:
        self._store = store
        self._clock = clock
        self._streams: dict[tuple[str, str], list[Subscription]] = {}
        self._notifier = notifier
        self.poll_interval = POLL_SECONDS if notifier is None else POLL_WITH_NOTIFIER_SECONDS
        if notifier is not None:
            notifier.listen(self._stored_elsewhere)

    def _stored_elsewhere(self, bot_id: str, user_id: str) -> None:
        for subscription in self._streams.get((bot_id, user_id), ()):
            subscription.poke()

    async def _store_and_notify(self, bot_id: str, user_id: str, payloads: list[dict[str, Any]]) -> None:
        await self._store.push_outbox(bot_id, user_id, payloads, self._clock.time())
        if self._notifier is not None:
            await self._notifier.publish(bot_id, user_id)

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
        await self._store_and_notify(bot_id, user_id, payloads)
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
                await self._store_and_notify(subscription.bot_id, subscription.user_id, unsent)
            except Exception:
                logger.exception(
                    "could not keep %d unsent messages of bot %s", len(unsent), subscription.bot_id
                )

    async def take_stored(self, bot_id: str, user_id: str) -> list[dict[str, Any]]:
        return [message.payload for message in await self._store.take_outbox(bot_id, user_id)]
