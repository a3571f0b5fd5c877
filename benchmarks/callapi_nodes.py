"""1,000 concurrent Call API nodes through the whole runtime (issue 3's target: under 1 s in total).

    python -m benchmarks callapi_nodes

1,000 users each send one message at once to a bot whose node calls ``basic-skills/call_api``
against a local endpoint (another process) that answers after 100 ms, then branches on success
and says the status. Each turn goes through ``ConversationService.converse``: the per-user lock,
the engine, the action, the HTTP call (flowbot's ``HttpApiClient``), the template, the state save.
Measured in one run, cold (a fresh client that must open its connections) and warm (1,000 other
users on the same client), with the in-memory store and with SQLite (durable, group commit):

- the baseline: the same 1,000 requests from bare aiohttp, no runtime (the floor is 0.1 s);
- the ratio runtime / baseline says what the engine and the store add to a burst.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

from benchmarks.callapi import CONCURRENT
from benchmarks.callapi import _aiohttp
from benchmarks.callapi import endpoint
from flowbot.runtime.callapi import HttpApiClient
from flowbot.runtime.conversation import IncomingMessage
from flowbot.runtime.flow import CallApiConfig
from flowbot.runtime.registry import BotRegistry
from flowbot.runtime.service import ConversationService
from flowbot.runtime.store import MemoryStore
from flowbot.runtime.store import SqliteStore
from flowbot.runtime.store import StateStore

ROUNDS = 3


def write_bot(root: Path, url: str) -> Path:
    call = {"url": url, "method": "get", "memory": "temp", "variable": "response", "randomId": "r1"}
    nodes = [
        {"id": "n-call", "name": "call", "onEnter": [f"basic-skills/call_api {json.dumps(call)}"],
         "onReceive": None, "next": [{"condition": "temp.valid_r1", "node": "ok"},
                                     {"condition": "true", "node": "failed"}]},
        {"id": "n-ok", "name": "ok", "onEnter": ["say #!builtin_text-ok"], "onReceive": None, "next": []},
        {"id": "n-failed", "name": "failed", "onEnter": ["say #!builtin_text-failed"], "onReceive": None,
         "next": []},
    ]  # fmt: skip
    flow = {"version": "0.0.1", "startNode": "call", "catchAll": {}, "nodes": nodes}
    texts = [{"id": "builtin_text-ok", "formData": {"text$en": "status {{temp.response.status}}"}},
             {"id": "builtin_text-failed", "formData": {"text$en": "failed {{temp.response.status}}"}}]  # fmt: skip
    (root / "flows").mkdir(parents=True)
    (root / "content-elements").mkdir()
    (root / "bot.config.json").write_text(json.dumps({"id": "bench", "callApi": {"allowHosts": ["127.0.0.1"]}}))
    (root / "flows" / "main.flow.json").write_text(json.dumps(flow))
    (root / "content-elements" / "builtin_text.json").write_text(json.dumps(texts))
    return root


async def _burst(service: ConversationService, prefix: str) -> float:
    message = IncomingMessage(payload={"type": "text", "text": "go"})
    started = time.perf_counter()
    results = await asyncio.gather(*(service.converse("bench", f"{prefix}-{u}", message) for u in range(CONCURRENT)))
    elapsed = time.perf_counter() - started
    answers = {r.responses[-1].get("text") if r.responses else None for r in results}
    if answers != {"status 200"}:
        raise RuntimeError(f"unexpected answers: {sorted(map(str, answers))[:3]}")
    return elapsed


async def _runtime_round(bot: Path, store: StateStore) -> tuple[float, float]:
    client = HttpApiClient(CallApiConfig(allowHosts=["127.0.0.1"]))
    await store.open()
    service = ConversationService(BotRegistry.from_folders([bot]), store, api_client=client)
    try:
        return await _burst(service, "cold"), await _burst(service, "warm")
    finally:
        await client.close()
        await store.close()


async def _bare_round(url: str) -> tuple[float, float]:
    call, close = _aiohttp()
    try:
        walls = []
        for _ in range(2):
            started = time.perf_counter()
            await asyncio.gather(*(call(url) for _ in range(CONCURRENT)))
            walls.append(time.perf_counter() - started)
        return walls[0], walls[1]
    finally:
        await close()


async def _measure(url: str, folder: Path) -> dict[str, tuple[float, float]]:
    bot = write_bot(folder / "bot", url)
    counter = iter(range(1_000_000))
    cases = {
        "bare aiohttp, no runtime (baseline)": None,
        "runtime, memory store": MemoryStore,
        "runtime, SQLite (durable)": lambda: SqliteStore(folder / f"state-{next(counter)}.db"),
    }
    rounds: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(ROUNDS):  # alternate, so that a change in the machine's load hits every case
        for name, make in cases.items():
            rounds[name].append(await (_bare_round(url) if make is None else _runtime_round(bot, make())))
    return {name: (_median([r[0] for r in rs]), _median([r[1] for r in rs])) for name, rs in rounds.items()}


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def main() -> None:
    with endpoint() as base, tempfile.TemporaryDirectory() as folder:
        figures = asyncio.run(_measure(f"{base}/slow", Path(folder)))
    print(f"{CONCURRENT} users at once, one turn each, whose node calls an API answering in 100 ms; "
          f"median of {ROUNDS} rounds")  # fmt: skip
    base_cold, base_warm = figures["bare aiohttp, no runtime (baseline)"]
    print(f"{'case':<38} {'cold':>9} {'vs bare':>8} {'warm':>9} {'vs bare':>8}")
    for name, (cold, warm) in figures.items():
        print(f"{name:<38} {cold:>7.3f} s {cold / base_cold:>7.2f}x {warm:>7.3f} s {warm / base_warm:>7.2f}x")
    for name, (cold, warm) in figures.items():
        if name.startswith("runtime"):
            verdict = "met" if max(cold, warm) < 1.0 else "MISSED"
            print(f"target: {CONCURRENT} Call API nodes under 1 s, {name}: {verdict} (cold {cold:.3f} s, warm {warm:.3f} s)")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
