"""The Call API of one conversation test: answered by the test's mocks (``MockRule`` s of
``flowbot.runtime.callapi``), never by the network.

Mocks are tried newest first: those of the test (in the order of its turns, the latest first),
then those of the file. A request that no mock answers gets the status ``ENOTMOCKED`` and fails
the turn, so that a test never passes because of a call it did not mean to make.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict

from flowbot.runtime.callapi import ApiRequest
from flowbot.runtime.callapi import ApiResponse
from flowbot.runtime.callapi import MockRule

UNMOCKED = "ENOTMOCKED"  # MockApiClient's status for a request no rule answers


class Exchange(BaseModel):
    """One request of a turn and what answered it (``matched`` is false when no mock did)."""

    model_config = ConfigDict(frozen=True)

    request: ApiRequest
    response: ApiResponse
    matched: bool

    def display(self) -> str:
        return f"{self.request.method} {self.request.url} -> {self.response.status}"


class TranscriptApi:
    """An ``ApiClient`` over the mocks of one test; ``exchanges`` lists the requests of the current
    turn (the runner empties it before each turn).

    Time is the test's, not the wall clock's: a mock's ``delay`` moves ``clock`` on (when one is
    given) instead of sleeping, and a delay at or past the request's timeout answers ``TIMEOUT``
    at once. A test of a slow API takes no longer than any other.
    """

    def __init__(self, file_rules: Iterable[MockRule] = (), clock: Any = None) -> None:
        self._rules: list[MockRule] = list(reversed(list(file_rules)))
        self.clock = clock
        self.exchanges: list[Exchange] = []

    def add(self, rules: Iterable[MockRule]) -> None:
        """Mocks declared from this turn on: they win over every earlier one."""
        self._rules = [*reversed(list(rules)), *self._rules]

    async def send(self, request: ApiRequest) -> ApiResponse:
        rule = next((rule for rule in self._rules if rule.matches(request)), None)
        if rule is None:
            response = ApiResponse(status=UNMOCKED)
        elif rule.delay >= request.timeout:
            self._advance(request.timeout)
            response = ApiResponse(status="TIMEOUT")
        else:
            self._advance(rule.delay)
            response = rule.response()
        self.exchanges.append(Exchange(request=request, response=response, matched=rule is not None))
        return response

    def _advance(self, seconds: float) -> None:
        if self.clock is not None and seconds:
            self.clock.now += seconds

    def unmatched(self) -> list[Exchange]:
        return [exchange for exchange in self.exchanges if not exchange.matched]
