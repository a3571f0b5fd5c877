"""Whatever a flow's templates produce, HttpApiClient answers with a status and never raises."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from flowbot.runtime.callapi import ApiRequest
from flowbot.runtime.callapi import ApiResponse
from flowbot.runtime.callapi import HttpApiClient
from flowbot.runtime.flow import CallApiConfig
from tests.runtime.callapi.conftest import FakeDns
from tests.runtime.callapi.conftest import free_port

PORT = free_port()  # nothing listens there: allowed requests end as ECONNREFUSED, quickly

urls = st.one_of(
    st.text(max_size=40),
    st.builds(
        "{}://{}/{}".format,
        st.sampled_from(["http", "https", "ftp", "HTTP", "", "javascript"]),
        st.sampled_from(
            [f"127.0.0.1:{PORT}", "[::1]", "10.0.0.1", "api.example.com", "127.1", "", "a b", "x:0"]
        ),
        st.text(max_size=20),
    ),
)
requests = st.builds(
    ApiRequest,
    method=st.one_of(st.sampled_from(["get", "POST", "put", "patch", "delete"]), st.text(max_size=8)),
    url=urls,
    headers=st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3),
    body=st.one_of(st.none(), st.text(max_size=50)),
    timeout=st.sampled_from([1.0, 0.0, -1.0, float("nan"), float("inf")]),
)


async def _send_all(batch: list[ApiRequest]) -> list[ApiResponse]:
    # Names resolve to nothing, so that no example reaches the real DNS or network.
    client = HttpApiClient(CallApiConfig(allowHosts=["127.0.0.1"]), resolver_factory=lambda: FakeDns({}))
    try:
        return [await client.send(r) for r in batch]
    finally:
        await client.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(requests, min_size=1, max_size=5))
def test_send_never_raises(batch: list[ApiRequest]) -> None:
    for response in asyncio.run(_send_all(batch)):
        assert isinstance(response.status, str)  # nothing here can reach a server
        assert not response.ok
