"""The Call API's request, response and client protocol (the seam between the dialog engine and HTTP).

The engine renders a ``basic-skills/call_api`` instruction into an :class:`ApiRequest` and hands it
to an :class:`ApiClient`; the real client speaks HTTP, a mock answers from rules (``bot test``).
"""

from __future__ import annotations

from typing import Any
from typing import Protocol

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field


class ApiRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    method: str
    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = None
    timeout: float = 10.0  # seconds, for the whole request


class ApiResponse(BaseModel):
    """What is stored in memory: ``{"body": ..., "status": ...}``.

    ``status`` is the HTTP status, or a string naming a network failure: ``ECONNREFUSED``,
    ``ENOTFOUND``, ``TIMEOUT``, ``EBLOCKED`` (refused by the host policy), ``ETOOLARGE`` (response
    over the size limit), ``ENETWORK`` (any other transport error). The HTTP client also reports
    ``ECONNRESET`` and other operating-system error names (as Node does), ``ESSL`` (TLS or
    certificate failure), ``EINVALIDURL``, ``EINVALIDREQUEST`` (a method or header that cannot be
    sent) and ``ETOOMANYREDIRECTS``. ``body`` is the JSON-decoded body, or the text when it is
    not JSON, or None when there was no response. ``headers`` (lower-case names) are for
    callers that want them; they are not stored in memory, as in Botpress.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: int | str
    body: Any = None
    headers: dict[str, str] = Field(default_factory=dict)

    @property
    def ok(self) -> bool:
        # The Botpress documentation's rule: 400 and above fail, every other status succeeds.
        return isinstance(self.status, int) and self.status < 400

    def to_memory(self) -> dict[str, Any]:
        return {"body": self.body, "status": self.status}


class ApiClient(Protocol):
    """Sends one request. Never raises for network problems: they become a string ``status``."""

    async def send(self, request: ApiRequest) -> ApiResponse: ...
