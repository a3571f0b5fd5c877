"""Login, refresh, logout and the token checks of the secured route, including the attacks:
alg none, another secret, expired, another user's bot, revoked."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import jwt

from tests.server.conftest import PASSWORD
from tests.server.conftest import Harness
from tests.server.conftest import bearer
from tests.server.conftest import login

SECURED = "/api/v1/bots/{bot}/converse/u1/secured"
ALL = "?include=nlu,state,suggestions,decision"


def secured(bot: str = "support", include: str = ALL) -> str:
    return SECURED.format(bot=bot) + include


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims(harness: Harness, email: str, **changes: Any) -> dict[str, Any]:
    now = int(harness.clock.time())
    base = {
        "email": email,
        "strategy": "default",
        "tokenVersion": 1,
        "isSuperAdmin": True,
        "iat": now,
        "exp": now + 3600,
        "aud": "collaborators",
    }
    return {**base, **changes}


async def test_login_answers_like_botpress(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    await harness.add_user("ada@example.com", role="admin")
    response = await client.post(
        "/api/v1/auth/login/basic/default", json={"email": "ADA@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "success" and body["message"] == "Login successful"
    assert body["payload"]["exp"] == 3_600_000
    token = body["payload"]["jwt"]
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    decoded = jwt.decode(
        token,
        harness.settings.appSecret.get_secret_value(),
        algorithms=["HS256"],
        audience="collaborators",
        options={"verify_exp": False},
    )
    assert decoded == claims(harness, "ada@example.com")


async def test_login_with_bad_credentials(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    await harness.add_user("ada@example.com")
    expected = {
        "statusCode": 400,
        "errorCode": "BP_0009",
        "type": "InvalidCredentialsError",
        "message": "Invalid credentials",
        "details": "",
        "docs": "https://botpress.com/docs",
    }
    for body in (
        {"email": "ada@example.com", "password": "wrong"},
        {"email": "nobody@example.com", "password": PASSWORD},
    ):
        response = await client.post("/api/v1/auth/login/basic/default", json=body)
        assert response.status_code == 400
        assert response.json() == expected
    response = await client.post("/api/v1/auth/login/basic/default", json={"email": "ada@example.com"})
    assert response.status_code == 400
    assert response.json()["message"] == 'Invalid payload: "password" is required'
    response = await client.post(
        "/api/v1/auth/login/basic/saml", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert response.status_code == 404


async def test_secured_route_returns_every_included_part(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    await harness.add_user("ada@example.com", role="admin")
    token = await login(client, "ada@example.com")
    response = await client.post(
        secured(), json={"type": "text", "text": "Hie", "includedContexts": ["global"]}, headers=bearer(token)
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["responses", "nlu", "state", "suggestions", "decision"]
    assert body["nlu"]["intent"] == {"name": "none", "confidence": 1, "context": "global"}
    assert body["state"]["__stacktrace"] == [{"flow": "main.flow.json", "node": "entry"}]
    assert body["decision"]["source"] == "decisionEngine"
    message = harness.conversations.calls[0][3]
    assert message.credentials == {"type": "collaborator", "email": "ada@example.com", "strategy": "default"}


async def test_secured_route_includes_only_what_is_asked(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    await harness.add_user("ada@example.com", role="admin")
    token = await login(client, "ada@example.com")
    response = await client.post(
        secured(include="?include=State,credentials,bogus"), json={"text": "x"}, headers=bearer(token)
    )
    assert list(response.json()) == ["responses", "state", "credentials"]
    response = await client.post(secured(include=""), json={"text": "x"}, headers=bearer(token))
    assert list(response.json()) == ["responses"]


async def test_secured_route_accepts_any_payload(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    await harness.add_user("ada@example.com", role="admin")
    token = await login(client, "ada@example.com")
    body = {
        "type": "quick_reply",
        "text": "yes",
        "payload": "YES",
        "includedContexts": ["global"],
        "metadata": {"k": 1},
    }
    response = await client.post(secured(), json=body, headers=bearer(token))
    assert response.status_code == 200
    message = harness.conversations.calls[0][3]
    assert message.payload == {"type": "quick_reply", "text": "yes", "payload": "YES"}
    assert message.metadata == {"k": 1}
    response = await client.post(secured(), json={"type": "text", "text": "x" * 361}, headers=bearer(token))
    assert response.status_code == 400


async def test_missing_and_malformed_authorization(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    cases = {
        None: "Unauthorized: Authorization header is missing",
        "Basic abc": 'Unauthorized: Unknown scheme "Basic"',
        "Bearer": "Unauthorized: Invalid authentication token",
        "Bearer not.a.jwt": "Unauthorized: Invalid authentication token",
        "Bearer " + "a" * 5000: "Unauthorized: Invalid authentication token",
    }
    for header, message in cases.items():
        headers = {"Authorization": header} if header is not None else {}
        response = await client.post(secured(), json={"text": "hi"}, headers=headers)
        assert response.status_code == 401, header
        assert response.json() == {
            "statusCode": 401,
            "errorCode": "BP_0041",
            "type": "UnauthorizedError",
            "message": message,
            "details": "",
            "docs": "https://botpress.com/docs",
        }
    assert harness.conversations.calls == []


async def test_alg_none_token_is_refused(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    await harness.add_user("ada@example.com", role="admin")
    forged = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims(harness, 'ada@example.com'))}."
    response = await client.post(secured(), json={"text": "hi"}, headers=bearer(forged))
    assert response.status_code == 401
    assert harness.conversations.calls == []


async def test_token_signed_with_another_secret_is_refused(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    await harness.add_user("ada@example.com", role="admin")
    forged = jwt.encode(
        claims(harness, "ada@example.com"), "another-secret-that-is-long-enough-for-hs256!", algorithm="HS256"
    )
    response = await client.post(secured(), json={"text": "hi"}, headers=bearer(forged))
    assert response.status_code == 401


async def test_token_with_other_algorithm_or_audience_is_refused(
    served: tuple[Harness, httpx.AsyncClient],
) -> None:
    harness, client = served
    await harness.add_user("ada@example.com", role="admin")
    secret = harness.settings.appSecret.get_secret_value()
    for token in (
        jwt.encode(claims(harness, "ada@example.com"), secret, algorithm="HS512"),
        jwt.encode(claims(harness, "ada@example.com", aud="chat_users"), secret, algorithm="HS256"),
        jwt.encode(
            {k: v for k, v in claims(harness, "ada@example.com").items() if k != "exp"},
            secret,
            algorithm="HS256",
        ),
        jwt.encode(claims(harness, "ghost@example.com"), secret, algorithm="HS256"),
    ):
        response = await client.post(secured(), json={"text": "hi"}, headers=bearer(token))
        assert response.status_code == 401


async def test_expired_token_is_refused(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    await harness.add_user("ada@example.com", role="admin")
    token = await login(client, "ada@example.com")
    harness.clock.advance(3599)
    assert (await client.post(secured(), json={"text": "hi"}, headers=bearer(token))).status_code == 200
    harness.clock.advance(1)
    response = await client.post(secured(), json={"text": "hi"}, headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["message"] == "Unauthorized: Invalid authentication token"


async def test_token_of_another_bots_user_is_forbidden(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    await harness.add_user("sales@example.com", bots=["sales"])
    token = await login(client, "sales@example.com")
    assert (
        await client.post(secured(bot="sales"), json={"text": "hi"}, headers=bearer(token))
    ).status_code == 200
    response = await client.post(secured(bot="support"), json={"text": "hi"}, headers=bearer(token))
    assert response.status_code == 403
    assert response.json() == {
        "statusCode": 403,
        "errorCode": "BP_0043",
        "type": "ForbiddenError",
        "message": 'Forbidden: no access to bot "support"',
        "details": "",
        "docs": "https://botpress.com/docs",
    }
    assert [call[1] for call in harness.conversations.calls] == ["sales"]


async def test_logout_revokes_every_token_of_the_user(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    await harness.add_user("ada@example.com", role="admin")
    first = await login(client, "ada@example.com")
    second = await login(client, "ada@example.com")
    response = await client.get("/api/v1/auth/logout", headers=bearer(first))
    assert response.status_code == 200
    for token in (first, second):
        response = await client.post(secured(), json={"text": "hi"}, headers=bearer(token))
        assert response.status_code == 401
    assert (await client.get("/api/v1/auth/refresh", headers=bearer(second))).status_code == 401
    fresh = await login(client, "ada@example.com")
    assert (await client.post(secured(), json={"text": "hi"}, headers=bearer(fresh))).status_code == 200


async def test_removed_user_token_is_refused(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    await harness.add_user("ada@example.com", role="admin")
    token = await login(client, "ada@example.com")
    await harness.store.remove_user("ada@example.com")
    assert (await client.post(secured(), json={"text": "hi"}, headers=bearer(token))).status_code == 401


async def test_refresh_issues_a_new_token(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    await harness.add_user("ada@example.com", role="admin")
    token = await login(client, "ada@example.com")
    harness.clock.advance(1800)
    response = await client.get("/api/v1/auth/refresh", headers=bearer(token))
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Token refreshed successfully"
    new_token = body["payload"]["newToken"]["jwt"]
    assert body["payload"]["newToken"]["exp"] == 3_600_000
    harness.clock.advance(1800)
    assert (await client.post(secured(), json={"text": "hi"}, headers=bearer(token))).status_code == 401
    assert (await client.post(secured(), json={"text": "hi"}, headers=bearer(new_token))).status_code == 200


async def test_refresh_disabled_sends_back_the_original(make_client: Any) -> None:
    harness, client = await make_client(
        config=json.dumps({"jwtToken": {"allowRefresh": False, "duration": "2h"}})
    )
    await harness.add_user("ada@example.com", role="admin")
    response = await client.post(
        "/api/v1/auth/login/basic/default", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert response.json()["payload"]["exp"] == 7_200_000
    token = response.json()["payload"]["jwt"]
    response = await client.get("/api/v1/auth/refresh", headers=bearer(token))
    assert response.json() == {
        "status": "success",
        "message": "Token not refreshed, sending back original",
        "payload": {"newToken": token},
    }


async def test_values_json_cannot_hold_are_written_as_javascript_does(
    served: tuple[Harness, httpx.AsyncClient],
) -> None:
    # A Python action may leave NaN or infinity in memory (float(user_text) of "nan"): the debug
    # route shows them as JSON.stringify does (null), never a 500.
    harness, client = served
    await harness.add_user("ada@example.com", role="admin")
    token = await login(client, "ada@example.com")
    answer = harness.conversations.converse

    async def converse(bot_id: str, user_id: str, message: Any, **options: Any) -> Any:
        result = await answer(bot_id, user_id, message, **options)
        result.state["temp"] = {"ratio": float("nan"), "big": float("inf"), "ok": 1.5}
        result.responses.append({"type": "custom", "value": float("-inf")})
        return result

    harness.conversations.converse = converse  # type: ignore[method-assign]
    response = await client.post(secured(include="?include=state"), json={"text": "nan"}, headers=bearer(token))
    assert response.status_code == 200
    body = response.json()
    assert body["state"]["temp"] == {"ratio": None, "big": None, "ok": 1.5}
    assert body["responses"][-1] == {"type": "custom", "value": None}
    public = await client.post("/api/v1/bots/support/converse/u2", json={"text": "nan"})
    assert public.status_code == 200 and public.json()["responses"][-1] == {"type": "custom", "value": None}
