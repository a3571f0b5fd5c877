"""Conversation turns per second, in process, through the whole ConversationService.

    python -m benchmarks turns

The bot is a 5-node flow: each message resumes the waiting node and runs 4 more (a say with a
template, a setVariable, a condition, an action on session memory) before waiting again, so a
turn runs ~12 instructions, 2 conditions and 2 content renders, then saves its state.

Measured, in one run, on one event loop (one core):

- the baseline: the same turns with the in-memory store (the engine's own cost);
- SQLite, ``synchronous=FULL`` (fsync at each commit: durable before the turn is answered), with
  group commit on the writer thread, then with inline commits, then ``synchronous=NORMAL``;
- each with 100 users talking at once (the server's case), and one user alone (sequential turns:
  no batching is possible, so every turn pays a full fsync).

Two rates are printed: turns per wall-clock second, and turns per CPU-second of this process
(``time.process_time``, all threads, kernel time included). On a shared machine the wall-clock
rate drops when other processes take the cores; the CPU rate is what one core does for us.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flowbot.runtime.conversation import IncomingMessage
from flowbot.runtime.registry import BotRegistry
from flowbot.runtime.service import ConversationService
from flowbot.runtime.store import MemoryStore
from flowbot.runtime.store import SqliteStore
from flowbot.runtime.store import StateStore

USERS = 100
TURNS_PER_USER = 40
SEQUENTIAL_TURNS = 1000
ROUNDS = 3


def _node(name: str, on_enter: list[str], target: str, *, waits: bool = False) -> dict[str, object]:
    return {"id": f"node-{name}", "name": name, "onEnter": on_enter, "onReceive": [] if waits else None,
            "next": [{"condition": "true", "node": target}]}  # fmt: skip


def write_bot(root: Path) -> Path:
    set_temp = 'builtin/setVariable {"type":"temp","name":"last","value":"{{event.payload.text}}"}'
    count = 'builtin/setVariable {"type":"session","name":"count","value":"{{event.payload.text}}"}'
    nodes = [
        _node("greet", ["say #!builtin_text-greet"], "remember"),
        _node("remember", [set_temp], "check"),
        {**_node("check", [], "answer"), "next": [{"condition": "temp.last === 'stop'", "node": "END"},
                                                  {"condition": "true", "node": "answer"}]},
        _node("answer", ["say #!builtin_text-answer", count], "wait"),
        _node("wait", [], "greet", waits=True),
    ]  # fmt: skip
    flow = {"version": "0.0.1", "startNode": "greet", "catchAll": {}, "nodes": nodes}
    texts = [{"id": "builtin_text-greet", "formData": {"text$en": "Hello {{user.name}}!", "typing$en": True}},
             {"id": "builtin_text-answer", "formData": {"text$en": "You said {{temp.last}}"}}]  # fmt: skip
    (root / "flows").mkdir(parents=True)
    (root / "content-elements").mkdir()
    (root / "bot.config.json").write_text(json.dumps({"id": "bench"}))
    (root / "flows" / "main.flow.json").write_text(json.dumps(flow))
    (root / "content-elements" / "builtin_text.json").write_text(json.dumps(texts))
    return root


async def _user(service: ConversationService, user: str, turns: int) -> None:
    for i in range(turns):
        await service.converse("bench", user, IncomingMessage(payload={"type": "text", "text": f"m{i}"}))


async def _measure(
    bot: Path, make_store: Callable[[], StateStore], users: int, turns: int
) -> tuple[float, float]:
    """Turns per wall-clock second and per CPU-second (best of ROUNDS), each round on a fresh store."""
    best_wall = best_cpu = 0.0
    for _ in range(ROUNDS):
        store = make_store()
        await store.open()
        service = ConversationService(BotRegistry.from_folders([bot]), store)
        await _user(service, "warm-up", 20)
        started, cpu_started = time.perf_counter(), time.process_time()
        await asyncio.gather(*(_user(service, f"user-{u}", turns) for u in range(users)))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        await store.close()
        best_wall = max(best_wall, users * turns / elapsed)
        best_cpu = max(best_cpu, users * turns / cpu)
    return best_wall, best_cpu


async def _run(folder: Path) -> list[tuple[str, tuple[float, float]]]:
    bot = write_bot(folder / "bot")
    counter = iter(range(1_000_000))

    def sqlite(**options: object) -> Callable[[], StateStore]:
        return lambda: SqliteStore(folder / f"state-{next(counter)}.db", **options)  # type: ignore[arg-type]

    cases: list[tuple[str, Callable[[], StateStore], int, int]] = [
        ("memory store (baseline)", MemoryStore, USERS, TURNS_PER_USER),
        ("SQLite FULL, group commit on a thread", sqlite(), USERS, TURNS_PER_USER),
        ("SQLite FULL, group commit inline", sqlite(commit_in_thread=False), USERS, TURNS_PER_USER),
        ("SQLite NORMAL, group commit on a thread", sqlite(synchronous="normal"), USERS, TURNS_PER_USER),
        ("memory store, one user (baseline)", MemoryStore, 1, SEQUENTIAL_TURNS),
        ("SQLite FULL, one user", sqlite(), 1, SEQUENTIAL_TURNS),
        ("SQLite NORMAL, one user", sqlite(synchronous="normal"), 1, SEQUENTIAL_TURNS),
    ]
    return [(name, await _measure(bot, make, users, turns)) for name, make, users, turns in cases]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        results = asyncio.run(_run(Path(folder)))
    baselines = {False: results[0][1], True: results[4][1]}
    print(f"{'case':<42} {'turns/s (wall)':>15} {'vs baseline':>12} {'turns/CPU-s':>12} {'vs baseline':>12}")
    for index, (name, (wall, cpu)) in enumerate(results):
        base_wall, base_cpu = baselines[index >= 4]
        print(f"{name:<42} {wall:>15,.0f} {wall / base_wall:>11.2f}x {cpu:>12,.0f} {cpu / base_cpu:>11.2f}x")


if __name__ == "__main__":
    main()
