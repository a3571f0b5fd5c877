"""Rate limits per user id and per client address: 429 with Retry-After, and recovery."""

from __future__ import annotations

import json
from typing import Any

from flowbot.server.ratelimit import TokenBucketLimiter
from tests.server.fakes import FakeClock

PUBLIC = "/api/v1/bots/support/converse/{user}"


async def test_per_user_limit(make_client: Any) -> None:
    config = {"converse": {"rateLimit": {"enabled": True, "limit": 3, "limitWindow": "30s"}}}
    harness, client = await make_client(config=json.dumps(config))
    for _ in range(3):
        assert (await client.post(PUBLIC.format(user="alice"), json={"text": "hi"})).status_code == 200
    response = await client.post(PUBLIC.format(user="alice"), json={"text": "hi"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "10"
    assert response.json()["type"] == "TooManyRequestsError"
    assert response.json()["message"] == "Too many requests, please try again later."
    # Another user of the same bot is not affected.
    assert (await client.post(PUBLIC.format(user="bob"), json={"text": "hi"})).status_code == 200
    # One token comes back every 10 s.
    harness.clock.advance(10)
    assert (await client.post(PUBLIC.format(user="alice"), json={"text": "hi"})).status_code == 200
    assert (await client.post(PUBLIC.format(user="alice"), json={"text": "hi"})).status_code == 429
    assert harness.conversations.turns[("support", "alice")] == 4


async def test_per_address_limit_covers_every_api_route(make_client: Any) -> None:
    config = {"httpServer": {"rateLimit": {"enabled": True, "limit": 2, "limitWindow": "1m"}}}
    _, client = await make_client(config=json.dumps(config))
    assert (await client.post(PUBLIC.format(user="a"), json={"text": "hi"})).status_code == 200
    assert (await client.post(PUBLIC.format(user="b"), json={"text": "hi"})).status_code == 200
    response = await client.post(
        "/api/v1/auth/login/basic/default", json={"email": "x@example.com", "password": "p"}
    )
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    # Health checks are not rate limited.
    assert (await client.get("/healthz")).status_code == 200


async def test_rate_limit_from_the_environment(make_client: Any) -> None:
    _, client = await make_client(
        env={"FLOWBOT_CONVERSE__RATE_LIMIT__ENABLED": "true", "FLOWBOT_CONVERSE__RATE_LIMIT__LIMIT": "1"}
    )
    assert (await client.post(PUBLIC.format(user="a"), json={"text": "hi"})).status_code == 200
    assert (await client.post(PUBLIC.format(user="a"), json={"text": "hi"})).status_code == 429


async def test_bot_level_rate_limit(make_client: Any) -> None:
    _, client = await make_client()
    limited = "/api/v1/bots/limited/converse/a"
    assert (await client.post(limited, json={"text": "hi"})).status_code == 200
    response = await client.post(limited, json={"text": "hi"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
    assert (await client.post(PUBLIC.format(user="a"), json={"text": "hi"})).status_code == 200


async def test_token_bucket_allows_bursts_then_the_sustained_rate() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(clock)
    decisions = [await limiter.hit("k", 5, 10.0) for _ in range(6)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert decisions[-1].retry_after == 2.0
    clock.advance(1.0)
    assert not (await limiter.hit("k", 5, 10.0)).allowed
    clock.advance(1.0)
    assert (await limiter.hit("k", 5, 10.0)).allowed


async def test_token_bucket_forgets_idle_keys() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(clock, max_keys=10)
    for n in range(10):
        await limiter.hit(f"k{n}", 2, 1.0)
    clock.advance(5)
    await limiter.hit("new", 2, 1.0)
    assert len(limiter._buckets) == 1  # the table is the point of the test
