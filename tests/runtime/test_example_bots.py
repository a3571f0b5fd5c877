"""Every example bot of bots/ runs end to end from its DSL source: compiled, then driven by turns.

The example bots belong to the compiler (their conversations are tested there); here each is
compiled and talked to, and no turn may fail: no engine error, no loop, no failing action. Until
this checkout has the compiler and the bots, these tests skip with that reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import flowbot.compiler
from flowbot.runtime.callapi import ApiRequest
from flowbot.runtime.callapi import ApiResponse
from tests.conftest import ROOT
from tests.runtime.botkit import make_service
from tests.runtime.botkit import say

BOTS_DIR = ROOT / "bots"
BOTS = sorted(p.name for p in BOTS_DIR.iterdir() if p.is_dir()) if BOTS_DIR.is_dir() else []
MESSAGES = ["hi", "hello", "1", "what can you do?", "yes", "no", "2", "cancel", "thanks", "bye"]
FAILURES = {"dialog-engine", "dialog-transition", "infinite-loop", "action-execution", "hook-execution"}


class Api:
    async def send(self, request: ApiRequest) -> ApiResponse:
        return ApiResponse(status=200, body={"ok": True})


@pytest.mark.parametrize(
    "name", BOTS or [pytest.param("", marks=pytest.mark.skip(reason="no example bots here"))]
)
async def test_an_example_bot_compiles_and_answers_without_errors(name: str, tmp_path: Path) -> None:
    build = getattr(flowbot.compiler, "build", None)
    if build is None:
        pytest.skip("the DSL compiler is not in this checkout")
    result = build(BOTS_DIR / name, tmp_path / name)
    assert result.ok, result.diagnostics
    service = make_service(tmp_path / name, api_client=Api())
    bot_id = next(iter(service.bot_ids))
    first = await say(service, bot_id, MESSAGES[0])
    assert first.responses, f"{name} said nothing to a first message"
    for text in MESSAGES[1:]:
        turn = await say(service, bot_id, text)
        failures = [e for e in turn.errors if e["type"] in FAILURES]
        assert failures == [], f"{name}, after {text!r}: {failures}"
