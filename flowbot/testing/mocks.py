"""The Call API of one conversation test: answered by the test's mocks, never by the network.

Mocks are tried newest first: those of the test (in the order of its turns, the latest first),
then those of the file. A request that no mock answers gets the status ``ENOTMOCKED`` and fails
the turn, so that a test never passes because of a call it did not mean to make.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel
from pydantic import ConfigDict

from flowbot.runtime.callapi import ApiRequest
from flowbot.runtime.callapi import ApiResponse
from flowbot.runtime.callapi import MockApiClient
from flowbot.runtime.callapi import MockRule


class Exchange(BaseModel):
    """One request of a turn and what answered it (``rule`` is None when no mock matched)."""

    model_config = ConfigDict(frozen=True)

    request: ApiRequest
    response: ApiResponse
    matched: bool

    def display(self) -> str:
        return f"{self.request.method} {self.request.url} -> {self.response.status}"


class TranscriptApi:
    """An ``ApiClient`` over the mocks of one test; ``exchanges`` lists the requests of the current
    turn (the runner empties it before each turn)."""

    def __init__(self, file_rules: Iterable[MockRule] = ()) -> None:
        self._rules: list[MockRule] = list(reversed(list(file_rules)))
        self._client = MockApiClient(self._rules)
        self.exchanges: list[Exchange] = []

    def add(self, rules: Iterable[MockRule]) -> None:
        """Mocks declared from this turn on: they win over every earlier one."""
        added = list(rules)
        if added:
            self._rules = [*reversed(added), *self._rules]
            self._client = MockApiClient(self._rules)

    async def send(self, request: ApiRequest) -> ApiResponse:
        client = self._client
        unmatched = len(client.unmatched)
        response = await client.send(request)
        self.exchanges.append(Exchange(request=request, response=response, matched=len(client.unmatched) == unmatched))
        return response

    def unmatched(self) -> list[Exchange]:
        return [exchange for exchange in self.exchanges if not exchange.matched]
