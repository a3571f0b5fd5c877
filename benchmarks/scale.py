"""Turns per second of ``bot serve`` with 1 and 2 worker processes, on SQLite and on PostgreSQL,
in one run (``python -m benchmarks scale`` or ``python -m benchmarks.scale --help``).

Each case starts ``bot serve --workers W --store S`` on a fresh store and loads it over loopback
with wrk (the Python client of :mod:`benchmarks.server` when wrk is absent): N connections, each
request for one of N users in turn, so N users converse at once. The bot is the 5-node flow of
:mod:`benchmarks.turns` (two templated says, a condition, two setVariable per turn). Baseline:
SQLite with one worker, the default deployment, measured in the same run.

* SQLite, 1 worker: the store caches what it wrote and locks users in the process.
* SQLite, 2 workers: the file is shared (per-user byte-range locks, reads from the file).
* PostgreSQL, 1 and 2 workers: per-user advisory locks, a pooled connection per turn.

PostgreSQL comes from FLOWBOT_BENCH_POSTGRES_URL, else FLOWBOT_TEST_POSTGRES_URL, else
postgresql://postgres@127.0.0.1:5432/test; each case gets a fresh schema, dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from benchmarks.server import RESULTS
from benchmarks.server import ROOT
from benchmarks.server import _free_port
from benchmarks.server import _python_load
from benchmarks.server import _wait_ready
from benchmarks.server import run_wrk
from benchmarks.turns import write_bot

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
CASES = [("sqlite", 1), ("sqlite", 2), ("postgres", 1), ("postgres", 2)]


def _postgres_base() -> str:
    return (
        os.environ.get("FLOWBOT_BENCH_POSTGRES_URL")
        or os.environ.get("FLOWBOT_TEST_POSTGRES_URL")
        or DEFAULT_POSTGRES
    )


def _with_schema(base: str, schema: str) -> str:
    return f"{base}{'&' if '?' in base else '?'}schema={schema}"


async def _drop_schemas(base: str, schemas: list[str]) -> None:
    import asyncpg

    connection = await asyncpg.connect(base)
    try:
        for schema in schemas:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await connection.close()


async def _postgres_reachable(base: str) -> str | None:
    import asyncpg

    try:
        connection = await asyncpg.connect(base, timeout=5)
    except Exception as exc:
        return f"PostgreSQL at {base} does not answer: {exc}"
    await connection.close()
    return None


def _serve(bot: Path, store: str, workers: int, port: int, workdir: Path) -> subprocess.Popen[bytes]:
    data = workdir / f"data-{uuid.uuid4().hex[:8]}"
    command = [sys.executable, "-c", "from flowbot.cli import main; main()", "serve", str(bot)]
    command += ["--port", str(port), "--data-dir", str(data), "--workers", str(workers), "--store", store]
    env = {**os.environ, "FLOWBOT_LOGS__ACCESS_LOG": "false"}
    log = (workdir / f"serve-{port}.log").open("wb")
    return subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (the uvicorn supervisor and its workers)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                queue.extend(int(child) for child in (task / "children").read_text().split())
    return found


def _cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes used so far."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
    return pids


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _load(base: str, args: argparse.Namespace, workdir: Path, server: int) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk:
        run_wrk(base, "bench", args.users, 2, workdir)  # warm-up: caches, pools, compiled templates
    else:
        asyncio.run(_python_load(base, "bench", args.users, 2))
    pids = _tree(server)
    before = (_cpu(pids), _cpu(_postgres_pids()), _machine_busy())
    if wrk:
        result = run_wrk(base, "bench", args.users, args.seconds, workdir)
    else:
        result = asyncio.run(_python_load(base, "bench", args.users, args.seconds))
    flowbot, postgres = _cpu(pids) - before[0], _cpu(_postgres_pids()) - before[1]
    busy, total = _machine_busy()
    turns = result["rps"] * args.seconds
    result["flowbot_cpu_ms_per_turn"] = 1000 * flowbot / turns
    result["postgres_cpu_ms_per_turn"] = 1000 * postgres / turns
    result["machine_busy"] = (busy - before[2][0]) / max(1, total - before[2][1])
    return result


def measure(store: str, workers: int, bot: Path, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    port = _free_port()
    process = _serve(bot, store, workers, port, workdir)
    base = f"http://127.0.0.1:{port}"
    try:
        if _wait_ready(base, "/readyz", process, timeout=120) != 200:
            return {"skipped": "the server did not become ready"}
        return _load(base, args, workdir, process.pid)
    finally:
        process.terminate()
        process.wait(90)


def _median(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the median rate, plus the range of rates over the rounds."""
    measured = sorted((r for r in rounds if "rps" in r), key=lambda r: r["rps"])
    if not measured:
        return rounds[0]
    middle = dict(measured[(len(measured) - 1) // 2])
    middle["rps_range"] = (measured[0]["rps"], measured[-1]["rps"])
    return middle


def _report(results: list[tuple[str, int, dict[str, Any]]], args: argparse.Namespace) -> str:
    baseline = next((r for s, w, r in results if (s, w) == ("sqlite", 1) and "rps" in r), None)
    one = {s: r["rps"] for s, w, r in results if w == 1 and "rps" in r}
    lines = [
        f"{'store':10} {'workers':>7} {'turns/s':>9} {'range':>11} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'vs SQLite 1w':>12} {'vs 1 worker':>11} {'errors':>6} {'flowbot CPU':>11} {'PG CPU':>7} {'busy':>5}"
    ]
    for store, workers, result in results:
        if "rps" not in result:
            lines.append(f"{store:10} {workers:7d} skipped: {result['skipped']}")
            continue
        vs_base = f"{result['rps'] / baseline['rps']:.2f}x" if baseline else "-"
        vs_one = f"{result['rps'] / one[store]:.2f}x" if store in one else "-"
        low, high = result["rps_range"]
        lines.append(
            f"{store:10} {workers:7d} {result['rps']:9.0f} {f'{low:.0f}-{high:.0f}':>11}"
            f" {result['p50_ms']:7.1f} {result['p99_ms']:7.1f} {vs_base:>12} {vs_one:>11} {result['non_2xx']:6d}"
            f" {result['flowbot_cpu_ms_per_turn']:9.2f}ms {result['postgres_cpu_ms_per_turn']:5.2f}ms"
            f" {result['machine_busy']:5.0%}"
        )
    tool = next((r["tool"] for _, _, r in results if "tool" in r), "?")
    lines.append(
        f"(median of {args.rounds} rounds, cases alternating; {args.users} users at once over loopback,"
        f" {args.seconds} s a case, {os.cpu_count()} CPUs, load: {tool}; CPU: per turn, of the bot serve"
        " processes and of every postgres process; busy: the machine's CPUs during the case)"
    )
    return "\n".join(lines)


def _run_cases(
    cases: list[tuple[str, int]], args: argparse.Namespace, workdir: Path, schemas: list[str]
) -> list[tuple[str, int, dict[str, Any]]]:
    pg_base = _postgres_base()
    unreachable = asyncio.run(_postgres_reachable(pg_base))
    bot = write_bot(workdir / "bot")
    rounds: dict[tuple[str, int], list[dict[str, Any]]] = {case: [] for case in cases}
    for number in range(args.rounds):
        for kind, workers in cases:
            if kind == "postgres" and unreachable:
                rounds[(kind, workers)].append({"skipped": unreachable})
                continue
            if kind == "postgres":
                schemas.append(f"flowbot_bench_{uuid.uuid4().hex[:10]}")
                store = _with_schema(pg_base, schemas[-1])
            else:
                store = f"sqlite:///{workdir / f'state-{number}-{workers}.sqlite'}"
            print(f"  round {number + 1}: {kind}, {workers} worker(s)...", flush=True)
            rounds[(kind, workers)].append(measure(store, workers, bot, args, workdir))
    return [(kind, workers, _median(rounds[(kind, workers)])) for kind, workers in cases]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cases", default=",".join(f"{s}:{w}" for s, w in CASES), help="store:workers,...")
    args = parser.parse_args([] if argv is None else argv)
    cases = [(case.split(":")[0], int(case.split(":")[1])) for case in args.cases.split(",")]
    schemas: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        try:
            results = _run_cases(cases, args, Path(folder), schemas)
        finally:
            if schemas:
                asyncio.run(_drop_schemas(_postgres_base(), schemas))
    print(_report(results, args))
    RESULTS.mkdir(parents=True, exist_ok=True)
    saved = {
        "cases": [{"store": s, "workers": w, **r} for s, w, r in results],
        "loadavg": os.getloadavg(),
        "users": args.users,
        "rounds": args.rounds,
    }
    (RESULTS / "scale.json").write_text(json.dumps(saved, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
