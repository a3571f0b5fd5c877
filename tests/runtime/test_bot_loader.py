from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowbot.runtime.bot import BotLoadError
from flowbot.runtime.bot import load_bot
from flowbot.runtime.bot import validate_flow
from flowbot.runtime.flow import Flow


@pytest.mark.parametrize("name", ["welcome-bot", "small-talk", "empty-bot"])
def test_compat_bots_load_and_validate(compat_bots: Path, name: str) -> None:
    bot = load_bot(compat_bots / name)
    assert "main.flow.json" in bot.flows
    assert all(validate_flow(flow) == [] for flow in bot.flows.values())


def test_welcome_bot_contents(compat_bots: Path) -> None:
    bot = load_bot(compat_bots / "welcome-bot")
    assert bot.bot_id == "welcome-bot"
    assert "skills/choice-62d44d.flow.json" in bot.flows
    assert bot.find_flow("Memory") == "memory.flow.json"
    assert bot.content_types["builtin_text-lbs0Re"] == "builtin_text"
    assert {i.name for i in bot.intents} >= {"hello", "__qna__xr9uskkhv0_forget_my_name"}
    forget = next(q for q in bot.qna if q.id == "xr9uskkhv0_forget_my_name")
    assert (forget.data.redirectFlow, forget.data.redirectNode) == ("memory.flow.json", "forget-my-name")


def test_broken_folder_lists_every_problem(tmp_path: Path) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "main.flow.json").write_text('{"version": "1.0", "startNode": "x", "nodes": []}')
    (tmp_path / "flows" / "other.flow.json").write_text("{not json")
    with pytest.raises(BotLoadError) as info:
        load_bot(tmp_path)
    text = str(info.value)
    assert "other.flow.json:1:2: invalid JSON" in text
    assert "version must be a string starting with '0.'" in text
    assert "startNode 'x' does not name a node" in text


def test_validate_flow_rules() -> None:
    flow = Flow.model_validate(
        {"version": "0.0.1", "startNode": "a", "catchAll": {"onEnter": ["x"]}, "nodes": [{"id": "abc", "name": "a"}]}
    )
    assert validate_flow(flow) == ["catchAll does not support onEnter", "node 'a': id 'abc' must be longer than 3 characters"]
    assert json.loads(flow.model_dump_json(exclude_none=True))["nodes"][0]["next"] == []
