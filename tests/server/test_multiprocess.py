"""Scale-out, end to end: two ``bot serve`` processes on two ports share one PostgreSQL database
(and one Redis); no sticky sessions, each request goes to either process.

The bot counts: every message runs a Python action that increments ``user.count`` and appends
the text to ``user.log``, and answers ``"<count> <text>"``. So an answer says where its turn was
applied in the user's sequence, and the stored log says what was applied, in which order:

* one user's conversation alternating between the processes stays coherent (1, 2, 3, ...);
* 200 concurrent messages of one user, half to each process, are all applied, one after
  another: the answers carry each number once, and the turn answered ``n`` is entry ``n`` of
  the stored log;
* SIGKILL of one process in the middle of another 200: every turn that was answered is stored
  where its answer said, and the other process keeps serving.

Needs FLOWBOT_TEST_POSTGRES_URL and FLOWBOT_TEST_REDIS_URL (``.ci/run`` sets both).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from flowbot.runtime.store import create_store
from tests.cli.test_serve import BOT
from tests.cli.test_serve import _free_port
from tests.runtime.botkit import flow
from tests.runtime.botkit import node
from tests.runtime.botkit import write_bot

COUNT = """async def run(event, user):
    user["count"] = user.get("count", 0) + 1
    user.setdefault("log", []).append(event["payload"]["text"])
"""
USER = "alice"
CONVERSE = "/api/v1/bots/counter/converse/" + USER


def write_counter_bot(root: Path) -> Path:
    main = flow(node("entry", on_enter=["count {}", "say #!builtin_text-reply"], on_receive=[], next=[("true", "entry")]))
    return write_bot(
        root / "counter",
        {"main.flow.json": main},
        texts={"builtin_text-reply": "{{user.count}} {{event.payload.text}}"},
        actions={"count": COUNT},
    )


class Server:
    def __init__(self, process: subprocess.Popen[bytes], base: str, log: Path) -> None:
        self.process, self.base, self.log = process, base, log


def _start(bot: Path, data: Path, store: str, redis: str, log: Path) -> Server:
    port = _free_port()
    # A generous timeout: 200 turns of one user queue behind each other, and a turn answered with
    # "Request timed out." would not count as acknowledged here.
    env = {**os.environ, "FLOWBOT_CONVERSE__TIMEOUT": "60s", "FLOWBOT_LOGS__ACCESS_LOG": "false"}
    command = [*BOT, "serve", str(bot), "--port", str(port), "--data-dir", str(data)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--store", store, "--redis", redis], stdout=out, stderr=subprocess.STDOUT, env=env
        )
    return Server(process, f"http://127.0.0.1:{port}", log)


def _wait_ready(server: Server) -> None:
    for _ in range(600):
        try:
            if httpx.get(f"{server.base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if server.process.poll() is not None:
            break
        asyncio.run(asyncio.sleep(0.1))
    pytest.fail(f"bot serve did not become ready:\n{server.log.read_text()}")


@pytest.fixture
def servers(tmp_path: Path, postgres_url: str, redis_url: str) -> Iterator[tuple[list[Server], str]]:
    bot = write_counter_bot(tmp_path / "bots")
    data = tmp_path / "data"
    started = [_start(bot, data, postgres_url, redis_url, tmp_path / f"serve-{n}.log") for n in range(2)]
    try:
        for server in started:
            _wait_ready(server)
        yield started, postgres_url
    finally:
        for server in started:
            if server.process.poll() is None:
                server.process.kill()
            server.process.wait(10)


def _answer(response: httpx.Response) -> tuple[int, str]:
    assert response.status_code == 200, response.text
    [reply] = [r for r in response.json()["responses"] if r["type"] == "text"]
    number, text = reply["text"].split(" ", 1)
    return int(number), text


async def _send(client: httpx.AsyncClient, base: str, text: str) -> tuple[int, str]:
    return _answer(await client.post(base + CONVERSE, json={"type": "text", "text": text}))


async def _stored(url: str, tmp_path: Path) -> dict[str, Any]:
    store = create_store(url, tmp_path)
    await store.open()
    try:
        return (await store.load("counter", USER)).user
    finally:
        await store.close()


async def _conversation(servers: list[Server], url: str, tmp_path: Path) -> None:
    limits = httpx.Limits(max_connections=400)
    async with httpx.AsyncClient(timeout=90, limits=limits) as client:
        # alternating between the processes, one message at a time
        for i in range(10):
            assert await _send(client, servers[i % 2].base, f"seq-{i}") == (i + 1, f"seq-{i}")
        # 200 at once, half to each process
        texts = [f"burst-{i}" for i in range(200)]
        answers = await asyncio.gather(*(_send(client, servers[i % 2].base, t) for i, t in enumerate(texts)))
        assert sorted(number for number, _ in answers) == list(range(11, 211))
        user = await _stored(url, tmp_path)
        assert user["count"] == 210 and len(user["log"]) == 210
        assert all(user["log"][number - 1] == text for number, text in answers)
        assert sorted(user["log"][10:]) == sorted(texts)


async def _kill_mid_load(servers: list[Server], url: str, tmp_path: Path) -> None:
    victim, survivor = servers
    acknowledged: list[tuple[int, str]] = []
    failed_on_victim = 0

    async def send(client: httpx.AsyncClient, i: int) -> None:
        nonlocal failed_on_victim
        server = servers[i % 2]
        try:
            acknowledged.append(await _send(client, server.base, f"load-{i}"))
        except httpx.TransportError:
            assert server is victim, f"the surviving process failed request {i}"
            failed_on_victim += 1

    async with httpx.AsyncClient(timeout=90, limits=httpx.Limits(max_connections=400)) as client:
        tasks = [asyncio.ensure_future(send(client, i)) for i in range(200)]
        while len(acknowledged) < 40:
            await asyncio.sleep(0.005)
        os.kill(victim.process.pid, signal.SIGKILL)
        await asyncio.gather(*tasks)
        assert failed_on_victim > 0, "the kill came too late to interrupt anything"
        # the survivor keeps serving, after everything acknowledged so far
        after = [await _send(client, survivor.base, f"after-{i}") for i in range(3)]
    assert victim.process.wait(10) == -signal.SIGKILL
    user = await _stored(url, tmp_path)
    log = user["log"]
    # every acknowledged turn is stored where its answer said: nothing acknowledged was lost
    for number, text in [*acknowledged, *after]:
        assert log[number - 1] == text
    assert user["count"] == len(log) == len(set(log))
    assert [number for number, _ in after] == [len(log) - 2, len(log) - 1, len(log)]


def test_two_processes_share_one_user_in_order_and_survive_a_kill(
    servers: tuple[list[Server], str], tmp_path: Path
) -> None:
    started, url = servers
    asyncio.run(_conversation(started, url, tmp_path))
    asyncio.run(_kill_mid_load(started, url, tmp_path))
