"""``bot db upgrade`` / ``bot db status`` on SQLite and PostgreSQL, and what ``bot serve`` refuses
before starting any worker (a store that cannot be shared or reached, a Redis that does not answer)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from flowbot.cli import cli


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'flowbot.sqlite'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def test_status_then_upgrade_then_status(store_url: str, tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    code, out = run("db", "status", "--store", store_url, "--data-dir", data)
    assert code == 1, out
    assert "runtime: version 0 of 1; pending: 1 conversations and bot memory" in out
    assert "server: version 0 of 1; pending: 1 users, API keys, outbox" in out
    code, out = run("db", "upgrade", "--store", store_url, "--data-dir", data)
    assert code == 0, out
    assert (
        "applied runtime:1 conversations and bot memory" in out and "up to date (2 migrations applied)" in out
    )
    code, out = run("db", "upgrade", "--store", store_url, "--data-dir", data)
    assert code == 0 and out.strip().endswith(": up to date"), out
    code, out = run("db", "status", "--store", store_url, "--data-dir", data)
    assert code == 0, out
    assert "runtime: version 1 of 1" in out and "pending" not in out


def test_the_default_store_is_sqlite_in_the_data_folder(tmp_path: Path) -> None:
    code, out = run("db", "upgrade", "--data-dir", str(tmp_path))
    assert code == 0, out
    assert (tmp_path / "flowbot.sqlite").exists()


def test_bad_urls_are_clear_errors(tmp_path: Path) -> None:
    code, out = run("db", "status", "--store", "mysql://db/x", "--data-dir", str(tmp_path))
    assert code == 1 and "Error: unknown store 'mysql://db/x'" in out
    code, out = run(
        "db", "status", "--store", "postgresql://u:secret@127.0.0.1:9/x", "--data-dir", str(tmp_path)
    )
    assert code == 1 and "cannot connect to postgresql://u:***@127.0.0.1:9/x" in out
    assert "secret" not in out
    code, out = run("db", "status", "--store", "postgresql://h/x?pool_max=0", "--data-dir", str(tmp_path))
    assert code == 1 and "pool_max='0': must be at least 1" in out


def test_serve_refuses_what_cannot_work_before_starting(tmp_path: Path, compat_bots: Path) -> None:
    data = str(tmp_path / "data")
    code, out = run("serve", str(compat_bots), "--workers", "2", "--store", "memory://", "--data-dir", data)
    assert code == 1 and "the memory store lives in one process" in out
    code, out = run("serve", str(compat_bots), "--workers", "many", "--data-dir", data)
    assert code == 2 and "'many' is not a number of workers" in out
    code, out = run("serve", str(compat_bots), "--store", "postgresql://127.0.0.1:9/x", "--data-dir", data)
    assert code == 1 and "Error: cannot use the store postgresql://127.0.0.1:9/x" in out
    code, out = run("serve", str(compat_bots), "--redis", "redis://127.0.0.1:9/0", "--data-dir", data)
    assert code == 1 and "Error: cannot reach Redis at redis://127.0.0.1:9/0" in out


def test_workers_auto_is_one_per_core_this_process_may_use() -> None:
    from flowbot.cli.serve import WORKERS
    from flowbot.cli.serve import cores

    assert WORKERS.convert("auto", None, None) == cores() >= 1
    assert WORKERS.convert("3", None, None) == 3
