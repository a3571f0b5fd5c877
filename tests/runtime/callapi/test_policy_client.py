"""The host policy enforced by HttpApiClient against real loopback servers: refused means nothing sent."""

from __future__ import annotations

from aiohttp import ThreadedResolver
from aiohttp import web

from flowbot.runtime.callapi import ApiRequest
from flowbot.runtime.callapi import HttpApiClient
from flowbot.runtime.flow import CallApiConfig
from tests.runtime.callapi.conftest import FakeDns
from tests.runtime.callapi.conftest import LocalServer


async def _ok(request: web.Request) -> web.Response:
    return web.json_response({"reached": True})


async def _send(config: CallApiConfig, url: str, dns: FakeDns | None = None) -> str | int:
    http = HttpApiClient(config, resolver_factory=(lambda: dns) if dns else ThreadedResolver)
    try:
        return (await http.send(ApiRequest(method="get", url=url, timeout=5))).status
    finally:
        await http.close()


async def test_loopback_is_refused_by_default_and_nothing_is_sent(server: LocalServer) -> None:
    url = server.on("/", _ok)
    assert await _send(CallApiConfig(), url) == "EBLOCKED"
    assert server.seen == []
    assert await _send(CallApiConfig(allowHosts=["127.0.0.0/8"]), url) == 200
    assert len(server.seen) == 1


async def test_ipv6_loopback_is_refused_by_default(server6: LocalServer) -> None:
    url = server6.on("/", _ok)
    assert await _send(CallApiConfig(), url) == "EBLOCKED"
    assert await _send(CallApiConfig(allowHosts=["127.0.0.1"]), url) == "EBLOCKED"
    assert server6.seen == []
    assert await _send(CallApiConfig(allowHosts=["::1"]), url) == 200


async def test_ipv4_mapped_ipv6_loopback_is_refused(server: LocalServer) -> None:
    assert await _send(CallApiConfig(), f"http://[::ffff:127.0.0.1]:{server.port}/") == "EBLOCKED"
    assert server.seen == []


async def test_numeric_forms_of_loopback_are_refused(server: LocalServer) -> None:
    for host in ("127.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1", "0"):
        status = await _send(CallApiConfig(), f"http://{host}:{server.port}/")
        assert status in ("EBLOCKED", "EINVALIDURL", "ENOTFOUND"), host
    assert server.seen == []


async def test_a_name_resolving_to_loopback_is_refused(server: LocalServer) -> None:
    dns = FakeDns({"api.example.com": ["127.0.0.1"]})
    url = f"http://api.example.com:{server.port}/"
    server.on("/", _ok)
    assert await _send(CallApiConfig(), url, dns) == "EBLOCKED"
    assert dns.asked == ["api.example.com"]  # judged on the answer the connection uses
    assert server.seen == []
    assert await _send(CallApiConfig(allowHosts=["api.example.com"]), url, dns) == 200
    assert await _send(CallApiConfig(allowHosts=["*.example.com"]), url, dns) == 200


async def test_localhost_is_refused_by_default(server: LocalServer) -> None:
    assert await _send(CallApiConfig(), f"http://localhost:{server.port}/") == "EBLOCKED"
    assert server.seen == []


async def test_only_permitted_addresses_of_a_name_are_connected_to(server: LocalServer) -> None:
    # A name answering a private address first and an allowed one second: the private one is never tried.
    dns = FakeDns({"mixed.example.com": ["10.9.8.7", "127.0.0.1"]})
    server.on("/", _ok)
    status = await _send(
        CallApiConfig(allowHosts=["127.0.0.1"]), f"http://mixed.example.com:{server.port}/", dns
    )
    assert status == 200


async def test_deny_wins_over_allow(server: LocalServer) -> None:
    url = server.on("/", _ok)
    assert await _send(CallApiConfig(allowHosts=["127.0.0.0/8"], denyHosts=["127.0.0.1"]), url) == "EBLOCKED"
    dns = FakeDns({"api.example.com": ["127.0.0.1"]})
    config = CallApiConfig(allowHosts=["127.0.0.1"], denyHosts=["*.example.com"])
    assert await _send(config, f"http://api.example.com:{server.port}/", dns) == "EBLOCKED"
    assert dns.asked == []  # a denied name is not even looked up
    assert server.seen == []


async def test_redirect_to_a_private_address_is_refused(server: LocalServer) -> None:
    internal = LocalServer("127.0.0.1")
    await internal.start()
    try:
        secret = internal.on("/latest/meta-data/", _ok)

        async def bounce(request: web.Request) -> web.Response:
            raise web.HTTPFound(secret)

        # The bot may call api.example.com (here on loopback), not the loopback address itself.
        dns = FakeDns({"api.example.com": ["127.0.0.1"]})
        server.on("/bounce", bounce)
        url = f"http://api.example.com:{server.port}/bounce"
        assert await _send(CallApiConfig(allowHosts=["api.example.com"]), url, dns) == "EBLOCKED"
        assert [s.path for s in server.seen] == ["/bounce"]
        assert internal.seen == []
    finally:
        await internal.stop()


async def test_redirect_to_a_name_resolving_privately_is_refused(server: LocalServer) -> None:
    async def bounce(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://rebind.example.net:{server.port}/secret")

    dns = FakeDns({"api.example.com": ["127.0.0.1"], "rebind.example.net": ["127.0.0.1"]})
    server.on("/bounce", bounce)
    server.on("/secret", _ok)
    url = f"http://api.example.com:{server.port}/bounce"
    assert await _send(CallApiConfig(allowHosts=["api.example.com"]), url, dns) == "EBLOCKED"
    assert [s.path for s in server.seen] == ["/bounce"]


async def test_redirect_to_another_scheme_is_refused(server: LocalServer) -> None:
    async def bounce(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "file:///etc/passwd"})

    assert await _send(CallApiConfig(allowHosts=["127.0.0.1"]), server.on("/b", bounce)) == "EBLOCKED"


async def test_only_http_and_https(server: LocalServer) -> None:
    for url in ("ftp://127.0.0.1/", "file:///etc/passwd", "gopher://127.0.0.1:70/", "ws://127.0.0.1/"):
        assert await _send(CallApiConfig(allowHosts=["*"]), url) == "EBLOCKED", url


async def test_a_pooled_connection_is_not_reused_by_a_bot_that_forbids_the_host(server: LocalServer) -> None:
    dns = FakeDns({"internal.example.com": ["127.0.0.1"]})
    url = f"http://internal.example.com:{server.port}/"
    server.on("/", _ok)
    trusting = HttpApiClient(CallApiConfig(allowHosts=["internal.example.com"]), resolver_factory=lambda: dns)
    strict = trusting.for_bot(CallApiConfig())
    try:
        assert (await trusting.send(ApiRequest(method="get", url=url))).status == 200
        assert (await strict.send(ApiRequest(method="get", url=url))).status == "EBLOCKED"
    finally:
        await trusting.close()
    assert len(server.seen) == 1
