"""A say of an element without templates or variations is rendered once per language, then
copied: the same payloads every turn, each turn its own objects, nothing else cached."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from flowbot.runtime import bot_runtime
from tests.runtime.botkit import flow
from tests.runtime.botkit import make_service
from tests.runtime.botkit import node
from tests.runtime.botkit import say
from tests.runtime.botkit import texts
from tests.runtime.botkit import write_bot

CHOICE = {
    "id": "builtin_single-choice-menu",
    "formData": {
        "text$en": "Pick one",
        "text$fr": "Choisissez",
        "choices$en": [{"title": "Docs", "value": "docs"}],
        "choices$fr": [{"title": "Docs", "value": "docs"}],
        "typing$en": True,
    },
}
# The hook changes every payload it sees: a cached payload must never carry it into the next turn.
MARK = {
    "before_outgoing": {
        "01_mark.py": "async def run(payload):\n    payload['marks'] = payload.get('marks', 0) + 1\n"
    }
}


def bot(tmp_path: Path, on_enter: list[str], **options: Any) -> Path:
    main = flow(
        node("speak", on_enter=on_enter, next=[("true", "wait")]),
        node("wait", on_receive=[], next=[("true", "speak")]),
    )
    return write_bot(tmp_path / "bot", {"main.flow.json": main}, **options)


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    original = bot_runtime.render_content

    def counting(content_type: str, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        seen.append(content_type)
        return original(content_type, *args, **kwargs)

    monkeypatch.setattr(bot_runtime, "render_content", counting)
    return seen


async def test_a_static_element_is_rendered_once_and_each_turn_gets_its_own_copy(
    tmp_path: Path, renders: list[str]
) -> None:
    root = bot(
        tmp_path,
        ["say #!builtin_single-choice-menu"],
        content={"builtin_single-choice": [CHOICE]},
        hooks=MARK,
    )
    service = make_service(root)
    answers = [await say(service, "bot", f"turn {n}") for n in range(3)]
    assert len(renders) == 1
    for answer in answers:
        assert answer.responses[-1] == {
            "type": "single-choice",
            "text": "Pick one",
            "quick_replies": [{"title": "Docs", "payload": "DOCS"}],
            "typing": True,
            "marks": 1,
        }
    assert answers[0].responses[-1] is not answers[1].responses[-1]


async def test_each_language_has_its_own_rendering(tmp_path: Path, renders: list[str]) -> None:
    setter = 'builtin/setVariable {"type":"user","name":"language","value":"fr"}'
    content = {"builtin_single-choice": [CHOICE]}
    service = make_service(bot(tmp_path, [setter, "say #!builtin_single-choice-menu"], content=content))
    assert texts(await say(service, "bot", "hi"))[-1] == "Pick one"  # the language is set in this turn
    assert texts(await say(service, "bot", "again"))[-1] == "Choisissez"
    assert texts(await say(service, "bot", "and again"))[-1] == "Choisissez"
    assert len(renders) == 2


async def test_templates_and_variations_are_rendered_at_every_turn(
    tmp_path: Path, renders: list[str]
) -> None:
    texts_ = {"builtin_text-echo": "You said {{event.payload.text}}"}
    root = bot(tmp_path, ["say #!builtin_text-echo"], texts=texts_)
    service = make_service(root)
    assert texts(await say(service, "bot", "one")) == ["You said one"]
    assert texts(await say(service, "bot", "two")) == ["You said two"]
    varied = {"id": "builtin_text-hello", "formData": {"text$en": "a", "variations$en": ["b", "c", "d"]}}
    root = bot(tmp_path / "varied", ["say #!builtin_text-hello"], content={"builtin_text": [varied]})
    service = make_service(root)
    service.rng = random.Random(7)  # the test kit's source always picks the first option
    renders.clear()
    picked = {texts(await say(service, "bot", str(n)))[-1] for n in range(40)}
    assert len(renders) == 40 and len(picked) > 1
