"""``bot users`` and ``bot keys``: passwords from stdin only, keys shown once, clear errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner

from flowbot.cli import cli
from flowbot.server.auth import api_key_matches
from flowbot.server.auth import verify_password
from flowbot.server.store import SqliteServerStore


def run(data_dir: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*args, "--data-dir", str(data_dir)], input=stdin)
    return result.exit_code, result.output


async def _store(data_dir: Path) -> SqliteServerStore:
    store = SqliteServerStore(data_dir.resolve() / "flowbot.sqlite")
    await store.open()
    return store


def test_users_add_list_remove(tmp_path: Path) -> None:
    code, out = run(tmp_path, "users", "add", "Ada@Example.com", "--role", "admin", stdin="s3cret-password\n")
    assert code == 0, out
    assert "added ada@example.com (admin)" in out
    assert "s3cret-password" not in out
    code, out = run(
        tmp_path, "users", "add", "bob@example.com", "--bots", "support, sales", stdin="another-password\n"
    )
    assert code == 0, out

    async def check() -> None:
        store = await _store(tmp_path)
        user = await store.get_user("ada@example.com")
        assert user is not None and verify_password(user.password_hash, "s3cret-password")
        bob = await store.get_user("bob@example.com")
        assert bob is not None and bob.bots == ["support", "sales"]
        await store.close()

    asyncio.run(check())
    code, out = run(tmp_path, "users", "list")
    assert "ada@example.com\tadmin\tall bots" in out and "bob@example.com\tuser\tsupport, sales" in out
    assert "$argon2" not in out
    assert run(tmp_path, "users", "remove", "bob@example.com")[0] == 0
    code, out = run(tmp_path, "users", "remove", "bob@example.com")
    assert code == 1 and "no user bob@example.com" in out


def test_users_add_refuses_bad_input(tmp_path: Path) -> None:
    code, out = run(tmp_path, "users", "add", "ada@example.com", stdin="long-enough-password\n")
    assert code == 1 and "a user needs --bots" in out
    code, out = run(tmp_path, "users", "add", "ada@example.com", "--role", "admin", stdin="short\n")
    assert code == 1 and "at least 8 characters" in out
    code, out = run(
        tmp_path, "users", "add", "not-an-email", "--role", "admin", stdin="long-enough-password\n"
    )
    assert code == 1 and "is not an email address" in out
    run(tmp_path, "users", "add", "ada@example.com", "--role", "admin", stdin="long-enough-password\n")
    code, out = run(
        tmp_path, "users", "add", "ada@example.com", "--role", "admin", stdin="long-enough-password\n"
    )
    assert code == 1 and "already exists" in out
    # There is no password option: a password never appears in the command line.
    code, out = run(tmp_path, "users", "add", "x@example.com", "--password", "p")
    assert code == 2


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["keys", "create", "support", "--name", "crm", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("fbk_")
    key_id = key.split("_")[1]

    async def check() -> None:
        store = await _store(tmp_path)
        record = await store.get_api_key(key_id)
        assert record is not None and record.bot_id == "support" and api_key_matches(record, key)
        await store.close()

    asyncio.run(check())
    code, out = run(tmp_path, "keys", "list")
    assert f"{key_id}\tsupport\tcrm" in out and key.split("_", 2)[2] not in out
    assert run(tmp_path, "keys", "revoke", key_id)[0] == 0
    code, out = run(tmp_path, "keys", "revoke", key_id)
    assert code == 1 and f"no API key {key_id}" in out


def test_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "flowbot.config.json").write_text('{"converse": {"timeout": "never"}}')
    code, out = run(tmp_path, "users", "list")
    assert code == 1 and "converse.timeout" in out and "Traceback" not in out
