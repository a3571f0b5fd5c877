"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

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
