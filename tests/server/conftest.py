"""Fixtures of the server tests: the real app on a fake conversation service, a fake clock and a
SQLite store in a temporary data folder, called in-process through httpx."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from flowbot.runtime.flow import BotConfig
from flowbot.server import create_app
from flowbot.server.auth import hash_password
from flowbot.server.auth import new_api_key
from flowbot.server.cluster import RedisCoordination
from flowbot.server.store import SqliteServerStore
from flowbot.server.store import User
from flowbot.settings import Settings
from flowbot.settings import bot_serving
from flowbot.settings import load_settings
from tests.server.fakes import FakeClock
from tests.server.fakes import FakeConversations

PASSWORD = "correct horse battery staple"

BOT_CONFIGS: dict[str, dict[str, Any]] = {
    "support": {},
    "sales": {},
    "off": {"disabled": True},
    "vault": {"private": True},
    "closed": {"converse": {"enableUnsecuredEndpoint": False}},
    "silent": {"converse": {"enabled": False}},
    "short": {"converse": {"maxMessageLength": 10}},
    "slow": {"converse": {"timeout": "200ms"}},
    "limited": {"converse": {"rateLimit": {"enabled": True, "limit": 1, "limitWindow": "1m"}}},
}


class Harness:
    def __init__(
        self, data_dir: Path, env: dict[str, str] | None = None, redis_url: str | None = None
    ) -> None:
        """``redis_url``: rate limits and proactive notifications through Redis, as ``bot serve
        --redis`` does; several harnesses on one data folder then stand for several processes."""
        self.data_dir = data_dir
        self.settings: Settings = load_settings(data_dir, env or {})
        self.conversations = FakeConversations()
        self.clock = FakeClock()
        self.store = SqliteServerStore(data_dir / "flowbot.sqlite")
        bots = {
            bot_id: bot_serving(self.settings, bot_id, BotConfig.model_validate(cfg))
            for bot_id, cfg in BOT_CONFIGS.items()
        }
        self.access: list[dict[str, Any]] = []
        self.redis = RedisCoordination(redis_url) if redis_url else None
        self.app: Starlette = create_app(
            self.settings,
            self.conversations,
            bots,
            self.store,
            clock=self.clock,
            access_log=self.access.append,
            limiter=self.redis.limiter if self.redis else None,
            notifier=self.redis.notifier if self.redis else None,
            resources=[self.redis] if self.redis else (),
        )

    async def add_user(self, email: str, role: str = "user", bots: list[str] | None = None) -> User:
        user = User(email=email, password_hash=hash_password(PASSWORD), role=role, bots=bots or [])  # type: ignore[arg-type]
        await self.store.add_user(user)
        return user

    async def add_key(self, bot_id: str, name: str = "test") -> str:
        created = new_api_key(bot_id, name, self.clock.time())
        await self.store.add_api_key(created.record)
        return created.secret


HarnessFactory = Callable[..., Any]


@pytest.fixture
async def make_client(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """``await make_client(env={...}, config={...})`` -> (harness, client); lifespans end at teardown."""
    stack: list[Any] = []

    async def factory(
        env: dict[str, str] | None = None, config: str | None = None
    ) -> tuple[Harness, httpx.AsyncClient]:
        data_dir = tmp_path / f"data{len(stack)}"
        data_dir.mkdir()
        if config is not None:
            (data_dir / "flowbot.config.json").write_text(config)
        harness = Harness(data_dir, env)
        lifespan = harness.app.router.lifespan_context(harness.app)
        await lifespan.__aenter__()
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=harness.app), base_url="http://testserver"
        )
        stack.append((lifespan, client))
        return harness, client

    yield factory
    for lifespan, client in reversed(stack):
        await client.aclose()
        await lifespan.__aexit__(None, None, None)


@pytest.fixture
async def served(make_client: Callable[..., Any]) -> tuple[Harness, httpx.AsyncClient]:
    result: tuple[Harness, httpx.AsyncClient] = await make_client()
    return result


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    response = await client.post(
        "/api/v1/auth/login/basic/default", json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["payload"]["jwt"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def gather(*aws: Any) -> list[Any]:
    return list(await asyncio.gather(*aws))
