"""TurnRunner: a request waits for its turn at most converse.timeout; a turn is never cancelled by
its request, and what it says after the request stopped waiting is delivered."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from flowbot.runtime.conversation import IncomingMessage
from flowbot.runtime.conversation import TurnResult
from flowbot.server.errors import RequestTimedOutError
from flowbot.server.turns import DEADLINE_STEP
from flowbot.server.turns import TurnRunner

MESSAGE = IncomingMessage(payload={"type": "text", "text": "hi"})


class SlowConversations:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.finished = 0

    async def converse(
        self, bot_id: str, user_id: str, message: IncomingMessage, *, responses_only: bool = False
    ) -> TurnResult:
        await asyncio.sleep(self.delay)
        self.finished += 1
        return TurnResult(responses=[{"type": "text", "text": f"{user_id}: {message.payload['text']}"}])


class RecordingHub:
    def __init__(self) -> None:
        self.delivered: list[tuple[str, str, list[dict[str, Any]]]] = []

    async def deliver(self, bot_id: str, user_id: str, payloads: list[dict[str, Any]]) -> str:
        self.delivered.append((bot_id, user_id, payloads))
        return "outbox"


def runner(delay: float) -> tuple[TurnRunner, SlowConversations, RecordingHub]:
    conversations, hub = SlowConversations(delay), RecordingHub()
    return TurnRunner(conversations, hub), conversations, hub  # type: ignore[arg-type]


async def test_a_turn_within_the_timeout_answers() -> None:
    turns, _, hub = runner(0.01)
    results = await asyncio.gather(*(turns.converse("b", f"u{n}", MESSAGE, 5.0) for n in range(20)))
    assert [r.responses[0]["text"] for r in results] == [f"u{n}: hi" for n in range(20)]
    assert turns.in_flight == 0 and hub.delivered == []


async def test_a_cancelled_request_never_cancels_its_turn() -> None:
    turns, conversations, hub = runner(0.05)
    request = asyncio.ensure_future(turns.converse("b", "u1", MESSAGE, 5.0))
    await asyncio.sleep(0.01)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    await turns.drain(1.0)
    assert conversations.finished == 1
    assert hub.delivered == [("b", "u1", [{"type": "text", "text": "u1: hi"}])]


@pytest.mark.parametrize("timeout", [0.02, 0.05, 0.083])
async def test_a_request_stops_waiting_at_its_timeout_and_the_turn_delivers_later(timeout: float) -> None:
    turns, conversations, hub = runner(0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(RequestTimedOutError):
        await turns.converse("b", "u1", MESSAGE, timeout)
    waited = loop.time() - started
    # on the grid: never early, late by less than a step (and the loop's own lateness)
    assert timeout - 0.002 <= waited < timeout + DEADLINE_STEP + 0.05
    assert conversations.finished == 0
    await turns.drain(1.0)
    assert hub.delivered == [("b", "u1", [{"type": "text", "text": "u1: hi"}])]


async def test_waits_of_different_timeouts_each_end_at_their_own() -> None:
    turns, _, _ = runner(0.2)
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def timed(timeout: float) -> float:
        with pytest.raises(RequestTimedOutError):
            await turns.converse("b", f"u{timeout}", MESSAGE, timeout)
        return loop.time() - started

    timeouts = (0.08, 0.01, 0.04, 0.04)
    ends = await asyncio.gather(*(timed(t) for t in timeouts))
    assert all(end >= timeout - 0.002 for end, timeout in zip(ends, timeouts, strict=True))
    assert ends[1] < min(ends[2], ends[3]) and max(ends[2], ends[3]) < ends[0]
    await turns.drain(1.0)
