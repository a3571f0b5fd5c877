"""CPU per Converse request, in process (``python -m benchmarks.server_cpu [--help]``).

The same three targets as :mod:`benchmarks.server` (``bare``, ``echo``, ``serve``), driven through
ASGI calls in this process: no sockets, no HTTP parser, no load tool competing for the 2 cores.
Each round sends one request for each of N users at once (like N connections), and the figure is
``time.process_time`` per request, which other jobs on the machine disturb far less than a
requests-per-second rate. It measures what flowbot controls: routing, validation, the turn, the
store (the SQLite writer thread's CPU is counted: it is this process's).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BODY = b'{"type":"text","text":"hi"}'


def _app(kind: str, data: Path, bot: Path) -> Any:
    if kind == "bare":
        from benchmarks._apps import bare_app

        return bare_app()
    if kind == "echo":
        from benchmarks._apps import echo_app

        return echo_app(data)
    from flowbot.server.bots import prepare_sources
    from flowbot.server.main import ServeSpec
    from flowbot.server.main import app_from_spec

    served = prepare_sources([bot], data)  # what `bot serve` does: compile a source bot
    bots = {bot_id: runnable for bot_id, (_, runnable) in served.items()}
    return app_from_spec(ServeSpec(data_dir=data, bots=bots), environ={})


async def _request(app: Any, user: str) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/api/v1/bots/support/converse/{user}",
        "raw_path": f"/api/v1/bots/support/converse/{user}".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": BODY, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _lifespan(app: Any) -> tuple[asyncio.Queue[Any], asyncio.Task[None]]:
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    outbox: asyncio.Queue[Any] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.ensure_future(app(scope, inbox.get, outbox.put))
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"the app did not start: {started}")
    return inbox, task


async def measure(kind: str, users: int, rounds: int, bot: Path, data: Path) -> dict[str, float]:
    app = _app(kind, data, bot)
    inbox, task = await _lifespan(app)
    names = [f"bench-user-{n}" for n in range(users)]
    for _ in range(5):  # warm-up: templates compiled, connections opened, caches filled
        await asyncio.gather(*(_request(app, name) for name in names))
    cpu, wall = time.process_time(), time.perf_counter()
    statuses: set[int] = set()
    for _ in range(rounds):
        statuses.update(await asyncio.gather(*(_request(app, name) for name in names)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    await inbox.put({"type": "lifespan.shutdown"})
    await task
    if statuses != {200}:
        raise RuntimeError(f"{kind}: statuses {sorted(statuses)}")
    count = users * rounds
    return {"cpu_us": cpu / count * 1e6, "wall_us": wall / count * 1e6}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server_cpu", description=__doc__)
    parser.add_argument("--targets", default="bare,echo,serve")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="measure each target this many times")
    parser.add_argument("--bot", type=Path, default=ROOT / "bots" / "support")
    args = parser.parse_args(argv)
    # the access log (on by default) goes where the benchmark's server logs go: nowhere to read
    stderr, sys.stderr = sys.stderr, open(os.devnull, "w")  # noqa: SIM115
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    try:
        for kind in args.targets.split(","):
            with tempfile.TemporaryDirectory() as tmp:  # one data folder: the NLU model is trained once
                data = Path(tmp)
                rounds = [measure(kind, args.users, args.rounds, args.bot, data) for _ in range(args.repeat)]
                figures = [runner(each) for each in rounds]
            cpu = sorted(f["cpu_us"] for f in figures)
            runs = " ".join(f"{c:6.1f}" for c in cpu)
            print(f"{kind:6} cpu µs/request: {runs}  (min {cpu[0]:.1f})", flush=True)
    finally:
        sys.stderr.close()
        sys.stderr = stderr


if __name__ == "__main__":
    main(sys.argv[1:])
