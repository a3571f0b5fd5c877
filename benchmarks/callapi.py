"""Call API client: flowbot's HttpApiClient (aiohttp) against httpx.AsyncClient, in one run.

    python -m benchmarks callapi

A local endpoint (another process, so that the server's work is not charged to the client) answers
``/slow`` after 100 ms and ``/fast`` at once. Measured:

- the wall time of 1,000 concurrent calls to ``/slow`` from a fresh client (target: < 1 s, i.e.
  the calls never serialize; the ideal is 0.1 s);
- the latency of one call to ``/fast`` made after another (the per-call cost of the client).

The baseline is httpx with its pool limits raised; bare aiohttp is shown to price flowbot's own
work (host policy, size limit, decoding) on top of it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable
from collections.abc import Callable
from pathlib import Path

CONCURRENT = 1000
SEQUENTIAL = 500
ROUNDS = 3
DELAY = 0.1

Call = Callable[[str], Awaitable[object]]


def _raise_file_limit() -> None:
    # 1,000 sockets on each side is near the usual soft limit of 1,024 descriptors.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def serve() -> None:
    """The endpoint (run in a child process); prints its port, then serves until killed."""
    from aiohttp import web

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(DELAY)
        return web.json_response({"ok": True, "slow": True})

    async def fast(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def run() -> None:
        app = web.Application()
        app.router.add_get("/slow", slow)
        app.router.add_get("/fast", fast)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        # A backlog above the burst: with the default 128, refused SYNs are retried after 1 s.
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        print(runner.addresses[0][1], flush=True)
        await asyncio.Event().wait()

    _raise_file_limit()
    asyncio.run(run())


async def _concurrent(make: Callable[[], tuple[Call, Callable[[], Awaitable[None]]]], url: str) -> float:
    call, close = make()
    try:
        started = time.perf_counter()
        results = await asyncio.gather(*(call(url) for _ in range(CONCURRENT)))
        elapsed = time.perf_counter() - started
    finally:
        await close()
    failures = [r for r in results if r != 200]
    if failures:
        raise RuntimeError(f"{len(failures)} calls failed, e.g. {failures[0]!r}")
    return elapsed


async def _sequential(make: Callable[[], tuple[Call, Callable[[], Awaitable[None]]]], url: str) -> float:
    call, close = make()
    try:
        for _ in range(20):  # warm the connection
            await call(url)
        started = time.perf_counter()
        for _ in range(SEQUENTIAL):
            await call(url)
        return (time.perf_counter() - started) / SEQUENTIAL
    finally:
        await close()


def _flowbot() -> tuple[Call, Callable[[], Awaitable[None]]]:
    from flowbot.runtime.callapi import ApiRequest
    from flowbot.runtime.callapi import HttpApiClient
    from flowbot.runtime.flow import CallApiConfig

    client = HttpApiClient(CallApiConfig(allowHosts=["127.0.0.1"]))

    async def call(url: str) -> object:
        return (await client.send(ApiRequest(method="GET", url=url, timeout=30))).status

    return call, client.close


def _aiohttp() -> tuple[Call, Callable[[], Awaitable[None]]]:
    import aiohttp

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    async def call(url: str) -> object:
        async with session.get(url) as response:
            await response.json()
            return response.status

    return call, session.close


def _httpx() -> tuple[Call, Callable[[], Awaitable[None]]]:
    import httpx

    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    client = httpx.AsyncClient(limits=limits, timeout=30)

    async def call(url: str) -> object:
        response = await client.get(url)
        response.json()
        return response.status_code

    return call, client.aclose


async def _measure(base: str) -> dict[str, tuple[float, float]]:
    clients = {
        "httpx.AsyncClient (baseline)": _httpx,
        "aiohttp, bare": _aiohttp,
        "flowbot HttpApiClient": _flowbot,
    }
    figures = {}
    for name, make in clients.items():
        walls = [await _concurrent(make, base + "/slow")]
        while len(walls) < ROUNDS and sum(walls) < 5:  # a slow client is not repeated for minutes
            walls.append(await _concurrent(make, base + "/slow"))
        latency = await _sequential(make, base + "/fast")
        figures[name] = (statistics.median(walls), latency)
    return figures


def main() -> None:
    _raise_file_limit()
    server = subprocess.Popen(
        [sys.executable, "-c", "from benchmarks.callapi import serve; serve()"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        figures = asyncio.run(_measure(f"http://127.0.0.1:{port}"))
    finally:
        server.terminate()
        server.wait(timeout=10)
    _report(figures)


def _report(figures: dict[str, tuple[float, float]]) -> None:
    base_wall, base_latency = figures["httpx.AsyncClient (baseline)"]
    sniffio = "installed" if importlib.util.find_spec("sniffio") else "not installed"
    print(
        f"{CONCURRENT} concurrent calls to an endpoint answering in {DELAY * 1000:.0f} ms "
        f"(median of up to {ROUNDS} fresh clients); {SEQUENTIAL} sequential calls to an immediate endpoint"
    )
    print(f"{'client':32} {'concurrent wall':>16} {'speed-up':>10} {'per call':>10} {'speed-up':>10}")
    for name, (wall, latency) in figures.items():
        print(
            f"{name:32} {wall:>14.3f} s {base_wall / wall:>9.1f}x {latency * 1e6:>7.0f} µs "
            f"{base_latency / latency:>9.1f}x"
        )
    wall = figures["flowbot HttpApiClient"][0]
    verdict = "met" if wall < 1.0 else "MISSED"
    print(f"target: {CONCURRENT} concurrent calls under 1 s with HttpApiClient: {verdict} ({wall:.3f} s)")
    print(f"(sniffio {sniffio}: httpcore retries importing it on every request when it is absent)")
