"""``ask`` and ``fill`` compile to Botpress v12.30.9's choice (legacy) and slot skills: a
``skill-call`` node plus a generated flow of exactly the generator's shape (contract §2)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.compiler.util import compile_bot
from tests.compiler.util import flow_json
from tests.compiler.util import node
from tests.compiler.util import read_json
from tests.compiler.util import said

CHOICE_BOT = """
flow main
  node menu
    ask "What size?" typing
      option small "Small", "little" -> small
      option large "Large" -> large
      retries 2
      invalid "Please pick a size."
      repeat
      -> session.size
      on_failure -> sorry
  node small
    -> end
  node large
    -> end
  node sorry
    -> end
"""

SLOT_BOT = """
intent order
  - a [large](size) pizza
  - I want a pizza
  - pizza please
  slot size: size
  context ordering
entity size list
  small
  large
flow main
  node entry
    fill size
      ask "Which size?"
      retry "Sorry, which size?"
      retries 2
      expire_after 3 turns
      validate check_size
      on_filled -> done
      on_not_found -> failed
  node done
    -> end
  node failed
    -> end
"""


def _strip_sources(flow: dict[str, Any]) -> dict[str, Any]:
    return {**flow, "nodes": [{k: v for k, v in n.items() if k != "source"} for n in flow["nodes"]]}


def test_choice_skill_call_node(tmp_path: Path) -> None:
    _, out = compile_bot(tmp_path, CHOICE_BOT)
    menu = node(flow_json(out), "menu")
    suffix = menu["flow"].removeprefix("skills/choice-").removesuffix(".flow.json")
    assert re.fullmatch(r"[0-9a-f]{6}", suffix)
    skill = read_json(out / "flows" / menu["flow"])
    rid = skill["skillData"]["randomId"]
    assert {k: v for k, v in menu.items() if k != "source"} == {
        "id": f"skill-{suffix}",
        "name": "menu",
        "type": "skill-call",
        "onEnter": None,
        "onReceive": None,
        "next": [
            {"condition": f"temp['skill-choice-ret-{rid}'] == \"small\"", "node": "small", "caption": "User picked [small]"},
            {"condition": f"temp['skill-choice-ret-{rid}'] == \"large\"", "node": "large", "caption": "User picked [large]"},
            {"condition": "true", "node": "sorry", "caption": "On failure"},
        ],
        "skill": "choice",
        "flow": f"skills/choice-{suffix}.flow.json",
    }


def test_choice_skill_flow_has_the_legacy_generator_shape(tmp_path: Path) -> None:
    _, out = compile_bot(tmp_path, CHOICE_BOT)
    name = node(flow_json(out), "menu")["flow"]
    skill = read_json(out / "flows" / name)
    data = skill["skillData"]
    rid, content, invalid = data["randomId"], data["contentId"], data["invalidContentId"]
    assert re.fullmatch(r"[a-z0-9]{10}", rid)
    assert data == {
        "randomId": rid,
        "contentId": content,
        "invalidContentId": invalid,
        "keywords": {"small": ["small", "Small", "little"], "large": ["large", "Large"]},
        "config": {"nbMaxRetries": 2, "repeatChoicesOnInvalid": True, "variableName": ""},
    }
    save = {"type": "session", "name": "size", "value": f"{{{{ temp['skill-choice-ret-{rid}'] }}}}"}
    nodes = _strip_sources(skill)["nodes"]
    assert all(re.fullmatch(r"\d{6}", n.pop("id")) for n in nodes)
    assert {k: v for k, v in skill.items() if k != "nodes"} == {
        "version": "0.0.1", "catchAll": {"next": []}, "startNode": "entry", "skillData": data,
    }
    assert nodes == [
        {
            "name": "entry",
            "onEnter": [
                f'builtin/setVariable {{"type":"temp","name":"skill-choice-invalid-count-{rid}","value": 0}}',
                f'builtin/setVariable {{"type":"temp","name":"skill-choice-valid-{rid}","value": null}}',
                f'builtin/setVariable {{"type":"temp","name":"skill-choice-ret-{rid}","value": null}}',
                f'say #!{content} {{"skill":"choice"}}',
            ],
            "next": [{"condition": "true", "node": "parse"}],
        },
        {
            "name": "parse",
            "onEnter": [],
            "onReceive": [
                f"basic-skills/choice_parse_answer {json.dumps(data, separators=(',', ':'))}",
                f"builtin/setVariable {json.dumps(save, separators=(',', ':'))}",
            ],
            "next": [
                {"condition": f"temp['skill-choice-valid-{rid}'] === true", "node": "#"},
                {"condition": "true", "node": "invalid"},
            ],
            "triggers": [{"conditions": [{"id": "always"}]}],
        },
        {
            "name": "invalid",
            "onEnter": [f'basic-skills/choice_invalid_answer {{"randomId":"{rid}"}}'],
            "next": [
                {"condition": f"Number(temp['skill-choice-invalid-count-{rid}']) > Number(2)", "node": "#"},
                {"condition": "true", "node": "sorry"},
            ],
        },
        {
            "name": "sorry",
            "onEnter": [f"say #!{invalid} {{}}", f'say #!{content} {{"skill":"choice"}}'],
            "next": [{"condition": "true", "node": "parse"}],
        },
    ]
    assert said(out, f"say #!{content}") == {
        "choices$en": [{"title": "Small", "value": "small"}, {"title": "Large", "value": "large"}],
        "text$en": "What size?",
        "typing$en": True,
    }
    assert said(out, f"say #!{invalid}") == {"text$en": "Please pick a size."}
    assert read_json(out / "flows" / name.replace(".flow.json", ".ui.json")) == {
        "nodes": [{"id": n["id"], "position": {}} for n in skill["nodes"]]
    }


def test_choice_defaults(tmp_path: Path) -> None:
    _, out = compile_bot(tmp_path, 'flow main\n  node m\n    ask "Q"\n      option a "A" -> m\n      on_failure -> end\n')
    skill = read_json(out / "flows" / node(flow_json(out), "m")["flow"])
    assert skill["skillData"]["invalidContentId"] == ""
    assert skill["skillData"]["config"] == {"nbMaxRetries": 3, "repeatChoicesOnInvalid": False, "variableName": ""}
    assert node(skill, "sorry")["onEnter"] == []
    assert len(node(skill, "parse")["onReceive"]) == 1


def test_slot_skill_call_node_and_flow(tmp_path: Path) -> None:
    _, out = compile_bot(tmp_path, SLOT_BOT, files={"actions/check_size.py": "async def run(temp):\n    pass\n"})
    entry = node(flow_json(out), "entry")
    suffix = entry["flow"].removeprefix("skills/Slot-").removesuffix(".flow.json")
    assert {k: v for k, v in entry.items() if k != "source"} == {
        "id": f"skill-{suffix}",
        "name": "entry",
        "type": "skill-call",
        "onEnter": None,
        "onReceive": None,
        "next": [
            {"condition": 'temp.extracted == "true"', "node": "done", "caption": "On extracted"},
            {"condition": 'temp.notExtracted == "true"', "node": "failed", "caption": "On not found"},
            {"condition": 'temp.alreadyExtracted == "true"', "node": "done", "caption": "On already extracted"},
        ],
        "skill": "Slot",
        "flow": f"skills/Slot-{suffix}.flow.json",
    }
    skill = read_json(out / "flows" / entry["flow"])
    data = skill["skillData"]
    ask, retry = data["contentElement"], data["notFoundElement"]
    assert data == {
        "retryAttempts": 2, "contentElement": ask, "notFoundElement": retry, "turnExpiry": 3,
        "intent": "order", "slotName": "size", "entities": ["size"], "validationAction": "check_size",
    }
    assert (skill["startNode"], skill["catchAll"], skill["version"]) == ("check-if-extracted", {"next": []}, "0.0.1")
    fill = 'basic-skills/slot_fill {"slotName":"size","entities":"size", "turnExpiry":3}'
    extracted = "session.slots['size'] && (temp.valid === undefined || temp.valid == \"true\")"
    reset = 'builtin/setVariable {"type":"temp","name":"valid","value": "true"}'
    nodes = _strip_sources(skill)["nodes"]
    assert all(re.fullmatch(r"\d{6}", n.pop("id")) for n in nodes)
    assert nodes == [
        {
            "name": "slot-extract",
            "onEnter": [f"say #!{ask} {{}}"],
            "onReceive": [fill, "check_size {}"],
            "next": [{"condition": extracted, "node": "extracted"}, {"condition": "true", "node": "not-extracted"}],
        },
        {
            "name": "extracted",
            "onEnter": ['builtin/setVariable {"type":"temp","name":"extracted","value":"true"}'],
            "next": [{"condition": "true", "node": "#"}],
        },
        {
            "name": "not-extracted",
            "onEnter": ['basic-skills/slot_not_found {"retryAttempts":"2"}', f"say #!{retry} {{}}", reset],
            "onReceive": [fill, "check_size {}"],
            "next": [
                {"condition": extracted, "node": "extracted"},
                {"condition": 'temp.notExtracted == "true"', "node": "#"},
                {"condition": "true", "node": "not-extracted"},
            ],
        },
        {
            "name": "check-if-extracted",
            "onEnter": ['basic-skills/slot_update_contexts {"intentName":"order"}'],
            "next": [
                {"condition": "session.slots['size'] !== undefined", "node": "already-extracted"},
                {"condition": "true", "node": "slot-extract"},
            ],
        },
        {
            "name": "already-extracted",
            "onEnter": ['builtin/setVariable {"type":"temp","name":"alreadyExtracted","value":"true"}', reset, "check_size {}"],
            "next": [
                {"condition": ' (temp.valid === undefined || temp.valid == "true")', "node": "#"},
                {"condition": "true", "node": "slot-extract"},
            ],
        },
    ]
    assert said(out, f"say #!{ask}") == {"text$en": "Which size?"}
    assert said(out, f"say #!{retry}") == {"text$en": "Sorry, which size?"}


def test_slot_defaults_and_explicit_intent(tmp_path: Path) -> None:
    _, out = compile_bot(
        tmp_path,
        SLOT_BOT.replace("      retry \"Sorry, which size?\"\n      retries 2\n      expire_after 3 turns\n"
                         "      validate check_size\n", "").replace("fill size", "fill order.size")
        .replace("on_not_found -> failed", "on_already_filled -> failed\n      on_not_found -> failed"),
    )
    entry = node(flow_json(out), "entry")
    assert [t["node"] for t in entry["next"]] == ["done", "failed", "failed"]
    data = read_json(out / "flows" / entry["flow"])["skillData"]
    assert (data["retryAttempts"], data["turnExpiry"], data["notFoundElement"]) == (3, -1, data["contentElement"])
    assert "validationAction" not in data
