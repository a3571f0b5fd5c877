"""MockApiClient: rules, failures, timeouts and the record of requests."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from flowbot.runtime.callapi import ApiClient
from flowbot.runtime.callapi import ApiRequest
from flowbot.runtime.callapi import ApiResponse
from flowbot.runtime.callapi import MockApiClient
from flowbot.runtime.callapi import MockRule


async def test_first_matching_rule_answers_and_requests_are_recorded() -> None:
    mock = MockApiClient(
        [
            {"method": "post", "url": "https://api.example.com/orders", "status": 201, "body": '{"id": 7}'},
            {"url": "https://api.example.com/orders/*", "body": {"id": 7, "state": "shipped"}},
            {
                "url": "https://api.example.com/*",
                "status": 404,
                "body": "not here",
                "headers": {"X-Req": "1"},
            },
        ]
    )
    created = await mock.send(ApiRequest(method="POST", url="https://api.example.com/orders", body="{}"))
    shipped = await mock.send(ApiRequest(method="get", url="https://api.example.com/orders/7"))
    missing = await mock.send(ApiRequest(method="get", url="https://api.example.com/users"))
    assert created.to_memory() == {"body": {"id": 7}, "status": 201}  # a string body is read as HTTP would be
    assert shipped.body == {"id": 7, "state": "shipped"}
    assert (missing.status, missing.body, missing.headers, missing.ok) == (
        404,
        "not here",
        {"x-req": "1"},
        False,
    )
    assert [r.url for r in mock.requests] == [
        "https://api.example.com/orders",
        "https://api.example.com/orders/7",
        "https://api.example.com/users",
    ]
    assert mock.unmatched == []


async def test_url_patterns_treat_only_star_as_special() -> None:
    mock = MockApiClient([MockRule(url="http://[::1]/a?b=1", body="exact")])
    assert (await mock.send(ApiRequest(method="get", url="http://[::1]/a?b=1"))).body == "exact"
    assert (await mock.send(ApiRequest(method="get", url="http://[::1]/aXb=1"))).status == "ENOTMOCKED"


async def test_network_failures_and_unmatched_requests() -> None:
    mock = MockApiClient([MockRule(url="https://down.example.com/*", status="ECONNREFUSED")])
    refused = await mock.send(ApiRequest(method="get", url="https://down.example.com/x"))
    other = await mock.send(ApiRequest(method="get", url="https://elsewhere.example.com/"))
    assert (refused.status, refused.body, refused.ok) == ("ECONNREFUSED", None, False)
    assert other.status == "ENOTMOCKED"
    assert [r.url for r in mock.unmatched] == ["https://elsewhere.example.com/"]


async def test_a_delay_past_the_timeout_is_a_timeout() -> None:
    mock = MockApiClient()
    mock.add({"url": "*slow*", "delay": 5, "body": "late"})
    mock.add({"url": "*", "delay": 0.01, "body": "soon"})
    assert (
        await mock.send(ApiRequest(method="get", url="https://slow.example.com", timeout=0.05))
    ).status == "TIMEOUT"
    assert (
        await mock.send(ApiRequest(method="get", url="https://fast.example.com", timeout=1))
    ).body == "soon"


async def test_handler_functions_sync_or_async() -> None:
    def sync(request: ApiRequest) -> ApiResponse:
        return ApiResponse(status=200, body={"echo": request.body})

    async def asynchronous(request: ApiRequest) -> ApiResponse:
        return ApiResponse(status=503)

    request = ApiRequest(method="post", url="https://x.example.com", body="hi")
    assert (await MockApiClient(sync).send(request)).body == {"echo": "hi"}
    assert (await MockApiClient(asynchronous).send(request)).status == 503


def test_the_mock_is_an_api_client() -> None:
    client: ApiClient = MockApiClient()
    assert callable(client.send)


@pytest.mark.parametrize(
    "rule",
    [
        {"status": "refused"},
        {"status": "TIMEOUT", "body": "x"},
        {"status": 99},
        {"delay": -1},
        {"unknown": 1},
    ],
)
def test_bad_rules_are_refused_with_a_reason(rule: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        MockRule.model_validate(rule)
