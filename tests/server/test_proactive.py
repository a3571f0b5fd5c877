"""Proactive messages: the events route, the outbox returned with the next answer, the SSE stream,
turns that outlive converse.timeout, and shutdown that lets them finish."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from flowbot.server.proactive import ProactiveHub
from flowbot.server.store import SqliteServerStore
from tests.server.conftest import Harness
from tests.server.conftest import bearer
from tests.server.conftest import login
from tests.server.fakes import FakeClock

EVENTS = "/api/v1/bots/{bot}/users/{user}/events"
CONVERSE = "/api/v1/bots/{bot}/converse/{user}"


def texts(response: httpx.Response) -> list[str]:
    return [r["text"] for r in response.json()["responses"] if r["type"] == "text"]


async def test_event_without_stream_goes_to_the_outbox_then_the_next_answer(
    served: tuple[Harness, httpx.AsyncClient],
) -> None:
    harness, client = served
    key = await harness.add_key("support")
    response = await client.post(
        EVENTS.format(bot="support", user="u1"),
        json={"flow": "reminder.flow.json", "node": "start", "payload": {"n": 1}},
        headers={"X-API-Key": key},
    )
    assert response.status_code == 200
    assert response.json() == {"status": "delivered", "delivered": "outbox", "messages": 1}
    assert harness.conversations.calls[0] == (
        "trigger",
        "support",
        "u1",
        ("reminder.flow.json", "start", {"n": 1}),
    )
    # Another user's answer does not get it.
    assert texts(await client.post(CONVERSE.format(bot="support", user="u2"), json={"text": "hi"})) == [
        "support/u2: hi"
    ]
    first = await client.post(CONVERSE.format(bot="support", user="u1"), json={"text": "hi"})
    assert texts(first) == ["proactive reminder.flow.json#start {'n': 1}", "support/u1: hi"]
    second = await client.post(CONVERSE.format(bot="support", user="u1"), json={"text": "again"})
    assert texts(second) == ["support/u1: again"]


async def test_outbox_is_per_bot(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    await harness.add_user("admin@example.com", role="admin")
    token = await login(client, "admin@example.com")
    await client.post(EVENTS.format(bot="sales", user="u1"), json={"flow": "promo"}, headers=bearer(token))
    assert texts(await client.post(CONVERSE.format(bot="support", user="u1"), json={"text": "hi"})) == [
        "support/u1: hi"
    ]
    assert (
        texts(await client.post(CONVERSE.format(bot="sales", user="u1"), json={"text": "hi"}))[0]
        == "proactive promo# {}"
    )


async def test_events_route_checks(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    sales_key = await harness.add_key("sales")
    key = await harness.add_key("support")
    url = EVENTS.format(bot="support", user="u1")
    assert (await client.post(url, json={"flow": "x"})).status_code == 401
    assert (await client.post(url, json={"flow": "x"}, headers={"X-API-Key": sales_key})).status_code == 403
    assert (
        await client.post(
            EVENTS.format(bot="nobody", user="u1"), json={"flow": "x"}, headers={"X-API-Key": key}
        )
    ).status_code == 404
    response = await client.post(url, json={"flow": "x", "color": "red"}, headers={"X-API-Key": key})
    assert response.status_code == 400
    assert response.json()["message"] == 'Invalid payload: "color" is not allowed'
    response = await client.post(url, json={"node": "n"}, headers={"X-API-Key": key})
    assert response.json()["message"] == 'Invalid payload: "flow" is required'
    response = await client.post(url, json={"flow": "missing.flow.json"}, headers={"X-API-Key": key})
    assert response.status_code == 400
    assert response.json()["message"] == "Bad Request: bot support has no flow 'missing.flow.json'"
    assert [call[0] for call in harness.conversations.calls] == ["trigger"]


async def test_turn_outliving_the_timeout_reaches_the_outbox(
    served: tuple[Harness, httpx.AsyncClient],
) -> None:
    harness, client = served
    harness.conversations.delay = 0.4
    response = await client.post(CONVERSE.format(bot="slow", user="u1"), json={"text": "first"})
    assert response.json()["message"] == "Request timed out."
    while harness.conversations.completed < 1:
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)
    harness.conversations.delay = 0
    response = await client.post(CONVERSE.format(bot="slow", user="u1"), json={"text": "second"})
    assert texts(response) == ["slow/u1: first", "slow/u1: second"]


async def test_event_outliving_the_timeout_is_accepted_and_delivered_later(
    served: tuple[Harness, httpx.AsyncClient],
) -> None:
    harness, client = served
    key = await harness.add_key("slow")
    harness.conversations.delay = 0.4
    response = await client.post(
        EVENTS.format(bot="slow", user="u1"), json={"flow": "late"}, headers={"X-API-Key": key}
    )
    assert response.status_code == 202
    assert response.json() == {"status": "accepted", "delivered": "pending", "messages": None}
    harness.conversations.delay = 0
    while not await harness.store.take_outbox("slow", "u1"):
        await asyncio.sleep(0.05)


async def test_shutdown_waits_for_turns_in_flight(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.conversations.delay = 0.5
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=harness.app), base_url="http://testserver")
    async with harness.app.router.lifespan_context(harness.app):
        response = await client.post(CONVERSE.format(bot="slow", user="u1"), json={"text": "late"})
        assert response.status_code == 400
    await client.aclose()
    assert harness.conversations.completed == 1
    store = SqliteServerStore(tmp_path / "flowbot.sqlite")
    await store.open()
    stored = await store.take_outbox("slow", "u1")
    await store.close()
    assert [m.payload for m in stored] == [
        {"type": "typing", "value": True},
        {"type": "text", "markdown": True, "text": "slow/u1: late"},
    ]


async def test_messages_a_closed_stream_did_not_send_go_back_to_the_outbox(tmp_path: Path) -> None:
    store = SqliteServerStore(tmp_path / "s.sqlite")
    await store.open()
    hub = ProactiveHub(store, FakeClock())
    async with hub.subscribe("support", "u1"):
        assert await hub.deliver("support", "u1", [{"type": "text", "text": "a"}]) == "stream"
    assert [m.payload["text"] for m in await store.take_outbox("support", "u1")] == ["a"]
    assert await hub.deliver("support", "u1", []) == "none"
    await store.close()


# --- over a real HTTP server: SSE needs a streaming client --------------------------------------


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[tuple[Harness, str]]:
    harness = Harness(tmp_path)
    config = uvicorn.Config(harness.app, host="127.0.0.1", port=0, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield harness, f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def _events(lines: AsyncIterator[str], count: int) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    event = "message"
    async for line in lines:
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            found.append((event, json.loads(line.split(":", 1)[1])))
            event = "message"
            if len(found) == count:
                return found
    return found


async def test_stream_receives_proactive_messages(live: tuple[Harness, str]) -> None:
    harness, base = live
    key = await harness.add_key("support")
    headers = {"X-API-Key": key}
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        async with client.stream("GET", "/api/v1/bots/support/converse/u1/stream", headers=headers) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()
            assert await _events(lines, 1) == [("ready", {"botId": "support", "userId": "u1"})]
            response = await client.post(
                EVENTS.format(bot="support", user="u1"), json={"flow": "ping"}, headers=headers
            )
            assert response.json()["delivered"] == "stream"
            [(event, payload)] = await asyncio.wait_for(_events(lines, 1), 5)
            assert (event, payload) == ("message", {"type": "text", "text": "proactive ping# {}"})
            # A message stored by another worker process (straight into the outbox) arrives too.
            await harness.store.push_outbox(
                "support", "u1", [{"type": "text", "text": "from another worker"}], 0.0
            )
            [(_, payload)] = await asyncio.wait_for(_events(lines, 1), 5)
            assert payload["text"] == "from another worker"
        # Closed: the next message waits in the outbox, and the next stream gets it first.
        for _ in range(100):
            if not harness.app.state.ctx.hub.has_stream("support", "u1"):
                break
            await asyncio.sleep(0.02)
        response = await client.post(
            EVENTS.format(bot="support", user="u1"), json={"flow": "later"}, headers=headers
        )
        assert response.json()["delivered"] == "outbox"
        async with client.stream("GET", "/api/v1/bots/support/converse/u1/stream", headers=headers) as stream:
            events = await asyncio.wait_for(_events(stream.aiter_lines(), 2), 5)
            assert events[1] == ("message", {"type": "text", "text": "proactive later# {}"})
        assert await harness.store.take_outbox("support", "u1") == []


async def test_stream_needs_credentials_for_its_bot(live: tuple[Harness, str]) -> None:
    harness, base = live
    other = await harness.add_key("sales")
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        url = "/api/v1/bots/support/converse/u1/stream"
        assert (await client.get(url)).status_code == 401
        assert (await client.get(url, headers={"X-API-Key": other})).status_code == 403
        assert (
            await client.get("/api/v1/bots/nobody/converse/u1/stream", headers={"X-API-Key": other})
        ).status_code == 404
