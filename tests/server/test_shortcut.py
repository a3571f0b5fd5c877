"""The middleware's shortcut for the public converse POST answers exactly as Starlette's router does:
the same status, headers, body and access-log fields for every kind of request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.routing import Router

from flowbot.server.routes.converse import PublicConverseShortcut
from tests.server.conftest import Harness
from tests.server.conftest import bearer
from tests.server.conftest import login

PUBLIC = "/api/v1/bots/{bot}/converse/{user}"
PREFIX = "/mounted"

# (method, path, body bytes, extra headers): every check of the public route, in Botpress's order
U1 = PUBLIC.format(bot="support", user="u1")
CASES: list[tuple[str, str, bytes, dict[str, str]]] = [
    ("POST", U1, b'{"type":"text","text":"hi"}', {}),
    ("POST", U1, b'{"text":"hi","includedContexts":["a"],"metadata":{"b":1}}', {}),
    ("POST", U1, b"", {}),
    ("POST", U1, b"   ", {}),
    ("POST", U1, b"{not json", {}),
    ("POST", U1, b"\xff\xfe", {}),
    ("POST", U1, b"[1, 2]", {}),
    ("POST", U1, b'{"text":"hi","extra":1}', {}),
    ("POST", U1, b'{"text":""}', {}),
    ("POST", U1, b'{"type":"quick_reply","text":"hi"}', {}),
    ("POST", U1, b'{"text":"hi"}', {"content-length": "99999999"}),
    ("POST", U1 + "?include=RESPONSES", b'{"text":"hi"}', {}),
    ("POST", U1 + "?include=nlu", b'{"text":"hi"}', {}),
    ("POST", PUBLIC.format(bot="short", user="u1"), '{"text":"😀😀😀😀😀!"}'.encode(), {}),
    ("POST", PUBLIC.format(bot="short", user="u1"), '{"text":"😀😀😀😀😀"}'.encode(), {}),
    ("POST", PUBLIC.format(bot="nobody", user="u1"), b'{"text":"hi"}', {}),
    ("POST", PUBLIC.format(bot="off", user="u1"), b'{"text":"hi"}', {}),
    ("POST", PUBLIC.format(bot="silent", user="u1"), b'{"text":"hi"}', {}),
    ("POST", PUBLIC.format(bot="closed", user="u1"), b'{"text":"hi"}', {}),
    ("POST", PUBLIC.format(bot="vault", user="u1"), b'{"text":"hi"}', {}),
    ("POST", PUBLIC.format(bot="vault", user="u1"), b'{"text":"hi"}', {"authorization": "Bearer nope"}),
    ("POST", PUBLIC.format(bot="support", user="u" * 256), b'{"text":"hi"}', {}),
    ("POST", U1 + "/", b'{"text":"hi"}', {}),
    ("POST", "/api/v1/bots/support/converse/", b'{"text":"hi"}', {}),
    ("POST", "/api/v1/bots//converse/u1", b'{"text":"hi"}', {}),
    ("POST", "/api/v1/bots/support/converse/u1/secured", b'{"text":"hi"}', {}),
    ("GET", U1, b"", {}),
]


def comparable(headers: httpx.Headers) -> list[tuple[str, str]]:
    # a redirect (trailing slash) names the prefix the mounted client sent
    return sorted((k, v.replace(PREFIX, "")) for k, v in headers.multi_items() if k != "date")


async def send_all(harness: Harness, client: httpx.AsyncClient, prefix: str) -> list[tuple[Any, ...]]:
    answers = []
    for method, path, body, headers in CASES:
        harness.access.clear()
        response = await client.request(method, prefix + path, content=body, headers=headers)
        (record,) = harness.access
        fields = {key: value for key, value in record.items() if key != "ms"}
        answer = (response.status_code, comparable(response.headers), response.content, fields)
        answers.append((method, path, *answer))
    return answers


def mounted(harness: Harness) -> httpx.AsyncClient:
    # A root_path (a server mounted under a prefix) leaves every request to Starlette's router.
    transport = httpx.ASGITransport(app=harness.app, root_path=PREFIX)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_shortcut_answers_as_the_router_does(
    served: tuple[Harness, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    harness, client = served
    routed: list[str] = []
    original: Callable[..., Any] = Router.__call__

    async def counting(self: Router, scope: Any, receive: Any, send: Any) -> None:
        routed.append(scope["path"])
        await original(self, scope, receive, send)

    monkeypatch.setattr(Router, "__call__", counting)
    short = await send_all(harness, client, "")
    # the shortcut took every POST of the public route's shape, the router the rest
    assert len(routed) == 5
    routed.clear()
    async with mounted(harness) as other:
        full = await send_all(harness, other, PREFIX)
    assert len(routed) == len(CASES)
    assert short == full
    statuses = {status for _, _, status, *_ in short}
    assert {200, 400, 401, 403, 404, 405, 413}.issubset(statuses)


async def test_shortcut_with_a_token_on_a_private_bot(served: tuple[Harness, httpx.AsyncClient]) -> None:
    harness, client = served
    await harness.add_user("ada@example.com", role="admin")
    token = await login(client, "ada@example.com")
    vault = PUBLIC.format(bot="vault", user="u1")
    response = await client.post(vault, json={"text": "hi"}, headers=bearer(token))
    assert response.status_code == 200
    assert response.json()["responses"][1]["text"] == "vault/u1: hi"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/bots/b/converse/u", {"botId": "b", "userId": "u"}),
        ("/api/v1/bots/b%20x/converse/ü\n", {"botId": "b%20x", "userId": "ü\n"}),
        ("/api/v1/bots/b/converse/u/", None),
        ("/api/v1/bots/b/converse/u/secured", None),
        ("/api/v1/bots/b/converse/", None),
        ("/api/v1/bots//converse/u", None),
        ("/api/v1/bots/b/users/u", None),
        ("/api/v2/bots/b/converse/u", None),
    ],
)
def test_shortcut_matches_the_route_template(path: str, params: dict[str, str] | None) -> None:
    assert PublicConverseShortcut.match(path) == params


async def test_bodies_are_read_from_every_chunk_until_a_disconnect() -> None:
    from starlette.requests import ClientDisconnect

    from flowbot.server.context import receive_json

    def receiver(messages: list[dict[str, Any]]) -> Callable[[], Any]:
        async def receive() -> dict[str, Any]:
            return messages.pop(0)

        return receive

    scope: dict[str, Any] = {"headers": []}
    parts = [
        {"type": "http.request", "body": b'{"te', "more_body": True},
        {"type": "http.request", "body": b'xt":"hi"}'},
    ]
    assert await receive_json(scope, receiver(parts), 100) == {"text": "hi"}
    cut = [{"type": "http.request", "body": b'{"te', "more_body": True}, {"type": "http.disconnect"}]
    with pytest.raises(ClientDisconnect):
        await receive_json(scope, receiver(cut), 100)


async def test_only_the_public_route_asks_for_responses_alone(
    served: tuple[Harness, httpx.AsyncClient],
) -> None:
    harness, client = served
    await harness.add_user("ada@example.com", role="admin")
    token = await login(client, "ada@example.com")
    await client.post(PUBLIC.format(bot="support", user="u1"), json={"text": "hi"})
    async with mounted(harness) as other:  # the same route through the router
        await other.post(PREFIX + PUBLIC.format(bot="support", user="u1"), json={"text": "hi"})
    secured = PUBLIC.format(bot="support", user="u1") + "/secured?include=state"
    assert (await client.post(secured, json={"text": "hi"}, headers=bearer(token))).json()["state"]
    assert harness.conversations.responses_only == [True, True, False]
