"""Converse API throughput and latency over loopback, against a bare Starlette endpoint measured in
the same run (``python -m benchmarks server`` or ``python -m benchmarks.server --help``).

Targets, each a separate process with one worker:
* ``bare``  - Starlette parsing the body and returning the same JSON shape (the baseline);
* ``echo``  - flowbot's app on a conversation service that answers at once (the server layer's cost);
* ``serve`` - ``bot serve`` on the example support bot, state in SQLite (needs the runtime: skipped,
  with the reason, while ``/readyz`` is not ready).

Load: wrk (``apt-get install wrk``), one thread, N connections, each request for one of N users in
turn, so that N users converse at once. Without wrk, a Python closed-loop client (httpx) is used and
the figures are a lower bound: the client then competes with the server for the 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
BODY = '{"type":"text","text":"hi"}'

WRK_SCRIPT = """
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '%(body)s'
request = function()
  counter = counter + 1
  return wrk.format(nil, "/api/v1/bots/%(bot)s/converse/bench-user-" .. (counter %% %(users)d))
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(base: str, path: str, process: subprocess.Popen[bytes], timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            return httpx.get(base + path, timeout=2).status_code
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _start(kind: str, port: int, bot: Path | None, workdir: Path) -> subprocess.Popen[bytes]:
    log = (workdir / f"{kind}.log").open("wb")
    if kind == "serve":
        assert bot is not None
        command = [
            sys.executable,
            "-c",
            "from flowbot.cli import main; main()",
            "serve",
            str(bot),
            "--port",
            str(port),
            "--data-dir",
            str(workdir / "data"),
            "--workers",
            "1",
        ]
    else:
        command = [sys.executable, "-m", "benchmarks._apps", kind, str(port)]
    return subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def _parse_duration_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(url: str, bot: str, users: int, seconds: int, workdir: Path) -> dict[str, Any]:
    script = workdir / "converse.lua"
    script.write_text(WRK_SCRIPT % {"body": BODY, "bot": bot, "users": users})
    out = subprocess.run(
        ["wrk", "-t1", f"-c{users}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = {
        p: _parse_duration_ms(m) for p, m in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.MULTILINE)
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50_ms": latency["50"],
        "p99_ms": latency["99"],
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else None,
        "tool": "wrk",
    }


async def _python_load(url: str, bot: str, users: int, seconds: int) -> dict[str, Any]:
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def user(n: int, client: httpx.AsyncClient) -> None:
        nonlocal failures
        path = f"/api/v1/bots/{bot}/converse/bench-user-{n}"
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await client.post(path, content=BODY, headers={"content-type": "application/json"})
            latencies.append((time.perf_counter() - started) * 1000)
            failures += response.status_code >= 300

    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        await asyncio.gather(*(user(n, client) for n in range(users)))
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "rps": len(latencies) / seconds,
        "p50_ms": cuts[49],
        "p99_ms": cuts[98],
        "non_2xx": failures,
        "socket_errors": None,
        "tool": "python-httpx",
    }


def measure(
    kind: str, bot_path: Path | None, bot_id: str, args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    port = _free_port()
    process = _start(kind, port, bot_path, workdir)
    base = f"http://127.0.0.1:{port}"
    try:
        status = _wait_ready(base, "/readyz" if kind == "serve" else "/healthz", process)
        if status != 200:
            reason = httpx.get(base + "/readyz").json().get("reason", f"/readyz answered {status}")
            return {"skipped": reason}
        # Warm-up: first requests compile templates, open connections, fill caches.
        if shutil.which("wrk"):
            run_wrk(base, bot_id, args.users, 2, workdir)
            return run_wrk(base, bot_id, args.users, args.seconds, workdir)
        asyncio.run(_python_load(base, bot_id, args.users, 2))
        return asyncio.run(_python_load(base, bot_id, args.users, args.seconds))
    finally:
        process.terminate()
        process.wait(60)


def _report(results: dict[str, dict[str, Any]], users: int) -> str:
    base = results["bare"]
    lines = [f"{'target':8} {'turns/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8} {'errors':>7}"]
    for kind, result in results.items():
        if "skipped" in result:
            lines.append(f"{kind:8} skipped: {result['skipped']}")
            continue
        ratio = result["rps"] / base["rps"]
        lines.append(
            f"{kind:8} {result['rps']:9.0f} {result['p50_ms']:8.2f} {result['p99_ms']:8.2f} {ratio:8.0%} {result['non_2xx']:7d}"
        )
    lines.append(f"({users} concurrent users over loopback, one server worker, load tool: {base['tool']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.server",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--bot",
        type=Path,
        default=ROOT / "bots" / "support",
        help="the bot `bot serve` runs (default: bots/support)",
    )
    parser.add_argument("--bot-id", default="support")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--targets", default="bare,echo,serve")
    args = parser.parse_args(argv)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for kind in ["bare", *[t for t in args.targets.split(",") if t != "bare"]]:
            if kind == "serve" and not args.bot.is_dir():
                results[kind] = {"skipped": f"{args.bot} does not exist"}
                continue
            results[kind] = measure(kind, args.bot if kind == "serve" else None, args.bot_id, args, workdir)
    print(_report(results, args.users))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "server.json").write_text(
        json.dumps({"users": args.users, "seconds": args.seconds, "results": results}, indent=2)
    )


if __name__ == "__main__":
    main(sys.argv[1:])
