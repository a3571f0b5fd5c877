"""Several server processes through Redis: rate limits counted once for all of them, and a
proactive message delivered by one process reaching a stream open on another, at once.

Two apps on one data folder, each with its own Redis connection, stand for two processes. These
tests need FLOWBOT_TEST_REDIS_URL (``.ci/run`` sets it; they skip without it)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import uvicorn

from flowbot.server.cluster import RedisCoordination
from tests.cli.test_serve import _free_port
from tests.server.conftest import Harness
from tests.server.test_proactive import EVENTS
from tests.server.test_proactive import _events

CONVERSE = "/api/v1/bots/{bot}/converse/{user}"


@pytest.fixture
async def coordinations(redis_url: str) -> AsyncIterator[tuple[RedisCoordination, RedisCoordination]]:
    first, second = RedisCoordination(redis_url), RedisCoordination(redis_url)
    await first.start()
    await second.start()
    yield first, second
    await first.close()
    await second.close()


async def test_rate_limits_are_counted_across_processes(
    coordinations: tuple[RedisCoordination, RedisCoordination],
) -> None:
    first, second = coordinations
    decisions = [await (first, second)[i % 2].limiter.hit("user:b:u", 3, 60.0) for i in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert 19.0 < decisions[3].retry_after <= 20.0  # one token every 20 s
    assert (await second.limiter.hit("user:b:other", 3, 60.0)).allowed


async def test_buckets_refill_over_time(coordinations: tuple[RedisCoordination, RedisCoordination]) -> None:
    first, second = coordinations
    assert [(await first.limiter.hit("k", 2, 0.4)).allowed for _ in range(3)] == [True, True, False]
    await asyncio.sleep(0.25)  # one token every 0.2 s
    assert (await second.limiter.hit("k", 2, 0.4)).allowed
    assert not (await first.limiter.hit("k", 2, 0.4)).allowed


async def test_without_redis_requests_are_let_through(caplog: pytest.LogCaptureFixture) -> None:
    unreachable = RedisCoordination("redis://127.0.0.1:9/0")  # the discard port: nothing listens
    await unreachable.start()
    try:
        assert all([(await unreachable.limiter.hit("k", 1, 60.0)).allowed for _ in range(3)])
        assert "rate limits are not enforced" in caplog.text
        await unreachable.notifier.publish("b", "u")  # logged, never raised
    finally:
        await unreachable.close()


@pytest.fixture
async def two_processes(tmp_path: Path, redis_url: str) -> AsyncIterator[list[tuple[Harness, str]]]:
    """Two apps on real sockets, one data folder (one server store), each its own Redis client."""
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    started: list[tuple[Harness, str]] = []
    for _ in range(2):
        harness = Harness(tmp_path, redis_url=redis_url)
        server = uvicorn.Server(uvicorn.Config(harness.app, host="127.0.0.1", port=0, log_config=None))
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        servers.append((server, task))
        started.append((harness, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"))
    yield started
    for server, task in servers:
        server.should_exit = True
        await task


async def test_a_message_delivered_by_one_process_reaches_a_stream_on_the_other(
    two_processes: list[tuple[Harness, str]],
) -> None:
    (first, first_url), (second, second_url) = two_processes
    assert first.redis is not None
    key = await first.add_key("support")
    headers = {"X-API-Key": key}
    async with httpx.AsyncClient(timeout=10) as client:
        url = f"{first_url}/api/v1/bots/support/converse/u1/stream"
        async with client.stream("GET", url, headers=headers) as stream:
            lines = stream.aiter_lines()
            assert (await _events(lines, 1))[0][0] == "ready"
            await asyncio.wait_for(first.redis.notifier.subscribed.wait(), 5)
            sent = time.monotonic()
            response = await client.post(
                second_url + EVENTS.format(bot="support", user="u1"), json={"flow": "ping"}, headers=headers
            )
            assert response.json() == {"status": "delivered", "delivered": "outbox", "messages": 1}
            [(event, payload)] = await asyncio.wait_for(_events(lines, 1), 5)
            assert (event, payload) == ("message", {"type": "text", "text": "proactive ping# {}"})
            # the notification, not the stream's poll (every 5 s with a notifier), brought it
            assert time.monotonic() - sent < 2.0
        # taken once: nothing is left for the user's next answer on either process
        answer = await client.post(
            second_url + CONVERSE.format(bot="support", user="u1"), json={"text": "hi"}
        )
        assert [r["text"] for r in answer.json()["responses"] if r["type"] == "text"] == ["support/u1: hi"]


async def test_a_user_rate_limit_holds_across_processes(two_processes: list[tuple[Harness, str]]) -> None:
    (_, first_url), (_, second_url) = two_processes
    async with httpx.AsyncClient(timeout=10) as client:
        url = CONVERSE.format(bot="limited", user="u1")  # 1 per minute
        assert (await client.post(first_url + url, json={"text": "a"})).status_code == 200
        refused = await client.post(second_url + url, json={"text": "b"})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


def _redis_server(port: int, folder: Path) -> subprocess.Popen[bytes]:
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    return subprocess.Popen(
        [*command, "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def _until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.05)


async def test_notifications_resume_after_redis_restarts(tmp_path: Path, redis_url: str) -> None:
    """A Redis of our own (the shared one must not be stopped): stop it, start it again, and the
    notifier subscribes again by itself; meanwhile rate limits stay open."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is needed to restart a Redis of the test's own")
    port = _free_port()
    server = _redis_server(port, tmp_path)
    coordination = RedisCoordination(f"redis://127.0.0.1:{port}/0")
    heard: list[tuple[str, str]] = []
    coordination.notifier.listen(lambda bot, user: heard.append((bot, user)))
    try:
        await _until(lambda: _answers(port))
        await coordination.start()
        await asyncio.wait_for(coordination.notifier.subscribed.wait(), 10)
        server.kill()
        server.wait()
        await _until(lambda: not coordination.notifier.subscribed.is_set())
        assert (await coordination.limiter.hit("k", 1, 60.0)).allowed
        server = _redis_server(port, tmp_path)
        await asyncio.wait_for(coordination.notifier.subscribed.wait(), 15)
        publisher = RedisCoordination(f"redis://127.0.0.1:{port}/0")
        await publisher.notifier.publish("b", "u")
        await publisher.close()
        await _until(lambda: heard == [("b", "u")])
    finally:
        await coordination.close()
        server.kill()
        server.wait()


def _answers(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0
