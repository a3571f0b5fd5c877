"""Fixtures shared by the whole suite."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _find_shared() -> Path:
    # next to the checkout (/work/main), or one level up for a git worktree (/work/wt/<name>)
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared").is_dir():
            return base / "shared"
    return ROOT.parent / "shared"


SHARED = _find_shared()
COMPAT = SHARED / "compat" / "botpress-v12"


@pytest.fixture(autouse=True)
def _clean_flowbot_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees FLOWBOT_* settings from the developer's shell (the test-service URLs excepted)."""
    keep = {"FLOWBOT_TEST_POSTGRES_URL", "FLOWBOT_TEST_REDIS_URL", "FLOWBOT_REQUIRE_SHARED"}
    for name in list(os.environ):
        if name.startswith("FLOWBOT_") and name not in keep:
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def _tools_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("xdg-cache")


@pytest.fixture(autouse=True)
def _private_tools_cache(monkeypatch: pytest.MonkeyPatch, _tools_cache: Path) -> None:
    """The tools' cache (trained NLU models of `bot test` and `bot chat`) goes to a folder of the
    test session, never to the developer's ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(_tools_cache))


def shared_path(*parts: str) -> Path:
    """A path under ../shared; skips the test when it is absent, fails when FLOWBOT_REQUIRE_SHARED=1."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("FLOWBOT_REQUIRE_SHARED") == "1":
            pytest.fail(f"{path} is required (FLOWBOT_REQUIRE_SHARED=1) but absent")
        pytest.skip(f"{path} is absent (the shared reference folder is not checked out)")
    return path


@pytest.fixture
def compat_bots() -> Path:
    """The real Botpress v12 bots of ../shared/compat/botpress-v12."""
    return shared_path("compat", "botpress-v12")


def service_url(name: str) -> str:
    """A test-service URL (FLOWBOT_TEST_POSTGRES_URL / FLOWBOT_TEST_REDIS_URL), or skip with the reason."""
    url = os.environ.get(name)
    if not url:
        pytest.skip(f"{name} is not set: this test needs the service (.ci/run sets it)")
    return url


def _in_a_thread(coro_factory: Any) -> None:
    # asyncio.run on its own thread: never inside (or beside) the event loop of pytest-asyncio
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(coro_factory())
        except BaseException as exc:  # reported to the caller
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """FLOWBOT_TEST_POSTGRES_URL with a fresh schema of its own (``?schema=flowbot_test_<random>``),
    dropped at teardown, so that tests and runs sharing the server never see each other's rows."""
    import asyncpg

    base = service_url("FLOWBOT_TEST_POSTGRES_URL")
    schema = f"flowbot_test_{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}schema={schema}&pool_max=4"

    async def drop() -> None:
        connection = await asyncpg.connect(base)
        try:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await connection.close()

    _in_a_thread(drop)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """FLOWBOT_TEST_REDIS_URL with a fresh key prefix (``?prefix=flowbot_test_<random>``); the
    prefix's keys are deleted at teardown."""
    import redis.asyncio as redis

    base = service_url("FLOWBOT_TEST_REDIS_URL")
    prefix = f"flowbot_test_{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}prefix={prefix}"

    async def clean() -> None:
        client = redis.Redis.from_url(base)
        try:
            keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()

    _in_a_thread(clean)
