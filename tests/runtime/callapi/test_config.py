"""The bot's ``callApi`` settings are checked when the bot is loaded, not at its first call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from flowbot.runtime.bot import BotLoadError
from flowbot.runtime.bot import load_bot
from flowbot.runtime.flow import BotConfig
from flowbot.runtime.flow import CallApiConfig


def _bot(tmp_path: Path, call_api: dict[str, object]) -> Path:
    flows = tmp_path / "flows"
    flows.mkdir()
    main = {
        "version": "0.0.1",
        "startNode": "entry",
        "nodes": [{"id": "entry-1", "name": "entry", "onEnter": []}],
    }
    (flows / "main.flow.json").write_text(json.dumps(main))
    (flows / "main.ui.json").write_text(json.dumps({"nodes": []}))
    (tmp_path / "bot.config.json").write_text(json.dumps({"id": "b", "callApi": call_api}))
    return tmp_path


def test_a_bad_host_entry_is_reported_at_load_with_its_field(tmp_path: Path) -> None:
    with pytest.raises(BotLoadError) as caught:
        load_bot(_bot(tmp_path, {"allowHosts": ["ok.example.com", "http://billing.internal:8080"]}))
    text = str(caught.value) + " ".join(getattr(caught.value, "problems", []))
    assert "callApi.allowHosts" in text
    assert "'http://billing.internal:8080'" in text


def test_good_entries_load(tmp_path: Path) -> None:
    call_api = {"allowHosts": ["billing.internal", "*.corp.example", "10.0.0.0/8", "::1"], "denyHosts": ["*"]}
    bot = load_bot(_bot(tmp_path, call_api))
    assert bot.config.callApi.allowHosts == call_api["allowHosts"]


@pytest.mark.parametrize(
    "values", [{"timeout": 0}, {"timeout": -1}, {"timeout": "nan"}, {"maxResponseBytes": 0}]
)
def test_limits_must_be_positive(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CallApiConfig.model_validate(values)


def test_defaults() -> None:
    config = BotConfig().callApi
    assert (config.timeout, config.maxResponseBytes, config.allowHosts, config.denyHosts) == (
        10.0,
        1_000_000,
        [],
        [],
    )
