"""``bot test`` on a generated bot with 200 conversation tests of 10 turns each (2,000 turns).

    python -m benchmarks bot_test

The bot has intents (so every turn runs the NLU), a question with choices (the choice skill), a
`listen`, memory, and two Call APIs answered by mocks (success in half of the tests, failure in
the other half). Every turn's messages are checked, and some memory values.

Measured in one run, each case the best of 3 rounds:

- the baseline: the same 2,000 turns sent straight to one ConversationService (memory store,
  mocked API), one conversation after another, with nothing checked: the engine's own cost;
- ``bot test``'s run phase in process (parse the files, 200 conversations on the event loop,
  check and report), with the bot already compiled and loaded;
- ``bot test`` in process from end to end (compiling the bot and training its NLU included);
- the ``bot test`` command, a new process (Python start-up and imports included), on its first
  run (the NLU model is trained: scikit-learn is imported) and on the next runs (the model comes
  from the tools' cache, ``~/.cache/flowbot``): the figures the 10-second target is about.
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flowbot.runtime.callapi import MockApiClient
from flowbot.runtime.conversation import IncomingMessage
from flowbot.runtime.service import ConversationService
from flowbot.runtime.store import MemoryStore
from flowbot.testing.parse import read_convo
from flowbot.testing.suite import load_for_tests
from flowbot.testing.suite import run_bot_tests
from flowbot.testing.suite import run_files

TESTS = 200
FILES = 4
TARGET_SECONDS = 10.0
ROUNDS = 3

BOT = """\
bot bench "Bench"
  language en

intent order
  - I want to order
  - place an order please
  - I'd like to buy something
  - can I order

intent status
  - where is my order
  - what is the status of my order
  - track my package
  - has my order shipped

flow main
  node entry
    when intent order -> size
    when intent status -> status
    else -> hello

  node hello
    say "Hello! Ask to order, or for the status of your order."
    -> end

  node size
    ask "Which size?"
      option small "Small" -> quantity
      option large "Large" -> quantity
      -> session.size
      on_failure -> hello

  node quantity
    say "How many?"
    listen
    set session.quantity = "{{ event.payload.text }}"
    -> place

  node place
    call POST "https://shop.example.com/orders"
      body {"size": "{{ session.size }}", "quantity": "{{ session.quantity }}"}
      -> temp.order
      on_success -> placed
      on_failure -> failed

  node placed
    say "Order {{ temp.order.body.id }} placed: {{ session.quantity }} {{ session.size }}."
    -> end

  node failed
    say "Sorry, the shop is down."
    -> end

  node status
    call GET "https://shop.example.com/orders/latest"
      -> temp.status
      on_success -> report
      on_failure -> failed

  node report
    say "Your order is {{ temp.status.body.state }}."
    -> end
"""

# 10 turns: (what the user sends, the bot's lines); the API answers decide "placed" or "failed"
SCRIPT: list[tuple[str, list[str]]] = [
    ("user: hello", ["bot: Hello! Ask to order, or for the status of your order."]),
    ("user: I want to order", ["bot: Which size?", "choices: Small | Large"]),
    ("user picks: Large", ["bot: How many?"]),
    ("user: 3", ["{placed_3}"]),
    ("user: where is my order", ["{status}"]),
    ("user: can I order", ["bot: Which size?"]),
    ("user: 1", ["bot: How many?"]),
    ("user: 2", ["{placed_2}"]),
    ("user: track my package", ["{status}"]),
    ("user: thanks", ["bot: Hello! Ask to order, or for the status of your order."]),
]


def _lines(ok: bool) -> dict[str, str]:
    return {
        "placed_3": "bot: Order A-17 placed: 3 large." if ok else "bot: Sorry, the shop is down.",
        "placed_2": "bot: Order A-17 placed: 2 small." if ok else "bot: Sorry, the shop is down.",
        "status": "bot: Your order is shipped." if ok else "bot: Sorry, the shop is down.",
    }


def _test(number: int) -> str:
    ok = number % 2 == 0
    out = [f'test "conversation {number}"']
    if ok:
        out += [
            '  mock POST https://shop.example.com/orders -> 201 {"id": "A-17"}',
            '  mock GET https://shop.example.com/orders/latest -> 200 {"state": "shipped"}',
        ]
    else:
        out += ["  mock * https://shop.example.com/* -> 503"]
    values = _lines(ok)
    for sent, said in SCRIPT:
        out.append(f"  {sent}")
        out.extend(f"  {line.format(**values)}" for line in said)
    out.append('  memory session.quantity == "2"')
    return "\n".join(out)


def write_bot(root: Path) -> Path:
    (root / "tests").mkdir(parents=True)
    (root / "main.flow").write_text(BOT, encoding="utf-8")
    per_file = TESTS // FILES
    for index in range(FILES):
        tests = [_test(index * per_file + n) for n in range(per_file)]
        (root / "tests" / f"part{index}.convo").write_text("\n\n".join(tests) + "\n", encoding="utf-8")
    return root


def _messages() -> list[dict[str, object]]:
    """The 10 turns as the engine receives them (choices answered as the test runner sends them)."""
    picked = {"type": "quick_reply", "text": "Large", "payload": "LARGE"}
    texts = [sent.split(": ", 1)[1] for sent, _ in SCRIPT]
    return [
        picked if sent.startswith("user picks") else {"type": "text", "text": text}
        for (sent, _), text in zip(SCRIPT, texts, strict=True)
    ]


async def _baseline(work: Path) -> float:
    bundle = load_for_tests(work / "bot", Path(tempfile.mkdtemp(dir=work)))
    api = MockApiClient(
        [
            {"method": "POST", "status": 201, "body": {"id": "A-17"}},
            {"method": "GET", "status": 200, "body": {"state": "shipped"}},
        ]
    )
    service = ConversationService(
        {bundle.bot_id: bundle}, MemoryStore(), api_client=api, rng=random.Random(0)
    )
    await service.start(janitor=False)
    messages = _messages()
    started = time.perf_counter()
    for user in range(TESTS):
        for payload in messages:
            await service.converse(bundle.bot_id, f"user-{user}", IncomingMessage(payload=payload))
    elapsed = time.perf_counter() - started
    await service.close()
    return elapsed


async def _run_phase(work: Path) -> tuple[float, int]:
    bundle = load_for_tests(work / "bot", Path(tempfile.mkdtemp(dir=work)))
    started = time.perf_counter()
    files = [read_convo(path) for path in sorted((work / "bot" / "tests").glob("*.convo"))]
    results = await run_files(bundle, files)
    elapsed = time.perf_counter() - started
    passed = sum(1 for result in results for case in result.cases if case.passed)
    return elapsed, passed


def _in_process(work: Path) -> float:
    started = time.perf_counter()
    run_bot_tests(work / "bot")
    return time.perf_counter() - started


def _command(work: Path, cache: Path) -> tuple[float, float, int]:
    """Wall-clock seconds, CPU seconds (user + system, of the child) and the exit code; ``cache``
    is the tools' cache folder (an empty one: the NLU model is trained)."""
    bot = Path(sys.executable).parent / "bot"
    environment = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [str(bot), "test", str(work / "bot")], capture_output=True, text=True, check=False, env=environment
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:])
    return elapsed, cpu, done.returncode


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        write_bot(work / "bot")
        # best of ROUNDS: on a shared machine, the slower rounds measure the neighbours
        baseline = min(asyncio.run(_baseline(work)) for _ in range(ROUNDS))
        run_phase, passed = min(asyncio.run(_run_phase(work)) for _ in range(ROUNDS))
        in_process = min(_in_process(work) for _ in range(ROUNDS))
        report = run_bot_tests(work / "bot")
        cold = min(_command(work, Path(tempfile.mkdtemp(dir=work))) for _ in range(ROUNDS))
        warm_cache = Path(tempfile.mkdtemp(dir=work))
        _command(work, warm_cache)
        warm = min(_command(work, warm_cache) for _ in range(ROUNDS))
    command, command_cpu, code = cold
    turns = TESTS * len(SCRIPT)
    print(
        f"{TESTS} tests x {len(SCRIPT)} turns = {turns} turns; {passed} passed (run phase), "
        f"{report.passed} passed (in process), exit code {code} (command)"
    )
    print(f"{'case':<58} {'seconds':>8} {'turns/s':>9} {'vs baseline':>12}")
    for name, seconds in (
        ("engine alone, one conversation at a time (baseline)", baseline),
        ("bot test, run phase (bot already loaded)", run_phase),
        ("bot test in process, compile + NLU training + run", in_process),
        ("bot test command, first run (new process, NLU trained)", command),
        ("bot test command, next runs (NLU model from the cache)", warm[0]),
    ):
        print(f"{name:<58} {seconds:>8.2f} {turns / seconds:>9,.0f} {seconds / baseline:>11.2f}x")
    print(f"CPU-seconds (user + system) of the command: first run {command_cpu:.2f}, next runs {warm[1]:.2f}")
    verdict = "met" if command < TARGET_SECONDS else "MISSED"
    print(f"target: the command under {TARGET_SECONDS:.0f} s: {verdict} ({command:.2f} s)")


if __name__ == "__main__":
    main()
