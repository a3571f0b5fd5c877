"""The Call API's HTTP client: pooled aiohttp sessions, a hard timeout, a size limit, a host policy.

aiohttp rather than httpx because at the concurrency a chat server sees, httpx's connection pool
costs CPU per request (encode/httpx#3215); benchmarks/callapi.py measures both, figures are in
docs/performance.md.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import Callable

import aiohttp
from aiohttp.abc import AbstractResolver
from multidict import CIMultiDict
from yarl import URL

from flowbot.runtime.callapi.body import decode_body
from flowbot.runtime.callapi.body import is_json
from flowbot.runtime.callapi.models import ApiRequest
from flowbot.runtime.callapi.models import ApiResponse
from flowbot.runtime.callapi.policy import HostPolicy
from flowbot.runtime.callapi.redirects import Hop
from flowbot.runtime.callapi.redirects import next_hop
from flowbot.runtime.callapi.resolver import PolicyResolver
from flowbot.runtime.callapi.statuses import describe
from flowbot.runtime.callapi.statuses import network_status
from flowbot.runtime.flow import CallApiConfig

logger = logging.getLogger(__name__)

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# Framing headers are computed from the body; a copied "Content-Length" would corrupt the request.
_FRAMING = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "te", "trailer", "upgrade"}
)
# axios's default Accept, so that APIs negotiating the format answer as they answer Botpress.
_DEFAULT_HEADERS = {"Accept": "application/json, text/plain, */*", "User-Agent": "flowbot"}


class ConnectionPools:
    """The process's aiohttp sessions: one per host policy, created on first use in the running loop.

    One pool per policy because a pooled connection opened under one bot's allow-list must never
    be reused for a bot that forbids that host; bots with the same policy share connections.
    """

    def __init__(
        self, max_connections: int, max_per_host: int, resolver_factory: Callable[[], AbstractResolver]
    ) -> None:
        self._max_connections = max_connections
        self._max_per_host = max_per_host
        self._resolver_factory = resolver_factory
        # Keyed by the policy's JSON: hashing the model itself costs microseconds on every call.
        self._sessions: dict[str, aiohttp.ClientSession] = {}
        self._resolvers: list[AbstractResolver] = []  # aiohttp closes only the resolvers it made
        self._loop: asyncio.AbstractEventLoop | None = None

    def session(self, policy: HostPolicy, key: str) -> aiohttp.ClientSession:
        """The session for ``policy``; ``key`` is its ``model_dump_json()``, computed once by the caller."""
        loop = asyncio.get_running_loop()
        if self._loop is not None and self._loop is not loop and self._sessions:
            raise RuntimeError(
                "HttpApiClient is bound to another event loop: close it there, or make one per loop"
            )
        self._loop = loop
        session = self._sessions.get(key)
        if session is None or session.closed:
            session = self._sessions[key] = self._open(policy)
        return session

    def _open(self, policy: HostPolicy) -> aiohttp.ClientSession:
        resolver = PolicyResolver(policy, self._resolver_factory())
        self._resolvers.append(resolver)
        # A host that hangs can hold at most max_per_host connections: calls to others still get one.
        connector = aiohttp.TCPConnector(
            limit=self._max_connections, limit_per_host=self._max_per_host, resolver=resolver
        )
        return aiohttp.ClientSession(
            connector=connector,
            # Shared by every user of every bot: cookies set for one must never reach another.
            cookie_jar=aiohttp.DummyCookieJar(),
            # No proxy or .netrc from the environment: a proxy would hide the address connected to.
            trust_env=False,
            # The whole exchange runs under asyncio.timeout (see HttpApiClient.send).
            timeout=aiohttp.ClientTimeout(total=None),
            headers=_DEFAULT_HEADERS,
        )

    async def close(self) -> None:
        sessions, self._sessions, self._loop = list(self._sessions.values()), {}, None
        resolvers, self._resolvers = self._resolvers, []
        for session in sessions:
            await session.close()
        for resolver in resolvers:
            await resolver.close()


class HttpApiClient:
    """Sends Call API requests over HTTP(S). Never raises for what the network or the URL does.

    ``limits`` is the bot's ``callApi`` config (size limit, default timeout, host policy). A server
    running several bots makes one client and derives each bot's with :meth:`for_bot`, which
    shares the connection pools; :meth:`close` (once, at shutdown) closes them.
    """

    def __init__(
        self,
        limits: CallApiConfig | None = None,
        *,
        max_connections: int = 1000,
        max_connections_per_host: int = 500,
        max_redirects: int = 5,
        resolver_factory: Callable[[], AbstractResolver] = aiohttp.ThreadedResolver,
        pools: ConnectionPools | None = None,
    ) -> None:
        self._limits = limits or CallApiConfig()
        self._policy = HostPolicy.from_config(self._limits)  # HostRuleError for unreadable entries
        self._policy_key = self._policy.model_dump_json()
        self._max_redirects = max_redirects
        self._pool = pools or ConnectionPools(max_connections, max_connections_per_host, resolver_factory)

    def for_bot(self, limits: CallApiConfig) -> HttpApiClient:
        """A client with another bot's limits and policy, sharing this client's connection pools."""
        return HttpApiClient(limits, max_redirects=self._max_redirects, pools=self._pool)

    async def close(self) -> None:
        await self._pool.close()

    async def send(self, request: ApiRequest) -> ApiResponse:
        timeout = request.timeout
        if not math.isfinite(timeout) or timeout <= 0:
            timeout = self._limits.timeout  # never "no timeout": that is what hangs Botpress turns
        try:
            async with asyncio.timeout(timeout):
                response = await self._exchange(request)
        except _CallFailed as failed:
            response, reason = ApiResponse(status=failed.status), failed.reason
        except TimeoutError:
            response, reason = ApiResponse(status="TIMEOUT"), f"no complete answer within {timeout:g} s"
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            response, reason = ApiResponse(status=network_status(exc)), describe(exc)
        else:
            if response.ok:
                return response
            reason = "the server answered with an error status"
        level = logging.INFO if isinstance(response.status, int) else logging.WARNING
        logger.log(
            level,
            "call api: %s %s failed with status %s: %s",
            request.method.upper(),
            _redact(request.url),
            response.status,
            reason,
        )
        return response

    async def _exchange(self, request: ApiRequest) -> ApiResponse:
        hop = _prepare(request)
        session = self._pool.session(self._policy, self._policy_key)
        for _ in range(self._max_redirects + 1):
            refusal = self._policy.check_url(hop.url)
            if refusal is not None:
                raise _CallFailed(refusal.status, refusal.reason)
            async with session.request(
                hop.method, hop.url, headers=hop.headers, data=hop.body, allow_redirects=False
            ) as response:
                try:
                    following = next_hop(hop, response.status, response.headers.get("Location"))
                except ValueError as exc:
                    raise _CallFailed("EINVALIDURL", f"redirect to an invalid location: {exc}") from exc
                if following is None:
                    return await self._read(response)
            hop = following
        raise _CallFailed("ETOOMANYREDIRECTS", f"more than {self._max_redirects} redirects")

    async def _read(self, response: aiohttp.ClientResponse) -> ApiResponse:
        limit = self._limits.maxResponseBytes
        too_large = _CallFailed("ETOOLARGE", f"the body is over {limit} bytes (callApi.maxResponseBytes)")
        if response.content_length is not None and response.content_length > limit:
            raise too_large
        data = bytearray()
        # Counted after decompression, so that a small gzip bomb is cut off too.
        while chunk := await response.content.readany():
            data += chunk
            if len(data) > limit:
                raise too_large
        headers = {}
        for name, value in response.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        body = await decode_body(bytes(data), response.charset)
        return ApiResponse(status=response.status, body=body, headers=headers)


class _CallFailed(Exception):
    """A call that ends without an HTTP answer for the flow: its status and the reason for the log."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _prepare(request: ApiRequest) -> Hop:
    """The first hop of a request; raises :class:`_CallFailed` when it cannot be sent as written."""
    method = request.method.strip().upper()
    if method not in METHODS:
        raise _CallFailed(
            "EINVALIDREQUEST", f"method {request.method!r} is not one of {', '.join(sorted(METHODS))}"
        )
    try:
        url = URL(request.url.strip())
    except (ValueError, TypeError) as exc:
        raise _CallFailed("EINVALIDURL", str(exc)) from exc
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in request.headers.items():
        if not _TOKEN.match(name) or any(c in value for c in "\r\n\0") or not _encodable(value):
            raise _CallFailed(
                "EINVALIDREQUEST", f"header {name!r} has a bad name or a line break in its value"
            )
        if name.lower() not in _FRAMING:
            headers[name] = value
    # A lone surrogate (possible in a JSON string) has no UTF-8 form: it is sent as "?".
    body = request.body.encode("utf-8", errors="replace") if request.body else None
    if body is not None and "Content-Type" not in headers:
        # axios would send form encoding, which JSON APIs refuse; say what the body is instead.
        json_body = is_json(request.body or "")
        headers["Content-Type"] = "application/json" if json_body else "text/plain; charset=utf-8"
    return Hop.model_construct(method=method, url=url, headers=headers, body=body)


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _redact(url: str) -> str:
    """The URL without credentials or query string, which may hold secrets, for the log."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return "<invalid url>"
    if not parsed.absolute:
        return str(parsed.with_query(None).with_fragment(None))
    return str(parsed.with_user(None).with_password(None).with_query(None).with_fragment(None))
