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

# The action takes a few milliseconds, as real work would: 200 turns of one user then last long
# enough for the kill to land in the middle, however busy the machine is.
COUNT = """import asyncio

async def run(event, user):
    await asyncio.sleep(0.005)
    user["count"] = user.get("count", 0) + 1
    user.setdefault("log", []).append(event["payload"]["text"])
"""
USER = "alice"
CONVERSE = "/api/v1/bots/counter/converse/" + USER


def write_counter_bot(root: Path) -> Path:
    main = flow(
        node(
            "entry",
            on_enter=["count {}", "say #!builtin_text-reply"],
            on_receive=[],
            next=[("true", "entry")],
        )
    )
    return write_bot(
        root / "counter",
        {"main.flow.json": main},
        texts={"builtin_text-reply": "{{user.count}} {{event.payload.text}}"},
        actions={"count": COUNT},
    )


class Server:
    def __init__(self, process: subprocess.Popen[bytes], base: str, log: Path) -> None:
        self.process, self.base, self.log = process, base, log


SECRET = "a-secret-that-every-host-of-the-deployment-shares-0123456789"
PASSWORD = "a-long-password"


def _env(store: str, redis: str) -> dict[str, str]:
    # As docs/deploy.md says: the store, Redis and the token secret come from the environment.
    # A generous converse timeout: 200 turns of one user queue behind each other, and a turn
    # answered "Request timed out." would not count as acknowledged here.
    return {
        **os.environ,
        "FLOWBOT_DATABASE__URL": store,
        "FLOWBOT_REDIS__URL": redis,
        "FLOWBOT_APP_SECRET": SECRET,
        "FLOWBOT_CONVERSE__TIMEOUT": "60s",
        "FLOWBOT_LOGS__ACCESS_LOG": "false",
    }


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([*BOT, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _start(bot: Path, data: Path, env: dict[str, str], log: Path) -> Server:
    port = _free_port()
    command = [*BOT, "serve", str(bot), "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
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


class Deployment:
    def __init__(self, servers: list[Server], store: str, key: str) -> None:
        self.servers, self.store, self.key = servers, store, key


@pytest.fixture
def deployment(tmp_path: Path, postgres_url: str, redis_url: str) -> Iterator[Deployment]:
    """The recipe of docs/deploy.md: migrate, add a user and a key, start two servers that share
    only the database, Redis and the token secret (each its own data folder, as on two hosts)."""
    env = _env(postgres_url, redis_url)
    admin = str(tmp_path / "admin")
    assert "up to date" in _cli(env, "db", "upgrade", "--data-dir", admin)
    bot = write_counter_bot(tmp_path / "bots")
    started = [_start(bot, tmp_path / f"host-{n}", env, tmp_path / f"serve-{n}.log") for n in range(2)]
    try:
        # while the servers start: a user and a key, in the database they share
        user = ["users", "add", "ops@example.com", "--role", "admin", "--data-dir", admin]
        _cli(env, *user, stdin=PASSWORD + "\n")
        key = _cli(env, "keys", "create", "counter", "--data-dir", admin).strip()
        for server in started:
            _wait_ready(server)
        yield Deployment(started, postgres_url, key)
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


async def _credentials(deployment: Deployment) -> None:
    """A token from one server opens the other; the key made by the CLI opens both."""
    first, second = deployment.servers
    async with httpx.AsyncClient(timeout=30) as client:
        login = await client.post(
            f"{first.base}/api/v1/auth/login/basic/default",
            json={"email": "ops@example.com", "password": PASSWORD},
        )
        assert login.status_code == 200, login.text
        token = login.json()["payload"]["jwt"]
        for server, name, headers in (
            (second, "jwt", {"Authorization": f"Bearer {token}"}),
            (first, "key", {"X-API-Key": deployment.key}),
        ):
            answer = await client.post(
                f"{server.base}{CONVERSE}/secured?include=state",
                json={"type": "text", "text": name},
                headers=headers,
            )
            assert answer.status_code == 200, answer.text
        assert answer.json()["state"]["user"]["log"] == ["jwt", "key"]
        logout = await client.post(
            f"{second.base}/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}
        )
        assert logout.status_code == 200
        refused = await client.post(
            f"{first.base}{CONVERSE}/secured",
            json={"text": "x"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert refused.status_code == 401  # revoked on every server at once


async def _conversation(servers: list[Server], url: str, tmp_path: Path) -> None:
    limits = httpx.Limits(max_connections=400)
    async with httpx.AsyncClient(timeout=90, limits=limits) as client:
        # alternating between the processes, one message at a time (after the 2 turns of _credentials)
        for i in range(10):
            assert await _send(client, servers[i % 2].base, f"seq-{i}") == (i + 3, f"seq-{i}")
        # 200 at once, half to each process
        texts = [f"burst-{i}" for i in range(200)]
        answers = await asyncio.gather(*(_send(client, servers[i % 2].base, t) for i, t in enumerate(texts)))
        assert sorted(number for number, _ in answers) == list(range(13, 213))
        user = await _stored(url, tmp_path)
        assert user["count"] == 212 and len(user["log"]) == 212
        assert all(user["log"][number - 1] == text for number, text in answers)
        assert sorted(user["log"][12:]) == sorted(texts)


async def _kill_mid_load(servers: list[Server], url: str, tmp_path: Path) -> None:
    victim, survivor = servers
    acknowledged: list[tuple[int, str]] = []
    failed_on_victim = 0

    async def send(client: httpx.AsyncClient, i: int) -> None:
        nonlocal failed_on_victim
        server = servers[i % 2]
        try:
            acknowledged.append(await _send(client, server.base, f"load-{i}"))
            if len(acknowledged) == 40:  # at once, not at the next look of a polling loop
                os.kill(victim.process.pid, signal.SIGKILL)
        except httpx.TransportError:
            assert server is victim, f"the surviving process failed request {i}"
            failed_on_victim += 1

    async with httpx.AsyncClient(timeout=90, limits=httpx.Limits(max_connections=400)) as client:
        await asyncio.gather(*(send(client, i) for i in range(200)))
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
    deployment: Deployment, tmp_path: Path
) -> None:
    asyncio.run(_credentials(deployment))
    asyncio.run(_conversation(deployment.servers, deployment.store, tmp_path))
    asyncio.run(_kill_mid_load(deployment.servers, deployment.store, tmp_path))


def test_workers_share_a_sqlite_file(tmp_path: Path) -> None:
    """``--workers 2`` on the default SQLite store: the workers lock users across processes and
    read what the other wrote, so one user's concurrent messages are applied one after another."""
    bot = write_counter_bot(tmp_path / "bots")
    port = _free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "FLOWBOT_CONVERSE__TIMEOUT": "60s", "FLOWBOT_LOGS__ACCESS_LOG": "false"}
    command = [
        *BOT,
        "serve",
        str(bot),
        "--port",
        str(port),
        "--data-dir",
        str(tmp_path / "data"),
        "--workers",
        "2",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_ready(server)

        async def burst() -> list[tuple[int, str]]:
            async with httpx.AsyncClient(timeout=90, limits=httpx.Limits(max_connections=200)) as client:
                return await asyncio.gather(*(_send(client, server.base, f"m-{i}") for i in range(100)))

        answers = asyncio.run(burst())
        assert sorted(number for number, _ in answers) == list(range(1, 101))
        assert log.read_text().count("Started server process") == 2
    finally:
        process.terminate()
        process.wait(30)
    user = asyncio.run(_stored(f"sqlite:///{tmp_path / 'data' / 'flowbot.sqlite'}", tmp_path))
    assert all(user["log"][number - 1] == text for number, text in answers)
