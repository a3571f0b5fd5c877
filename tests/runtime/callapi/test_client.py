"""HttpApiClient against a real HTTP server on 127.0.0.1: statuses, bodies, limits, timeouts."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging

import pytest
from aiohttp import web

from flowbot.runtime.callapi import ApiRequest
from flowbot.runtime.callapi import HttpApiClient
from flowbot.runtime.flow import CallApiConfig
from tests.runtime.callapi.conftest import FakeDns
from tests.runtime.callapi.conftest import LocalServer
from tests.runtime.callapi.conftest import free_port


def get(url: str, timeout: float = 5.0) -> ApiRequest:
    return ApiRequest(method="get", url=url, timeout=timeout)


async def test_2xx_json_is_decoded_and_succeeds(server: LocalServer, client: HttpApiClient) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"temp": 21.5, "city": "Paris"}, status=201)

    response = await client.send(get(server.on("/weather", handler)))
    assert response.status == 201
    assert response.ok
    assert response.body == {"temp": 21.5, "city": "Paris"}
    assert response.to_memory() == {"body": {"temp": 21.5, "city": "Paris"}, "status": 201}


async def test_json_is_decoded_whatever_the_content_type(server: LocalServer, client: HttpApiClient) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text='[1, "two", null]', content_type="text/html")

    assert (await client.send(get(server.on("/j", handler)))).body == [1, "two", None]


async def test_invalid_json_keeps_the_text(server: LocalServer, client: HttpApiClient) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text='{"broken": ', content_type="application/json")

    response = await client.send(get(server.on("/bad", handler)))
    assert response.status == 200
    assert response.body == '{"broken": '


async def test_nan_is_not_json_and_empty_body_is_empty_text(
    server: LocalServer, client: HttpApiClient
) -> None:
    async def nan(request: web.Request) -> web.Response:
        return web.Response(text="NaN")

    async def empty(request: web.Request) -> web.Response:
        return web.Response(status=204)

    assert (await client.send(get(server.on("/nan", nan)))).body == "NaN"
    response = await client.send(get(server.on("/empty", empty)))
    assert (response.status, response.body) == (204, "")


async def test_undecodable_bytes_are_replaced_and_charset_is_honoured(
    server: LocalServer, client: HttpApiClient
) -> None:
    async def broken(request: web.Request) -> web.Response:
        return web.Response(body=b"caf\xc3 ok", content_type="text/plain")

    async def latin(request: web.Request) -> web.Response:
        return web.Response(body="café".encode("latin-1"), content_type="text/plain", charset="latin-1")

    assert (await client.send(get(server.on("/broken", broken)))).body == "caf\ufffd ok"
    assert (await client.send(get(server.on("/latin", latin)))).body == "café"


async def test_3xx_redirect_is_followed_and_succeeds(server: LocalServer, client: HttpApiClient) -> None:
    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/final")

    async def final(request: web.Request) -> web.Response:
        return web.json_response({"done": True})

    server.on("/final", final)
    response = await client.send(get(server.on("/moved", moved)))
    assert (response.status, response.body, response.ok) == (200, {"done": True}, True)
    assert [s.path for s in server.seen] == ["/moved", "/final"]


async def test_3xx_that_is_not_followed_succeeds(server: LocalServer, client: HttpApiClient) -> None:
    async def not_modified(request: web.Request) -> web.Response:
        return web.Response(status=304)

    async def choices(request: web.Request) -> web.Response:
        return web.Response(status=300, text="pick one")

    response = await client.send(get(server.on("/cached", not_modified)))
    assert response.status == 304 and response.ok
    response = await client.send(get(server.on("/choices", choices)))
    assert (response.status, response.body, response.ok) == (300, "pick one", True)


@pytest.mark.parametrize("status", [400, 404, 429, 500, 503])
async def test_4xx_and_5xx_fail_with_their_body(
    server: LocalServer, client: HttpApiClient, status: int
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"error": "nope"}, status=status)

    response = await client.send(get(server.on("/err", handler)))
    assert response.status == status
    assert not response.ok
    assert response.body == {"error": "nope"}


async def test_connection_refused(client: HttpApiClient) -> None:
    response = await client.send(get(f"http://127.0.0.1:{free_port()}/"))
    assert (response.status, response.body, response.ok) == ("ECONNREFUSED", None, False)


async def test_unknown_host_is_enotfound() -> None:
    # ".invalid" never resolves (RFC 6761); a fake resolver keeps the test off the real DNS.
    http = HttpApiClient(resolver_factory=lambda: FakeDns({}))
    try:
        response = await http.send(get("http://nowhere.invalid/"))
    finally:
        await http.close()
    assert response.status == "ENOTFOUND"


async def test_timeout_ends_a_hanging_call(server: LocalServer, client: HttpApiClient) -> None:
    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response(text="too late")

    response = await client.send(get(server.on("/hang", hang), timeout=0.2))
    assert (response.status, response.body, response.ok) == ("TIMEOUT", None, False)


async def test_timeout_covers_a_body_that_trickles(server: LocalServer, client: HttpApiClient) -> None:
    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(300):
            await response.write(b" ")
            await asyncio.sleep(0.1)
        return response

    response = await client.send(get(server.on("/trickle", trickle), timeout=0.3))
    assert response.status == "TIMEOUT"


async def test_a_zero_timeout_means_the_bots_default_not_forever(server: LocalServer) -> None:
    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response()

    http = HttpApiClient(CallApiConfig(allowHosts=["127.0.0.1"], timeout=0.2))
    try:
        response = await http.send(get(server.on("/hang", hang), timeout=0))
    finally:
        await http.close()
    assert response.status == "TIMEOUT"


async def test_a_slow_endpoint_does_not_block_other_calls(server: LocalServer, client: HttpApiClient) -> None:
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="slow")

    async def fast(request: web.Request) -> web.Response:
        return web.Response(text="fast")

    slow_call = asyncio.create_task(client.send(get(server.on("/slow", slow))))
    while not server.seen:  # the slow request is in flight
        await asyncio.sleep(0.01)
    fast_answers = await asyncio.gather(*(client.send(get(server.on("/fast", fast))) for _ in range(20)))
    assert not slow_call.done()
    assert {a.body for a in fast_answers} == {"fast"}
    release.set()
    assert (await slow_call).body == "slow"


async def test_huge_body_is_etoolarge(server: LocalServer) -> None:
    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(100):  # 6.4 MB, with no Content-Length
            await response.write(b"x" * 65536)
        return response

    async def declared(request: web.Request) -> web.Response:
        return web.Response(body=b"y" * 2048)

    http = HttpApiClient(CallApiConfig(allowHosts=["127.0.0.1"], maxResponseBytes=1024))
    try:
        first = await http.send(get(server.on("/chunked", chunked)))
        second = await http.send(get(server.on("/declared", declared)))
        small = await http.send(get(server.on("/small", lambda r: _text("z" * 1024))))
    finally:
        await http.close()
    assert (first.status, first.body, first.ok) == ("ETOOLARGE", None, False)
    assert second.status == "ETOOLARGE"
    assert small.body == "z" * 1024  # exactly at the limit is fine


async def test_size_limit_applies_after_decompression(server: LocalServer) -> None:
    bomb = gzip.compress(b"0" * 5_000_000)  # a few kilobytes that inflate to 5 MB

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=bomb, headers={"Content-Encoding": "gzip"})

    http = HttpApiClient(CallApiConfig(allowHosts=["127.0.0.1"], maxResponseBytes=100_000))
    try:
        response = await http.send(get(server.on("/bomb", handler)))
    finally:
        await http.close()
    assert len(bomb) < 100_000
    assert response.status == "ETOOLARGE"


async def _text(text: str) -> web.Response:
    return web.Response(text=text)


async def test_headers_and_body_arrive_as_sent(server: LocalServer, client: HttpApiClient) -> None:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    body = json.dumps({"name": "Zoë <b>&</b>", "order": 42}, ensure_ascii=False)
    request = ApiRequest(
        method="post",
        url=server.on("/orders", echo) + "?ref=a%20b",
        headers={"Authorization": "Bearer s3cr3t", "X-Trace": "Zoë 1", "Content-Type": "application/json"},
        body=body,
        timeout=5,
    )
    response = await client.send(request)
    assert response.ok
    seen = server.seen[-1]
    assert (seen.method, seen.path) == ("POST", "/orders?ref=a%20b")
    assert seen.body == body.encode("utf-8")
    assert seen.headers["Authorization"] == "Bearer s3cr3t"
    assert seen.headers["X-Trace"] == "Zoë 1"
    assert seen.headers["Content-Type"] == "application/json"


async def test_body_without_content_type_gets_one(server: LocalServer, client: HttpApiClient) -> None:
    url = server.on("/in", lambda r: _text("ok"))
    await client.send(ApiRequest(method="put", url=url, body='{"a": 1}'))
    await client.send(ApiRequest(method="patch", url=url, body="plain words"))
    await client.send(ApiRequest(method="delete", url=url))
    assert [s.headers.get("Content-Type") for s in server.seen] == [
        "application/json",
        "text/plain; charset=utf-8",
        None,
    ]
    assert [s.method for s in server.seen] == ["PUT", "PATCH", "DELETE"]


async def test_framing_headers_are_computed_not_copied(server: LocalServer, client: HttpApiClient) -> None:
    url = server.on("/in", lambda r: _text("ok"))
    request = ApiRequest(method="post", url=url, headers={"Content-Length": "9999"}, body="abc")
    assert (await client.send(request)).ok
    assert server.seen[-1].headers["Content-Length"] == "3"
    assert server.seen[-1].body == b"abc"


@pytest.mark.parametrize(
    ("method", "headers"),
    [("TRACE", {}), ("get", {"X-Evil": "a\r\nHost: other"}), ("get", {"bad name": "x"})],
)
async def test_requests_that_cannot_be_sent_are_refused(
    server: LocalServer, client: HttpApiClient, method: str, headers: dict[str, str]
) -> None:
    url = server.on("/in", lambda r: _text("ok"))
    response = await client.send(ApiRequest(method=method, url=url, headers=headers))
    assert response.status == "EINVALIDREQUEST"
    assert server.seen == []


@pytest.mark.parametrize("url", ["not a url", "http:///no-host", "http://x:99999/", ""])
async def test_invalid_urls(client: HttpApiClient, url: str) -> None:
    assert (await client.send(get(url))).status == "EINVALIDURL"


async def test_cookies_never_travel_between_calls(server: LocalServer) -> None:
    async def login(request: web.Request) -> web.Response:
        response = web.Response(text="hi")
        response.set_cookie("session", "user-a")
        return response

    # A host name, since cookie jars ignore cookies set by bare IP addresses.
    dns = FakeDns({"api.example.com": ["127.0.0.1"]})
    http = HttpApiClient(CallApiConfig(allowHosts=["api.example.com"]), resolver_factory=lambda: dns)
    server.on("/login", login)
    server.on("/whoami", lambda r: _text("?"))
    try:
        await http.send(get(f"http://api.example.com:{server.port}/login"))
        await http.send(get(f"http://api.example.com:{server.port}/whoami"))
    finally:
        await http.close()
    assert [s.path for s in server.seen] == ["/login", "/whoami"]
    assert "Cookie" not in server.seen[-1].headers


async def test_redirect_rules(server: LocalServer, client: HttpApiClient) -> None:
    async def see_other(request: web.Request) -> web.Response:
        raise web.HTTPSeeOther("/landing")

    async def temporary(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect("/landing")

    server.on("/landing", lambda r: _text("ok"))
    post = ApiRequest(method="post", url=server.on("/303", see_other), body='{"a":1}')
    assert (await client.send(post)).ok
    assert [(s.method, s.body) for s in server.seen] == [("POST", b'{"a":1}'), ("GET", b"")]
    server.seen.clear()
    assert (await client.send(post.model_copy(update={"url": server.on("/307", temporary)}))).ok
    assert [(s.method, s.body) for s in server.seen] == [("POST", b'{"a":1}'), ("POST", b'{"a":1}')]


async def test_credentials_are_not_sent_to_another_origin(server: LocalServer, client: HttpApiClient) -> None:
    other = LocalServer("127.0.0.1")
    await other.start()
    try:
        target = other.on("/x", lambda r: _text("other"))

        async def away(request: web.Request) -> web.Response:
            raise web.HTTPFound(target)

        request = ApiRequest(
            method="get", url=server.on("/away", away), headers={"Authorization": "Bearer k", "X-Id": "7"}
        )
        assert (await client.send(request)).body == "other"
        assert server.seen[0].headers["Authorization"] == "Bearer k"
        assert "Authorization" not in other.seen[0].headers
        assert other.seen[0].headers["X-Id"] == "7"
    finally:
        await other.stop()


async def test_redirect_loop_stops(server: LocalServer, client: HttpApiClient) -> None:
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    response = await client.send(get(server.on("/loop", loop)))
    assert response.status == "ETOOMANYREDIRECTS"
    assert len(server.seen) == 6  # the request and five redirects


async def test_failures_are_logged_without_query_strings(
    client: HttpApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flowbot.runtime.callapi")
    await client.send(get(f"http://127.0.0.1:{free_port()}/path?token=s3cr3t"))
    assert "ECONNREFUSED" in caplog.text
    assert "/path" in caplog.text
    assert "s3cr3t" not in caplog.text


async def test_for_bot_shares_pools_but_not_limits(server: LocalServer, client: HttpApiClient) -> None:
    url = server.on("/big", lambda r: _text("x" * 100))
    strict = client.for_bot(CallApiConfig(allowHosts=["127.0.0.1"], maxResponseBytes=10))
    closed = client.for_bot(CallApiConfig())
    assert (await client.send(get(url))).ok
    assert (await strict.send(get(url))).status == "ETOOLARGE"
    assert (await closed.send(get(url))).status == "EBLOCKED"
    assert len(server.seen) == 2


async def _raw_server(reply: bytes) -> tuple[asyncio.Server, int]:
    """A TCP server that answers every connection with ``reply`` (maybe not HTTP) and closes it."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        writer.write(reply)
        await writer.drain()
        writer.close()

    raw = await asyncio.start_server(handle, "127.0.0.1", 0)
    return raw, raw.sockets[0].getsockname()[1]


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        (b"", "ECONNRESET"),  # closed without a word
        (b"this is not HTTP\r\n\r\n", "ENETWORK"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", "ENETWORK"),  # body cut short
    ],
)
async def test_broken_servers_give_a_status(client: HttpApiClient, reply: bytes, status: str) -> None:
    raw, port = await _raw_server(reply)
    try:
        response = await client.send(get(f"http://127.0.0.1:{port}/"))
    finally:
        raw.close()
        await raw.wait_closed()
    assert (response.status, response.body, response.ok) == (status, None, False)


async def test_a_hanging_host_cannot_take_every_connection(server: LocalServer) -> None:
    other = LocalServer("127.0.0.1")
    await other.start()
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="late")

    http = HttpApiClient(
        CallApiConfig(allowHosts=["127.0.0.1"]), max_connections=4, max_connections_per_host=2
    )
    try:
        hanging = [asyncio.create_task(http.send(get(server.on("/hang", hang), timeout=5))) for _ in range(2)]
        while len(server.seen) < 2:
            await asyncio.sleep(0.01)
        # A third call to the hanging host waits for one of its two connections, and times out...
        assert (await http.send(get(server.url("/hang"), timeout=0.2))).status == "TIMEOUT"
        assert len(server.seen) == 2
        # ...while another host still gets a connection at once.
        assert (await http.send(get(other.on("/ok", lambda r: _text("ok"))))).body == "ok"
        release.set()
        assert [(await t).body for t in hanging] == ["late", "late"]
    finally:
        await http.close()
        await other.stop()
