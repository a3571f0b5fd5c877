"""``app_from_spec``, as each ``bot serve`` worker builds its app: the store and Redis named by
``--store``/``--redis`` are the ones used, and what the janitor's timeout flows say reaches the
user's outbox (or stream)."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import httpx
import pytest

from flowbot.runtime.conversation import TurnResult
from flowbot.server.cluster import RedisRateLimiter
from flowbot.server.gctuning import OLDER_THRESHOLDS
from flowbot.server.gctuning import YOUNG_THRESHOLD
from flowbot.server import main
from flowbot.server.main import ServeSpec
from flowbot.server.main import app_from_spec
from flowbot.server.store import SqliteServerStore
from flowbot.server.store.postgres import PostgresServerStore
from flowbot.server.auth import hash_password
from flowbot.server.store import User
from tests.server.conftest import PASSWORD
from tests.server.conftest import bearer
from tests.server.conftest import login
from tests.server.test_multiprocess import write_counter_bot


async def test_a_worker_app_on_postgres_and_redis(tmp_path: Path, postgres_url: str, redis_url: str) -> None:
    bot = write_counter_bot(tmp_path / "bots")
    spec = ServeSpec(
        data_dir=tmp_path / "data", bots={"counter": bot}, workers=2, store=postgres_url, redis=redis_url
    )
    app = app_from_spec(spec, environ={})
    ctx = app.state.ctx
    assert isinstance(ctx.store, PostgresServerStore) and isinstance(ctx.limiter, RedisRateLimiter)
    assert ctx.settings.database_url == postgres_url and ctx.settings.redis.url == redis_url
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            answer = await client.post("/api/v1/bots/counter/converse/ann", json={"text": "hi"})
            assert answer.json()["responses"] == [{"type": "text", "text": "1 hi"}]
            # the janitor's proactive sink is wired to the hub: no stream, so the outbox
            await ctx.conversations.on_proactive(
                "counter", "ann", TurnResult(responses=[{"type": "text", "text": "late"}])
            )
            answer = await client.post("/api/v1/bots/counter/converse/ann", json={"text": "again"})
            assert [r["text"] for r in answer.json()["responses"]] == ["late", "2 again"]


async def test_a_worker_tunes_the_garbage_collector_until_it_stops(tmp_path: Path) -> None:
    # Full collections must not walk the bots, models and modules at every pass (the p99 tail),
    # and young collections must not run several times per request.
    bot = write_counter_bot(tmp_path / "bots")
    app = app_from_spec(ServeSpec(data_dir=tmp_path / "data", bots={"counter": bot}), environ={})
    thresholds = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            answer = await client.post("/api/v1/bots/counter/converse/ann", json={"text": "hi"})
            assert answer.json()["responses"] == [{"type": "text", "text": "1 hi"}]
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds


async def test_one_worker_on_sqlite_owns_the_outbox(tmp_path: Path) -> None:
    # A lone worker answers the outbox check from memory; with several, any of them may store.
    bot = write_counter_bot(tmp_path / "bots")
    for workers, alone in ((1, True), (2, False)):
        spec = ServeSpec(data_dir=tmp_path / f"data{workers}", bots={"counter": bot}, workers=workers)
        store = app_from_spec(spec, environ={}).state.ctx.store
        assert isinstance(store, SqliteServerStore) and store.alone is alone
    app = app_from_spec(ServeSpec(data_dir=tmp_path / "data1", bots={"counter": bot}), environ={})
    ctx = app.state.ctx
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await ctx.conversations.on_proactive(
                "counter", "ann", TurnResult(responses=[{"type": "text", "text": "late"}])
            )
            answer = await client.post("/api/v1/bots/counter/converse/ann", json={"text": "hi"})
            assert [r["text"] for r in answer.json()["responses"]] == ["late", "1 hi"]


def test_a_worker_without_runtime_does_not_own_the_outbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing holds the file then: another server may serve it and store messages.
    monkeypatch.setattr(main, "build_conversations", lambda *a, **k: main.UnavailableConversations("broken"))
    bot = write_counter_bot(tmp_path / "bots")
    app = app_from_spec(ServeSpec(data_dir=tmp_path / "data", bots={"counter": bot}), environ={})
    store = app.state.ctx.store
    assert isinstance(store, SqliteServerStore) and not store.alone


async def test_a_lone_surrogate_on_the_secured_route_is_a_turn_like_any_other(tmp_path: Path) -> None:
    # JSON may escape half of a UTF-16 pair ("\ud800"); JavaScript keeps it. It reaches memory
    # (lastMessages, the bot's reply) and the debug answer: stored and answered escaped, not a 500.
    bot = write_counter_bot(tmp_path / "bots")
    app = app_from_spec(ServeSpec(data_dir=tmp_path / "data", bots={"counter": bot}), environ={})
    ctx = app.state.ctx
    async with app.router.lifespan_context(app):
        user = User(email="ada@example.com", password_hash=hash_password(PASSWORD), role="admin", bots=[])
        await ctx.store.add_user(user)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            token = await login(client, "ada@example.com")
            secured = "/api/v1/bots/counter/converse/ann/secured?include=state"
            body = '{"text": "\\ud800 hi"}'
            for count in (1, 2):
                answer = await client.post(
                    secured, content=body, headers={**bearer(token), "content-type": "application/json"}
                )
                assert answer.status_code == 200, answer.text
                read = json.loads(answer.content)
                assert read["responses"] == [{"type": "text", "text": f"{count} \ud800 hi"}]
                assert read["state"]["session"]["lastMessages"][-1]["incomingPreview"] == "\ud800 hi"
