"""Every bot in bots/ compiles without a diagnostic, to exactly its golden output, every time;
the output loads in the runtime and every flow passes the v12 validation rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowbot.compiler import build
from flowbot.compiler import check
from flowbot.runtime.bot import load_bot
from flowbot.runtime.bot import validate_flow
from tests.bots.regenerate import BOTS
from tests.bots.regenerate import GOLDEN
from tests.bots.regenerate import compiled_files
from tests.bots.regenerate import example_bots

NAMES = example_bots()


def test_the_three_example_bots_are_there() -> None:
    assert {"support", "weather", "pizza"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_example_bot_has_no_diagnostic(name: str) -> None:
    assert check(BOTS / name) == []


@pytest.mark.parametrize("name", NAMES)
def test_example_bot_matches_its_golden_output(name: str, tmp_path: Path) -> None:
    assert build(BOTS / name, tmp_path / "out").ok
    produced = compiled_files(tmp_path / "out")
    expected = compiled_files(GOLDEN / name)
    assert sorted(produced) == sorted(expected)
    for rel, data in produced.items():
        assert data == expected[rel], f"{rel} differs from tests/bots/golden/{name}/{rel}"


@pytest.mark.parametrize("name", NAMES)
def test_example_bot_builds_byte_identically_twice(name: str, tmp_path: Path) -> None:
    assert build(BOTS / name, tmp_path / "a").ok and build(BOTS / name, tmp_path / "b").ok
    assert compiled_files(tmp_path / "a") == compiled_files(tmp_path / "b")


@pytest.mark.parametrize("name", NAMES)
def test_example_bot_loads_and_validates(name: str, tmp_path: Path) -> None:
    assert build(BOTS / name, tmp_path / "out").ok
    bot = load_bot(tmp_path / "out")
    assert bot.config.templateEngine == "jinja2"
    assert "main.flow.json" in bot.flows
    assert all(validate_flow(flow) == [] for flow in bot.flows.values())
    for flow_name, flow in bot.flows.items():
        for node in flow.nodes:
            if not flow_name.startswith("skills/"):
                assert node.source is not None and node.source.file.endswith(".flow")
            for instruction in (node.onEnter or []) + (node.onReceive or []):
                if instruction.startswith("say #!"):
                    assert instruction.split()[1][2:] in bot.content


def test_support_bot_first_turn_is_the_reference_conversation(tmp_path: Path) -> None:
    """Turn one: entry -> node-aedb, the welcome (typing, markdown), then the flow ends."""
    assert build(BOTS / "support", tmp_path / "out").ok
    bot = load_bot(tmp_path / "out")
    assert bot.intents == [] and bot.qna == [] and bot.entities == []  # no NLU: the default nlu
    main = bot.flows["main.flow.json"]
    nodes = {n.name: n for n in main.nodes}
    assert main.startNode == "entry"
    entry, welcome = nodes["entry"], nodes["node-aedb"]
    assert entry.onEnter == [] and entry.onReceive is None
    # A new session has no last messages: the first condition is false, the default goes on.
    assert [(t.condition, t.node) for t in entry.next] == [
        ("session.lastMessages.length > 0", "menu"),
        ("true", "node-aedb"),
    ]
    assert welcome.onReceive is None
    assert [(t.condition, t.node) for t in welcome.next] == [("true", "END")]
    [say] = welcome.onEnter or []
    element_id = say.removeprefix("say #!")
    assert bot.content_types[element_id] == "builtin_text"
    assert bot.content[element_id].formData == {
        "markdown$en": True,
        "text$en": "Hey there, welcome to **Botpress Support**!",
        "typing$en": True,
    }
