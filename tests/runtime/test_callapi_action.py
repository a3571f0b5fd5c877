"""The ``basic-skills/call_api`` action: request building, memory, success/failure transitions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flowbot.runtime.callapi import ApiRequest
from flowbot.runtime.callapi import ApiResponse
from tests.runtime.botkit import flow
from tests.runtime.botkit import make_service
from tests.runtime.botkit import node
from tests.runtime.botkit import say
from tests.runtime.botkit import texts
from tests.runtime.botkit import write_bot

RID = "a1b2c3d4e5"
TEXTS = {
    "builtin_text-ok": "ok {{temp.response.status}} {{temp.response.body.name}}",
    "builtin_text-ko": "ko {{temp.response.status}}",
    "builtin_text-oops": "oops",
}


class FakeClient:
    def __init__(self, response: ApiResponse) -> None:
        self.response = response
        self.requests: list[ApiRequest] = []

    async def send(self, request: ApiRequest) -> ApiResponse:
        self.requests.append(request)
        return self.response


def call_bot(tmp_path: Path, args: dict[str, Any], *, config: dict[str, Any] | None = None) -> Path:
    instruction = "basic-skills/call_api " + json.dumps(
        {"randomId": RID, "memory": "temp", "variable": "response", **args}
    )
    main = flow(
        node(
            "call", on_enter=[instruction], next=[(f"temp.valid_{RID}", "ok"), (f"!temp.valid_{RID}", "ko")]
        ),
        node("ok", on_enter=["say #!builtin_text-ok"]),
        node("ko", on_enter=["say #!builtin_text-ko"]),
    )
    error = flow(node("entry", on_enter=["say #!builtin_text-oops"]))
    return write_bot(
        tmp_path / "bot", {"main.flow.json": main, "error.flow.json": error}, texts=TEXTS, config=config
    )


async def test_a_templated_request_is_sent_and_the_response_stored(tmp_path: Path) -> None:
    client = FakeClient(ApiResponse(status=200, body={"name": "Ann"}))
    args = {
        "url": "https://api.example.com/users/{{event.payload.text}}",
        "method": "post",
        "body": '{"q": "{{{event.payload.text}}}"}',
        "headers": {"Authorization": "Bearer {{event.payload.text}}"},
    }
    service = make_service(call_bot(tmp_path, args), api_client=client)
    result = await say(service, "bot", "42")
    assert texts(result) == ["ok 200 Ann"]
    (request,) = client.requests
    assert request == ApiRequest(
        method="POST",
        url="https://api.example.com/users/42",
        headers={"Authorization": "Bearer 42"},
        body='{"q": "42"}',
        timeout=10.0,
    )


async def test_failures_take_the_failure_transition(tmp_path: Path) -> None:
    for response, shown in (
        (ApiResponse(status=404, body="nope"), "ko 404"),
        (ApiResponse(status="ECONNREFUSED"), "ko ECONNREFUSED"),
    ):
        client = FakeClient(response)
        service = make_service(call_bot(tmp_path, {"url": "http://x.test/"}), api_client=client)
        result = await say(service, "bot", "hi", user=shown)
        assert texts(result) == [shown]
        assert client.requests[0].method == "GET"


async def test_the_timeout_comes_from_the_node_else_the_bot(tmp_path: Path) -> None:
    client = FakeClient(ApiResponse(status=200))
    service = make_service(call_bot(tmp_path, {"url": "http://x.test/", "timeout": 2.5}), api_client=client)
    await say(service, "bot", "hi")
    other = FakeClient(ApiResponse(status=200))
    bot = call_bot(tmp_path / "other", {"url": "http://x.test/"}, config={"callApi": {"timeout": 4}})
    await say(make_service(bot, api_client=other), "bot", "hi")
    assert (client.requests[0].timeout, other.requests[0].timeout) == (2.5, 4.0)


async def test_user_text_in_a_body_is_sent_as_typed_never_rendered(tmp_path: Path) -> None:
    client = FakeClient(ApiResponse(status=200))
    service = make_service(
        call_bot(tmp_path, {"url": "http://x.test/", "method": "post", "body": "{{{event.payload.text}}}"}),
        api_client=client,
    )
    await say(service, "bot", "{{temp.secret}}")
    assert client.requests[0].body == "{{temp.secret}}"


async def test_memory_and_variable_are_chosen_by_the_node(tmp_path: Path) -> None:
    client = FakeClient(ApiResponse(status=201, body=[1, 2]))
    instruction = "basic-skills/call_api " + json.dumps(
        {"url": "http://x.test/", "memory": "session", "variable": "api.result"}
    )
    main = flow(node("call", on_enter=[instruction], on_receive=[]))
    service = make_service(write_bot(tmp_path / "bot", {"main.flow.json": main}), api_client=client)
    result = await say(service, "bot", "hi")
    assert result.state["session"]["api"] == {"result": {"body": [1, 2], "status": 201}}
    assert result.state["temp"] == {"valid": True}  # no randomId: the legacy key


async def test_bad_arguments_go_to_the_error_flow(tmp_path: Path) -> None:
    client = FakeClient(ApiResponse(status=200))
    service = make_service(
        call_bot(tmp_path, {"url": "http://x.test/", "method": "teleport"}), api_client=client
    )
    result = await say(service, "bot", "hi")
    assert texts(result) == ["oops"]
    assert "unsupported method 'teleport'" in result.errors[0]["message"]
    assert client.requests == []


async def test_without_a_client_the_call_is_an_action_error(tmp_path: Path) -> None:
    service = make_service(call_bot(tmp_path, {"url": "http://x.test/"}))
    result = await say(service, "bot", "hi")
    assert texts(result) == ["oops"]
    assert "no HTTP client" in result.errors[0]["message"]
