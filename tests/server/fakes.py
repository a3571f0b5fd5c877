"""A fake conversation service and clock for the server tests: answers from rules, records
calls, can be slow or fail, and serializes turns per user as the real service does."""

from __future__ import annotations

import asyncio
from typing import Any

from flowbot.errors import FlowbotError
from flowbot.runtime.conversation import IncomingMessage
from flowbot.runtime.conversation import TurnResult

SAMPLE_NLU = {
    "entities": [],
    "language": "n/a",
    "ambiguous": False,
    "slots": {},
    "intent": {"name": "none", "confidence": 1, "context": "global"},
    "intents": [],
    "errored": False,
    "includedContexts": ["global"],
    "ms": 0,
}
SAMPLE_DECISION = {
    "decision": {"reason": "no suggestion matched", "status": "elected"},
    "confidence": 1,
    "payloads": [],
    "source": "decisionEngine",
    "sourceDetails": "execute default flow",
}


class FakeConversations:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, Any]] = []
        self.delay = 0.0
        self.error: Exception | None = None
        self.turns: dict[tuple[str, str], int] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self.completed = 0
        self.responses_only: list[bool] = []  # the option of each converse call

    def _lock(self, bot_id: str, user_id: str) -> asyncio.Lock:
        return self._locks.setdefault((bot_id, user_id), asyncio.Lock())

    async def converse(
        self, bot_id: str, user_id: str, message: IncomingMessage, *, responses_only: bool = False
    ) -> TurnResult:
        self.calls.append(("converse", bot_id, user_id, message))
        self.responses_only.append(responses_only)
        async with self._lock(bot_id, user_id):
            if self.error is not None:
                raise self.error
            await asyncio.sleep(self.delay)
            count = self.turns[(bot_id, user_id)] = self.turns.get((bot_id, user_id), 0) + 1
            text = message.payload.get("text")
            self.completed += 1
            return TurnResult(
                responses=[
                    {"type": "typing", "value": True},
                    {"type": "text", "markdown": True, "text": f"{bot_id}/{user_id}: {text}"},
                ],
                nlu={**SAMPLE_NLU, "includedContexts": message.included_contexts},
                state={
                    "__stacktrace": [{"flow": "main.flow.json", "node": "entry"}],
                    "user": {},
                    "context": {},
                    "session": {"turns": count, "lastText": text},
                    "temp": {},
                },
                suggestions=[],
                decision=SAMPLE_DECISION,
            )

    async def trigger(
        self,
        bot_id: str,
        user_id: str,
        flow: str,
        node: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> TurnResult:
        self.calls.append(("trigger", bot_id, user_id, (flow, node, payload)))
        async with self._lock(bot_id, user_id):
            if flow == "missing.flow.json":
                raise FlowbotError(f"bot {bot_id} has no flow {flow!r}")
            await asyncio.sleep(self.delay)
            self.completed += 1
            return TurnResult(
                responses=[{"type": "text", "text": f"proactive {flow}#{node or ''} {payload or {}}"}]
            )


class FakeClock:
    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.mono = 1000.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.mono += seconds
