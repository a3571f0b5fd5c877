"""The public and secured converse routes: shapes, validation, Botpress's errors and check order."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
import pytest

from tests.server.conftest import Harness
from tests.server.conftest import bearer
from tests.server.conftest import login

PUBLIC = "/api/v1/bots/{bot}/converse/{user}"
DOCS = "https://botpress.com/docs"


def url(bot: str = "support", user: str = "u1", suffix: str = "") -> str:
    return PUBLIC.format(bot=bot, user=user) + suffix


def error(status: int, type_: str, message: str, code: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"statusCode": status}
    if code is not None:
        body["errorCode"] = code
    body.update({"type": type_, "message": message, "details": "", "docs": DOCS})
    return body


async def test_public_route_answers_responses_only(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    response = await client.post(
        url(),
        json={"type": "text", "text": "hello", "includedContexts": ["global", "x"], "metadata": {"a": 1}},
    )
    assert response.status_code == 200
    assert response.json() == {
        "responses": [
            {"type": "typing", "value": True},
            {"type": "text", "markdown": True, "text": "support/u1: hello"},
        ]
    }
    kind, bot, user, message = harness.conversations.calls[0]
    assert (kind, bot, user) == ("converse", "support", "u1")
    assert message.payload == {"type": "text", "text": "hello"}
    assert message.included_contexts == ["global", "x"]
    assert message.metadata == {"a": 1}
    assert message.credentials is None


async def test_public_route_defaults_type_and_contexts(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    response = await client.post(url(), json={"text": "hi"})
    assert response.status_code == 200
    message = harness.conversations.calls[0][3]
    assert message.payload == {"type": "text", "text": "hi"}
    assert message.included_contexts == ["global"]


async def test_public_include_responses_is_allowed_in_any_case(
    served: tuple[Harness, httpx.AsyncClient],
) -> None:
    _, client = served
    response = await client.post(url(suffix="?include=RESPONSES"), json={"text": "hi"})
    assert response.status_code == 200


async def test_public_include_other_parts_is_refused_as_text(
    served: tuple[Harness, httpx.AsyncClient],
) -> None:
    harness, client = served
    response = await client.post(url(suffix="?include=nlu,state"), json={"text": "hi"})
    assert response.status_code == 403
    assert response.text == 'Unauthenticated converse API can only return "responses"'
    assert response.headers["content-type"].startswith("text/plain")
    assert harness.conversations.calls == []


async def test_unknown_fields_are_rejected_on_the_public_route(
    served: tuple[Harness, httpx.AsyncClient],
) -> None:
    _, client = served
    response = await client.post(url(), json={"type": "text", "text": "hi", "payload": {"x": 1}})
    assert response.status_code == 400
    assert response.json() == error(400, "StandardError", 'Invalid payload: "payload" is not allowed')


async def test_payload_errors_read_like_joi(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    cases = {
        json.dumps({}): '"text" is required',
        json.dumps({"type": "quick_reply", "text": "a"}): '"type" must be one of [text]',
        json.dumps({"text": 12}): '"text" must be a string',
        json.dumps({"text": ""}): '"text" is not allowed to be empty',
        json.dumps({"text": "a", "includedContexts": "global"}): '"includedContexts" must be an array',
        json.dumps({"text": "a", "metadata": [1]}): '"metadata" must be an object',
        json.dumps(["text"]): '"value" must be an object',
        "": '"text" is required',
    }
    for body, message in cases.items():
        response = await client.post(url(), content=body, headers={"content-type": "application/json"})
        assert response.status_code == 400, body
        assert response.json()["message"] == f"Invalid payload: {message}", body
        assert response.json()["type"] == "StandardError"
    assert harness.conversations.calls == []


async def test_malformed_json_is_a_400_not_a_500(served: tuple[Harness, httpx.AsyncClient]) -> None:
    _, client = served
    for body in [b'{"text": "hi"', b"{'text': 'hi'}", b'{"text": NaN}', b"\xff\xfe{}", b"[" * 100_000]:
        response = await client.post(url(), content=body, headers={"content-type": "application/json"})
        assert response.status_code == 400, body[:20]
        payload = response.json()
        assert payload["type"] == "entity.parse.failed"
        assert payload["message"].startswith("Invalid JSON")
        assert "Traceback" not in response.text


async def test_bodies_read_the_same_whichever_json_parser_takes_them(
    served: tuple[Harness, httpx.AsyncClient],
) -> None:
    # orjson reads bodies first; what it refuses (integers past 64 bits, escaped lone
    # surrogates) must still read as Python's json reads it.
    harness, client = served
    body = '{"text": "hi", "metadata": {"big": %d, "odd": "\\ud800", "f": 1.5, "e": "\u00e9"}}' % 2**70
    response = await client.post(url(), content=body.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 200
    metadata = harness.conversations.calls[-1][3].metadata
    assert metadata == {"big": 2**70, "odd": "\ud800", "f": 1.5, "e": "\u00e9"}


async def test_huge_bodies_are_refused_with_413(make_client: Any) -> None:
    harness, client = await make_client(config=json.dumps({"httpServer": {"bodyLimit": "1kb"}}))
    big = json.dumps({"text": "hi", "metadata": {"blob": "x" * 2000}})
    response = await client.post(url(), content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json() == error(413, "entity.too.large", "request entity too large")

    async def chunks() -> Any:
        # No content-length: the limit still holds while the body streams in.
        for _ in range(10):
            yield b"x" * 500

    response = await client.post(url(), content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert harness.conversations.calls == []


async def test_text_over_max_message_length(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    assert (await client.post(url(), json={"text": "x" * 360})).status_code == 200
    response = await client.post(url(), json={"text": "x" * 361})
    assert response.status_code == 400
    assert response.json() == error(
        400, "InvalidParameterError", "Text must be a valid string of less than 360 chars"
    )
    # The bot's converse block overrides the global limit.
    response = await client.post(url(bot="short"), json={"text": "x" * 11})
    assert response.json()["message"] == "Text must be a valid string of less than 10 chars"
    assert len(harness.conversations.calls) == 1


async def test_unicode_is_counted_as_javascript_counts_it(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    # 5 emoji are 10 UTF-16 code units: exactly the limit of the "short" bot.
    response = await client.post(url(bot="short", user="ünï/cødé".replace("/", "")), json={"text": "😀" * 5})
    assert response.status_code == 200
    assert response.json()["responses"][1]["text"] == "short/ünïcødé: " + "😀" * 5
    response = await client.post(url(bot="short"), json={"text": "😀" * 5 + "a"})
    assert response.status_code == 400
    response = await client.post(url(), json={"text": "日本語のテキスト\u0000\u202e"})
    assert response.status_code == 200
    assert harness.conversations.calls[-1][3].payload["text"] == "日本語のテキスト\u0000\u202e"


async def test_unknown_and_disabled_bots_are_404(served: tuple[Harness, httpx.AsyncClient]) -> None:
    _, client = served
    response = await client.post(url(bot="nobody"), json={"text": "hi"})
    assert response.status_code == 404
    assert response.json() == error(404, "NotFoundError", "Not Found: Invalid Bot ID", "BP_0044")
    response = await client.post(url(bot="off"), json={"text": "hi"})
    assert response.json() == error(404, "NotFoundError", "Not Found: Bot is disabled", "BP_0044")


async def test_bot_check_comes_before_payload_validation(served: tuple[Harness, httpx.AsyncClient]) -> None:
    _, client = served
    response = await client.post(url(bot="nobody"), json={"bad": 1})
    assert response.status_code == 404


async def test_disabled_public_endpoint_of_one_bot(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    response = await client.post(url(bot="closed"), json={"text": "hi"})
    assert response.status_code == 403
    assert response.text == "Unauthenticated Converse API is disabled for closed"
    # The secured route of that bot still works.
    await harness.add_user("admin@example.com", role="admin")
    token = await login(client, "admin@example.com")
    response = await client.post(
        url(bot="closed", suffix="/secured"), json={"text": "hi"}, headers=bearer(token)
    )
    assert response.status_code == 200


async def test_disabled_public_endpoint_for_all_bots(make_client: Any) -> None:
    _, client = await make_client(env={"FLOWBOT_CONVERSE__ENABLE_UNSECURED_ENDPOINT": "false"})
    response = await client.post(url(), json={"text": "hi"})
    assert response.status_code == 403
    assert response.text == "Unauthenticated Converse API is disabled for all bots"


async def test_converse_switched_off_for_a_bot(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    await harness.add_user("admin@example.com", role="admin")
    token = await login(client, "admin@example.com")
    for suffix in ("", "/secured"):
        response = await client.post(
            url(bot="silent", suffix=suffix), json={"text": "hi"}, headers=bearer(token)
        )
        assert response.status_code == 403
        assert response.text == "Converse API is disabled for silent"
    response = await client.get(url(bot="silent", suffix="/stream"), headers=bearer(token))
    assert response.status_code == 403
    assert harness.conversations.calls == []


async def test_private_bot_needs_a_token_even_on_the_public_route(
    served: tuple[Harness, httpx.AsyncClient],
) -> None:
    harness, client = served
    response = await client.post(url(bot="vault"), json={"text": "hi"})
    assert response.status_code == 401
    assert response.json()["message"] == "Unauthorized: Authorization header is missing"
    await harness.add_user("vault@example.com", bots=["vault"])
    token = await login(client, "vault@example.com")
    response = await client.post(url(bot="vault"), json={"text": "hi"}, headers=bearer(token))
    assert response.status_code == 200


async def test_overlong_user_id_is_refused(served: tuple[Harness, httpx.AsyncClient]) -> None:
    _, client = served
    response = await client.post(url(user="u" * 256), json={"text": "hi"})
    assert response.status_code == 400
    assert response.json()["type"] == "BadRequestError"
    assert (await client.post(url(user="u" * 255), json={"text": "hi"})).status_code == 200


async def test_wrong_method_and_unknown_route(served: tuple[Harness, httpx.AsyncClient]) -> None:
    _, client = served
    response = await client.get(url())
    assert response.status_code == 405
    assert response.json()["statusCode"] == 405
    response = await client.post("/api/v1/bots/support/unknown", json={})
    assert response.status_code == 404
    assert response.json()["type"] == "NotFoundError"


async def test_a_crash_in_the_runtime_is_a_json_500_without_internals(
    served: tuple[Harness, httpx.AsyncClient],
) -> None:
    harness, client = served
    harness.conversations.error = RuntimeError("secret internal detail /etc/passwd")
    response = await client.post(url(), json={"text": "hi"})
    assert response.status_code == 500
    body = response.json()
    assert body["type"] == "InternalServerError"
    assert body["errorCode"] == "BP_0050"
    assert "secret" not in response.text and "Traceback" not in response.text


async def test_a_runtime_refusal_is_a_400(served: tuple[Harness, httpx.AsyncClient]) -> None:
    from flowbot.errors import FlowbotError

    harness, client = served
    harness.conversations.error = FlowbotError("the bot cannot take this message")
    response = await client.post(url(), json={"text": "hi"})
    assert response.status_code == 400
    assert response.json()["message"] == "Bad Request: the bot cannot take this message"


async def test_converse_timeout_answers_botpress_error(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    harness.conversations.delay = 0.5
    response = await client.post(url(bot="slow"), json={"text": "hi"})
    assert response.status_code == 400
    assert response.json() == error(400, "Error", "Request timed out.")


async def test_concurrent_requests_of_one_user_never_mix(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    harness.conversations.delay = 0.01

    async def send(user: str, n: int) -> tuple[str, int, Any]:
        response = await client.post(url(user=user), json={"text": f"message {n}"})
        return user, n, response

    results = await asyncio.gather(*(send(user, n) for user in ("alice", "bob") for n in range(8)))
    for user, n, response in results:
        assert response.status_code == 200
        texts = [r["text"] for r in response.json()["responses"] if r["type"] == "text"]
        assert texts == [f"support/{user}: message {n}"]
    assert harness.conversations.turns == {("support", "alice"): 8, ("support", "bob"): 8}


@pytest.mark.parametrize(
    "path", ["/api/v1/bots/support/converse/ann", "/api/v1/bots/support/converse/ann/secured"]
)
async def test_a_client_that_goes_away_mid_body_is_no_error(
    served: tuple[Harness, httpx.AsyncClient], path: str, caplog: pytest.LogCaptureFixture
) -> None:
    harness, _ = served
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"40"),
                    (b"authorization", b"Bearer x")],
        "client": ("127.0.0.1", 5000), "server": ("testserver", 80), "state": {},
    }  # fmt: skip
    messages = [
        {"type": "http.request", "body": b'{"text": "h', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return messages.pop(0)

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    with caplog.at_level(logging.INFO, "flowbot.server.error"):
        await harness.app(scope, receive, send)
    assert sent == []  # nobody to answer
    assert harness.access[-1]["status"] == 499
    assert "client went away" in caplog.text and "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
