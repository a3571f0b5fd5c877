"""Running turns for HTTP requests without ever losing their output.

A turn runs in its own task. When the request stops waiting (``converse.timeout`` elapsed, or the
client went away), the turn is not cancelled: it completes, its state is saved by the runtime, and
its responses are delivered as proactive messages (stream or outbox). On shutdown the server waits
for these turns (:meth:`TurnRunner.drain`).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable
from collections.abc import Coroutine
from typing import Any

from flowbot.runtime.conversation import Conversations
from flowbot.runtime.conversation import IncomingMessage
from flowbot.runtime.conversation import TurnResult
from flowbot.server.errors import RequestTimedOutError
from flowbot.server.proactive import ProactiveHub

logger = logging.getLogger("flowbot.server.turns")


# Waits time out on a grid of this many seconds (late by less than one step): one timer per step
# wakes every wait that ends in it, instead of a timer started and cancelled per turn.
DEADLINE_STEP = 0.01


class TurnRunner:
    def __init__(self, conversations: Conversations, hub: ProactiveHub) -> None:
        self._conversations = conversations
        self._hub = hub
        self._tasks: set[asyncio.Task[Any]] = set()
        # the waits still waiting, by the step of the grid where they time out
        self._deadlines: dict[int, set[asyncio.Future[None]]] = {}

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def converse(
        self,
        bot_id: str,
        user_id: str,
        message: IncomingMessage,
        timeout: float,
        *,
        responses_only: bool = False,
    ) -> Coroutine[Any, Any, TurnResult]:
        """To await: the turn's result, or :class:`RequestTimedOutError` after ``timeout`` seconds
        (the turn goes on and its responses are delivered later). ``responses_only``: the caller
        reads only the result's responses and errors (see :class:`Conversations`). Not a coroutine
        function itself: one coroutine frame less for the request to pass through at every suspension."""
        turn = self._conversations.converse(bot_id, user_id, message, responses_only=responses_only)
        return self._run(turn, bot_id, user_id, timeout)

    async def trigger(
        self,
        bot_id: str,
        user_id: str,
        flow: str,
        node: str | None,
        payload: dict[str, Any] | None,
        timeout: float,
    ) -> TurnResult | None:
        """A proactive turn; None when it is still running after ``timeout`` (it will deliver)."""
        turn = self._conversations.trigger(bot_id, user_id, flow, node, payload)
        try:
            return await self._run(turn, bot_id, user_id, timeout)
        except RequestTimedOutError:
            return None

    async def _run(
        self, turn: Coroutine[Any, Any, TurnResult], bot_id: str, user_id: str, timeout: float
    ) -> TurnResult:
        # What shield + wait_for do, with one future, one done callback and no timer of its own:
        # this runs on every turn (and loop.create_task, not the slower ensure_future).
        loop = asyncio.get_running_loop()
        task = loop.create_task(turn)
        self._tasks.add(task)
        waiter: asyncio.Future[None] = loop.create_future()

        def done(_: object) -> None:
            self._tasks.discard(task)
            if not waiter.done():
                waiter.set_result(None)

        task.add_done_callback(done)
        waiting = self._wait_until(loop, loop.time() + timeout, waiter)
        try:
            await waiter  # a cancelled request cancels the waiter, never the turn
        except asyncio.CancelledError:
            self._deliver_when_done(task, bot_id, user_id)
            raise
        finally:
            waiting.discard(waiter)
        if task.done():
            return task.result()
        self._deliver_when_done(task, bot_id, user_id)
        raise RequestTimedOutError()

    def _wait_until(
        self, loop: asyncio.AbstractEventLoop, deadline: float, waiter: asyncio.Future[None]
    ) -> set[asyncio.Future[None]]:
        """Wake ``waiter`` at ``deadline`` (rounded up to the grid); the set to discard it from."""
        step = math.ceil(deadline / DEADLINE_STEP)
        waiting = self._deadlines.get(step)
        if waiting is None:
            waiting = self._deadlines[step] = set()
            loop.call_at(step * DEADLINE_STEP, self._time_out, step)
        waiting.add(waiter)
        return waiting

    def _time_out(self, step: int) -> None:
        for waiter in self._deadlines.pop(step, ()):
            if not waiter.done():
                waiter.set_result(None)

    def _deliver_when_done(self, task: asyncio.Task[TurnResult], bot_id: str, user_id: str) -> None:
        if task.done() and not task.cancelled() and task.exception() is None and not task.result().responses:
            return

        async def deliver() -> None:
            try:
                result = await task
            except Exception:
                # The client was already answered; the runtime logged the turn's own error.
                logger.exception("a turn of bot %s that outlived its request failed", bot_id)
                return
            where = await self._hub.deliver(bot_id, user_id, result.responses)
            logger.info(
                "late turn of bot %s delivered %d messages to %s", bot_id, len(result.responses), where
            )

        self._spawn(deliver())

    async def drain(self, timeout: float) -> None:
        """Wait for in-flight turns (graceful shutdown); give up after ``timeout`` seconds."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._tasks:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                logger.warning(
                    "shutdown: %d turns still running after %.1fs; abandoning them", len(self._tasks), timeout
                )
                return
            await asyncio.wait(set(self._tasks), timeout=remaining)
