"""API keys: per-bot, long-lived, sent as X-API-Key; only a hash is stored."""

from __future__ import annotations

import httpx

from tests.server.conftest import Harness

SECURED = "/api/v1/bots/{bot}/converse/u1/secured?include=state,credentials"


async def test_api_key_opens_the_secured_route_of_its_bot(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    key = await harness.add_key("support", name="crm")
    response = await client.post(
        SECURED.format(bot="support"), json={"text": "hi"}, headers={"X-API-Key": key}
    )
    assert response.status_code == 200
    credentials = response.json()["credentials"]
    assert (
        credentials["type"] == "apiKey" and credentials["name"] == "crm" and credentials["botId"] == "support"
    )
    assert key not in response.text


async def test_api_key_of_another_bot_is_forbidden(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    key = await harness.add_key("sales")
    response = await client.post(
        SECURED.format(bot="support"), json={"text": "hi"}, headers={"X-API-Key": key}
    )
    assert response.status_code == 403
    assert harness.conversations.calls == []


async def test_wrong_revoked_or_malformed_keys_are_401(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    key = await harness.add_key("support")
    prefix, key_id, secret = key.split("_", 2)
    tampered = f"{prefix}_{key_id}_{'A' if secret[0] != 'A' else 'B'}{secret[1:]}"
    for presented in (tampered, "fbk_nope_nope", "garbage", ""):
        response = await client.post(
            SECURED.format(bot="support"), json={"text": "hi"}, headers={"X-API-Key": presented}
        )
        assert response.status_code == 401, presented
        assert response.json()["message"] == "Unauthorized: Invalid API key"
    assert await harness.store.revoke_api_key(key_id)
    response = await client.post(
        SECURED.format(bot="support"), json={"text": "hi"}, headers={"X-API-Key": key}
    )
    assert response.status_code == 401


async def test_only_a_hash_of_the_key_is_stored(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, _ = served
    key = await harness.add_key("support")
    raw = (harness.data_dir / "flowbot.sqlite").read_bytes()
    for suffix in ("-wal",):
        wal = harness.data_dir / f"flowbot.sqlite{suffix}"
        if wal.exists():
            raw += wal.read_bytes()
    secret = key.split("_", 2)[2]
    assert secret.encode() not in raw
    [record] = await harness.store.list_api_keys()
    assert record.secret_hash != key and len(record.secret_hash) == 64


async def test_api_key_does_not_log_in_or_refresh(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    key = await harness.add_key("support")
    response = await client.get("/api/v1/auth/refresh", headers={"X-API-Key": key})
    assert response.status_code == 401
