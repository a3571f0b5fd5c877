"""Health routes, the OpenAPI document, and the access log (no message text, no tokens)."""

from __future__ import annotations

import asyncio
import io
import json
import time

import httpx
import pytest

from flowbot.server.logs import AccessLog
from tests.server.conftest import Harness
from tests.server.conftest import bearer
from tests.server.conftest import login


async def test_health_and_readiness(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    harness.app.state.ctx.ready = False
    harness.app.state.ctx.not_ready_reason = "shutting down"
    response = await client.get("/readyz")
    assert response.status_code == 503 and response.json() == {
        "status": "unavailable",
        "reason": "shutting down",
    }


async def test_openapi_document_is_valid_and_covers_every_route(
    served: tuple[Harness, httpx.AsyncClient],
) -> None:
    from openapi_spec_validator import validate

    harness, client = served
    document = (await client.get("/openapi.json")).json()
    validate(document)
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    served_routes = {
        (route.path, method)
        for route in harness.app.routes
        for method in (route.methods or ())
        if method != "HEAD"
    }
    assert served_routes == documented
    converse = document["components"]["schemas"]["ConverseBody"]
    assert converse["additionalProperties"] is False
    assert set(converse["properties"]) == {"type", "text", "includedContexts", "metadata"}


async def test_access_log_has_route_templates_and_no_secrets(
    served: tuple[Harness, httpx.AsyncClient],
) -> None:
    harness, client = served
    await harness.add_user("ada@example.com", role="admin")
    token = await login(client, "ada@example.com")
    harness.access.clear()
    await client.post(
        "/api/v1/bots/support/converse/u1/secured?include=state",
        json={"text": "my card is 4111"},
        headers=bearer(token),
    )
    await client.post("/api/v1/bots/nobody/converse/u1", json={"text": "hi"})
    records = harness.access
    assert records[0]["path"] == "/api/v1/bots/{botId}/converse/{userId}/secured"
    assert (records[0]["method"], records[0]["status"], records[0]["bot"]) == ("POST", 200, "support")
    assert records[1]["status"] == 404 and records[1]["bot"] == "nobody"
    text = json.dumps(records)
    assert "4111" not in text and token not in text and "include=state" not in text


async def test_access_log_writes_json_lines_once_per_loop_iteration() -> None:
    stream = io.StringIO()
    log = AccessLog(stream)
    log({"method": "GET", "path": "/healthz", "status": 200})
    log({"method": "POST", "path": "/x", "status": 404})
    assert stream.getvalue() == ""
    await asyncio.sleep(0)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["logger"], line["message"], line["path"]) for line in lines] == [
        ("flowbot.server.access", "access", "/healthz"),
        ("flowbot.server.access", "access", "/x"),
    ]


async def test_access_log_lines_hold_any_field_value() -> None:
    stream = io.StringIO()
    log = AccessLog(stream)
    log({"path": "/ü", "ms": 0.05, "bot": None, "big": 2**70, "odd": object})
    await asyncio.sleep(0)
    line = json.loads(stream.getvalue())
    assert (line["path"], line["ms"], line["bot"], line["big"]) == ("/ü", 0.05, None, 2**70)
    assert line["odd"] == str(object)


async def test_access_log_timestamps_are_the_millisecond_of_each_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = io.StringIO()
    log = AccessLog(stream)
    second = 1_700_000_000
    now = iter([second + 0.0004, second + 0.0009, second + 0.0012, second + 1.5, second + 1.5004])
    monkeypatch.setattr(time, "time", lambda: next(now))
    for n in range(5):
        log({"n": n})
    await asyncio.sleep(0)
    stamps = [json.loads(line)["ts"] for line in stream.getvalue().splitlines()]
    assert stamps == [
        "2023-11-14T22:13:20.000+00:00",
        "2023-11-14T22:13:20.000+00:00",
        "2023-11-14T22:13:20.001+00:00",
        "2023-11-14T22:13:21.500+00:00",
        "2023-11-14T22:13:21.500+00:00",
    ]
