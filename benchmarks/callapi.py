"""Call API client: flowbot's HttpApiClient (aiohttp) against httpx.AsyncClient, in one run.

    python -m benchmarks callapi

A local endpoint (another process, so that the server's work is not charged to the client) answers
``/slow`` after 100 ms and ``/fast`` at once. Measured:

- the wall time of 1,000 concurrent calls to ``/slow`` from a fresh client, which must open its
  connections (cold), then of 1,000 more on the connections it keeps (warm); target: < 1 s, i.e.
  the calls never serialize (the ideal is 0.1 s);
- the latency of one call to ``/fast`` made after another (the per-call cost of the client).

The baseline is httpx with its pool limits raised; bare aiohttp is shown to price flowbot's own
work (host policy, size limit, decoding) on top of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import resource
import subprocess
import sys
import time
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

CONCURRENT = 1000
SEQUENTIAL = 300
ROUNDS = 5
DELAY = 0.1

Call = Callable[[str], Awaitable[object]]
Closer = Callable[[], Awaitable[None]]
Maker = Callable[[], tuple[Call, Closer]]


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


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _burst(call: Call, url: str) -> tuple[float, float]:
    started, cpu = time.perf_counter(), _cpu()
    results = await asyncio.gather(*(call(url) for _ in range(CONCURRENT)))
    elapsed, cpu = time.perf_counter() - started, _cpu() - cpu
    failures = [r for r in results if r != 200]
    if failures:
        raise RuntimeError(f"{len(failures)} calls failed, e.g. {failures[0]!r}")
    return elapsed, cpu


async def _concurrent(make: Maker, url: str) -> tuple[float, float, float, float]:
    """Wall and CPU time of CONCURRENT calls from a fresh client (each call opens its connection),
    then of a second burst from the same client (its pool now holds open connections)."""
    call, close = make()
    try:
        cold = await _burst(call, url)
        warm = await _burst(call, url)
    finally:
        await close()
    return (*cold, *warm)


async def _sequential(make: Maker, url: str) -> tuple[float, float]:
    """Wall and CPU seconds per call, SEQUENTIAL calls one after another on a warm connection."""
    call, close = make()
    try:
        for _ in range(20):
            await call(url)
        started, cpu = time.perf_counter(), _cpu()
        for _ in range(SEQUENTIAL):
            await call(url)
        return (time.perf_counter() - started) / SEQUENTIAL, (_cpu() - cpu) / SEQUENTIAL
    finally:
        await close()


def _flowbot() -> tuple[Call, Closer]:
    from flowbot.runtime.callapi import ApiRequest
    from flowbot.runtime.callapi import HttpApiClient
    from flowbot.runtime.flow import CallApiConfig

    client = HttpApiClient(CallApiConfig(allowHosts=["127.0.0.1"]))

    async def call(url: str) -> object:
        return (await client.send(ApiRequest(method="GET", url=url, timeout=30))).status

    return call, client.close


def _aiohttp() -> tuple[Call, Closer]:
    import aiohttp

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    async def call(url: str) -> object:
        async with session.get(url) as response:
            await response.json()
            return response.status

    return call, session.close


def _httpx() -> tuple[Call, Closer]:
    import httpx

    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    client = httpx.AsyncClient(limits=limits, timeout=30)

    async def call(url: str) -> object:
        response = await client.get(url)
        response.json()
        return response.status_code

    return call, client.aclose


class Figures(NamedTuple):
    cold: float  # s for a burst from a fresh client (median of the rounds)
    cold_cpu: float  # s of client CPU in that burst
    warm: float  # s for a burst on a warm pool (median of the rounds)
    latency: float  # s per sequential call (median of the rounds)
    latency_cpu: float  # s of client CPU per sequential call


async def _measure(base: str) -> dict[str, Figures]:
    clients = {
        "httpx.AsyncClient (baseline)": _httpx,
        "aiohttp, bare": _aiohttp,
        "flowbot HttpApiClient": _flowbot,
    }
    bursts: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in clients}
    latencies: dict[str, list[tuple[float, float]]] = {name: [] for name in clients}
    # Rounds alternate between the clients so that a change in the machine's load hits them alike;
    # a client slower than 5 s a round (httpx) is not repeated.
    for _ in range(ROUNDS):
        for name, make in clients.items():
            if sum(b[0] + b[2] for b in bursts[name]) < 5:
                bursts[name].append(await _concurrent(make, base + "/slow"))
                latencies[name].append(await _sequential(make, base + "/fast"))
    figures = {}
    for name in clients:
        cold, cold_cpu, _, _ = _median(bursts[name], key=0)
        warm = _median(bursts[name], key=2)[2]
        latency, latency_cpu = _median(latencies[name], key=0)
        figures[name] = Figures(cold, cold_cpu, warm, latency, latency_cpu)
    return figures


def _median(rows: list[tuple[float, ...]], key: int) -> tuple[float, ...]:
    return sorted(rows, key=lambda row: row[key])[len(rows) // 2]


@contextlib.contextmanager
def endpoint() -> Iterator[str]:
    """The base URL of :func:`serve` running in a child process, for the duration of the block."""
    _raise_file_limit()
    server = subprocess.Popen(
        [sys.executable, "-c", "from benchmarks.callapi import serve; serve()"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert server.stdout is not None
        yield f"http://127.0.0.1:{int(server.stdout.readline())}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    with endpoint() as base:
        figures = asyncio.run(_measure(base))
    _report(figures)


def _report(figures: dict[str, Figures]) -> None:
    base = figures["httpx.AsyncClient (baseline)"]
    sniffio = "installed" if importlib.util.find_spec("sniffio") else "not installed"
    print(
        f"{CONCURRENT} concurrent calls to an endpoint answering in {DELAY * 1000:.0f} ms, from a fresh "
        f"client (cold) and again on its warm pool (warm), median of up to {ROUNDS} rounds;\n"
        f"{SEQUENTIAL} sequential calls to an endpoint answering at once (per call, median of the rounds)"
    )
    header = ("client", "cold wall", "x", "cold CPU", "warm wall", "x", "per call", "x", "CPU/call")
    print("{:30} {:>10} {:>6} {:>9} {:>10} {:>6} {:>9} {:>6} {:>9}".format(*header))
    for name, f in figures.items():
        print(
            f"{name:30} {f.cold:>8.3f} s {base.cold / f.cold:>5.1f}x {f.cold_cpu:>7.3f} s "
            f"{f.warm:>8.3f} s {base.warm / f.warm:>5.1f}x "
            f"{f.latency * 1e6:>6.0f} µs {base.latency / f.latency:>5.1f}x {f.latency_cpu * 1e6:>6.0f} µs"
        )
    print("x = speed-up over the baseline in this run; CPU = this process's CPU time (client only)")
    ours = figures["flowbot HttpApiClient"]
    for label, wall in (("cold", ours.cold), ("warm", ours.warm)):
        verdict = "met" if wall < 1.0 else "MISSED"
        print(f"target: {CONCURRENT} calls under 1 s with HttpApiClient, {label}: {verdict} ({wall:.3f} s)")
    print(
        f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs "
        "(other work on the machine slows every figure)"
    )
    print(f"(sniffio {sniffio}: httpcore retries importing it on every request when it is absent)")
