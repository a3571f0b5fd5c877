"""Conditions compile to the JavaScript-style expressions of Botpress flows (contract §2)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.compiler.util import compile_bot
from tests.compiler.util import flow_json
from tests.compiler.util import node

NLU = """
intent greet
  - hi
  - hello
  - hey
  slot city: any
"""


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("intent greet", "event.nlu.intent.name === 'greet'"),
        ("intent none", "event.nlu.intent.name === 'none'"),
        ("slot city", "session.slots.city !== undefined"),
        ("temp.ok", "temp.ok"),
        ("not temp.ok", "!temp.ok"),
        ("not not temp.ok", "!!temp.ok"),
        ("session.count > 3", "session.count > 3"),
        ('user.name == "Bob"', 'user.name == "Bob"'),
        ("user.age != 2.5", "user.age != 2.5"),
        ("temp.x <= -1", "temp.x <= -1"),
        ("temp.flag == true", "temp.flag == true"),
        ("temp.value == null", "temp.value == null"),
        ("temp.x is set", "temp.x !== undefined"),
        ("temp.x is not set", "temp.x === undefined"),
        ('temp.text contains "pizza"', 'temp.text.includes("pizza")'),
        ("number(temp.n) >= 2", "Number(temp.n) >= 2"),
        ('temp["skill-choice-ret"] == "a"', "temp['skill-choice-ret'] == \"a\""),
        ("temp.items[0].name is set", "temp.items[0].name !== undefined"),
        ("event.nlu.intent.name == \"greet\"", 'event.nlu.intent.name == "greet"'),
        ("session.lastMessages.length > 0", "session.lastMessages.length > 0"),
        ("intent greet and temp.ok", "event.nlu.intent.name === 'greet' && temp.ok"),
        ("temp.a or temp.b and temp.c", "temp.a || temp.b && temp.c"),
        ("(temp.a or temp.b) and temp.c", "(temp.a || temp.b) && temp.c"),
        ("not (temp.a and temp.b)", "!(temp.a && temp.b)"),
        ("not temp.n > 2", "!(temp.n > 2)"),
        ('temp.quote == "it\'s \\"x\\""', 'temp.quote == "it\'s \\"x\\""'),
    ],
)
def test_condition_compiles_to_javascript(tmp_path: Path, condition: str, expected: str) -> None:
    flow = f"""
        flow main
          node entry
            listen
            when {condition} -> done
            else -> done
          node done
            -> end
        """
    _, out = compile_bot(tmp_path, NLU + textwrap.dedent(flow))
    transitions = node(flow_json(out), "entry")["next"]
    assert transitions == [{"condition": expected, "node": "done"}, {"condition": "true", "node": "done"}]


def test_intent_names_are_quoted_as_javascript_strings(tmp_path: Path) -> None:
    _, out = compile_bot(
        tmp_path,
        """
        intent it-s
          - a
          - b
          - c
        flow main
          node entry
            listen
            when intent it-s -> entry
            else -> end
        """,
    )
    assert node(flow_json(out), "entry")["next"][0]["condition"] == "event.nlu.intent.name === 'it-s'"
