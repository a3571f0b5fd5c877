"""Following redirects one hop at a time, so that the host policy judges every hop.

The rules are those of browsers and of follow-redirects (axios's redirect follower): 303 turns any
method but GET/HEAD into GET, 301/302 turn POST into GET, 307/308 keep the method and the body;
credentials are not sent to another origin.
"""

from __future__ import annotations

from multidict import CIMultiDict
from pydantic import BaseModel
from pydantic import ConfigDict
from yarl import URL


REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CREDENTIALS = ("Authorization", "Cookie", "Proxy-Authorization")
_BODY_HEADERS = ("Content-Type", "Content-Encoding", "Content-Language")


class Hop(BaseModel):
    """One request of a chain of redirects (built with ``model_construct``: its parts are already checked)."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    method: str
    url: URL
    headers: CIMultiDict[str]
    body: bytes | None = None


def next_hop(hop: Hop, status: int, location: str | None) -> Hop | None:
    """The request that follows a response, None when it is final; ValueError for a bad ``Location``."""
    if status not in REDIRECTS or location is None:
        return None
    try:
        target = hop.url.join(URL(location)).with_fragment(None)
    except TypeError as exc:
        raise ValueError(str(exc)) from exc
    headers = CIMultiDict(hop.headers)
    method, body = hop.method, hop.body
    if (status == 303 and method not in ("GET", "HEAD")) or (status in (301, 302) and method == "POST"):
        method, body = "GET", None
        for name in _BODY_HEADERS:
            headers.popall(name, None)
    if _origin(target) != _origin(hop.url):
        for name in _CREDENTIALS:
            headers.popall(name, None)
    return Hop.model_construct(method=method, url=target, headers=headers, body=body)


def _origin(url: URL) -> tuple[str, str | None, int | None]:
    return url.scheme, url.host, url.port
