"""A Call API client that answers from rules instead of the network, for tests and ``bot test``.

Rules are tried in order; the first whose method and URL pattern match answers. ``*`` in a URL
pattern matches any run of characters (nothing else is special). Every request is recorded.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import model_validator

from flowbot.runtime.callapi.body import decode_text
from flowbot.runtime.callapi.models import ApiRequest
from flowbot.runtime.callapi.models import ApiResponse

Handler = Callable[[ApiRequest], ApiResponse | Awaitable[ApiResponse]]
_FAILURE = re.compile(r"^[A-Z][A-Z0-9_]*$")


class MockRule(BaseModel):
    """``method`` + ``url`` pattern → a response, a network failure or a timeout."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: str = "*"
    url: str = "*"
    # An int is an HTTP status; a string is a failure such as "ECONNREFUSED" or "TIMEOUT".
    status: int | str = 200
    # A string body is read as an HTTP body would be: JSON when it parses, else text.
    body: Any = None
    headers: dict[str, str] = Field(default_factory=dict)
    # Seconds before answering; a delay at or past the request's timeout answers "TIMEOUT".
    delay: float = Field(default=0.0, ge=0.0)

    @model_validator(mode="after")
    def _check(self) -> MockRule:
        if isinstance(self.status, str):
            if not _FAILURE.match(self.status):
                raise ValueError(
                    f"status {self.status!r}: a failure is upper case, such as ECONNREFUSED or TIMEOUT"
                )
            if self.body is not None or self.headers:
                raise ValueError(f"status {self.status!r} is a network failure: it has no body or headers")
        elif not 100 <= self.status <= 599:
            raise ValueError(f"status {self.status}: an HTTP status is between 100 and 599")
        return self

    def matches(self, request: ApiRequest) -> bool:
        if self.method != "*" and self.method.upper() != request.method.upper():
            return False
        pattern = ".*".join(re.escape(part) for part in self.url.split("*"))
        return re.fullmatch(pattern, request.url) is not None

    def response(self) -> ApiResponse:
        body = decode_text(self.body) if isinstance(self.body, str) else self.body
        headers = {name.lower(): value for name, value in self.headers.items()}
        return ApiResponse(status=self.status, body=body, headers=headers)


class MockApiClient:
    """Answers from ``MockRule`` s (or dicts of their fields), or from a handler function.

    ``requests`` holds every request sent; ``unmatched`` those no rule answered, which get
    ``default`` (status ``ENOTMOCKED`` unless given).
    """

    def __init__(
        self,
        handler: Handler | Iterable[MockRule | Mapping[str, Any]] = (),
        *,
        default: ApiResponse | None = None,
    ) -> None:
        self._handler: Handler | None = handler if callable(handler) else None
        self._rules: list[MockRule] = [] if callable(handler) else [_rule(r) for r in handler]
        self._default = default or ApiResponse(status="ENOTMOCKED")
        self.requests: list[ApiRequest] = []
        self.unmatched: list[ApiRequest] = []

    def add(self, rule: MockRule | Mapping[str, Any]) -> None:
        self._rules.append(_rule(rule))

    async def send(self, request: ApiRequest) -> ApiResponse:
        self.requests.append(request)
        if self._handler is not None:
            answer = self._handler(request)
            return await answer if inspect.isawaitable(answer) else answer
        rule = next((r for r in self._rules if r.matches(request)), None)
        if rule is None:
            self.unmatched.append(request)
            return self._default
        if rule.delay >= request.timeout:
            await asyncio.sleep(request.timeout)
            return ApiResponse(status="TIMEOUT")
        if rule.delay:
            await asyncio.sleep(rule.delay)
        return rule.response()


def _rule(rule: MockRule | Mapping[str, Any]) -> MockRule:
    return rule if isinstance(rule, MockRule) else MockRule.model_validate(dict(rule))
