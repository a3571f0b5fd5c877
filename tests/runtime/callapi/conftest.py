"""A real HTTP server on a loopback address, started by the test, that records what it received."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from collections.abc import Awaitable
from collections.abc import Callable

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver
from aiohttp.abc import ResolveResult
from pydantic import BaseModel

from flowbot.runtime.callapi import HttpApiClient
from flowbot.runtime.flow import CallApiConfig

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Seen(BaseModel):
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class LocalServer:
    """Routes can be added after start (``server.on(path, handler)``); every request is recorded."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.seen: list[Seen] = []
        self._handlers: dict[str, Handler] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    def on(self, path: str, handler: Handler) -> str:
        self._handlers[path] = handler
        return self.url(path)

    def url(self, path: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.seen.append(
            Seen(method=request.method, path=request.path_qs, headers=dict(request.headers), body=body)
        )
        handler = self._handlers.get(request.path)
        if handler is None:
            return web.Response(status=404, text="no such route")
        return await handler(request)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # Handlers still sleeping when a client gave up are cancelled, so that shutdown is quick.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.1, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class FakeDns(AbstractResolver):
    """A DNS that answers from a table (name → addresses), and counts the questions."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        addresses = self.table.get(host.rstrip("."))
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            ResolveResult(
                hostname=host,
                host=a,
                port=port,
                family=socket.AF_INET6 if ":" in a else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for a in addresses
        ]

    async def close(self) -> None:
        return None


@pytest.fixture
async def server() -> AsyncIterator[LocalServer]:
    local = LocalServer("127.0.0.1")
    await local.start()
    yield local
    await local.stop()


@pytest.fixture
async def server6() -> AsyncIterator[LocalServer]:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("IPv6 loopback is not available on this machine")
    local = LocalServer("::1")
    await local.start()
    yield local
    await local.stop()


@pytest.fixture
async def client() -> AsyncIterator[HttpApiClient]:
    """A client whose policy allows the loopback server (as a bot's callApi.allowHosts would)."""
    http = HttpApiClient(CallApiConfig(allowHosts=["127.0.0.1"]))
    yield http
    await http.close()


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
