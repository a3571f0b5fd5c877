"""Generated skill flows (v12.30.9 shapes): choice with a randomId and slot filling (§4.3, §4.4)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flowbot.runtime.service import ConversationService
from tests.runtime.botkit import FakeNlu
from tests.runtime.botkit import flow
from tests.runtime.botkit import make_service
from tests.runtime.botkit import node
from tests.runtime.botkit import position
from tests.runtime.botkit import say
from tests.runtime.botkit import texts
from tests.runtime.botkit import write_bot

RID = "k3x9q2m1zz"
CHOICE = "builtin_single-choice-color"
KEYWORDS = {"red": ["red", "Red", "intent:likes_red"], "blue": ["blue", "Blue"]}
TEXTS = {
    f"builtin_text-{n}": n for n in ("red", "blue", "failed", "sorry", "ask-date", "not-found", "got", "had")
}


def run(action: str, args: dict[str, Any] | None = None) -> str:
    return f"{action} {json.dumps(args)}" if args is not None else action


def choice_flow() -> dict[str, Any]:
    set_temp = 'builtin/setVariable {{"type":"temp","name":"skill-choice-{}-' + RID + '","value": {}}}'
    return flow(
        node(
            "entry",
            on_enter=[
                set_temp.format("invalid-count", "0"),
                set_temp.format("valid", "null"),
                set_temp.format("ret", "null"),
                f'say #!{CHOICE} {{"skill":"choice"}}',
            ],
            next=[("true", "parse")],
        ),
        node(
            "parse",
            on_receive=[
                run(
                    "basic-skills/choice_parse_answer",
                    {
                        "contentId": CHOICE,
                        "keywords": KEYWORDS,
                        "config": {"nbMaxRetries": 2},
                        "randomId": RID,
                    },
                )
            ],
            next=[(f"temp['skill-choice-valid-{RID}'] === true", "#"), ("true", "invalid")],
        ),
        node(
            "invalid",
            on_enter=[run("basic-skills/choice_invalid_answer", {"randomId": RID})],
            next=[(f"Number(temp['skill-choice-invalid-count-{RID}']) > Number(2)", "#"), ("true", "sorry")],
        ),
        node(
            "sorry",
            on_enter=["say #!builtin_text-sorry", f'say #!{CHOICE} {{"skill":"choice"}}'],
            next=[("true", "parse")],
        ),
    )


def choice_bot(tmp_path: Path) -> Path:
    call = {
        **node(
            "pick",
            next=[
                (f"temp['skill-choice-ret-{RID}'] == \"red\"", "red"),
                (f"temp['skill-choice-ret-{RID}'] == \"blue\"", "blue"),
                ("true", "failed"),
            ],
        ),
        "type": "skill-call",
        "skill": "choice",
        "flow": "skills/choice-color.flow.json",
        "onEnter": None,
    }
    main = flow(call, *(node(n, on_enter=[f"say #!builtin_text-{n}"]) for n in ("red", "blue", "failed")))
    element = {
        "id": CHOICE,
        "formData": {
            "text$en": "Pick a color",
            "choices$en": [{"title": "Red", "value": "red"}, {"title": "Blue", "value": "blue"}],
        },
    }
    return write_bot(
        tmp_path / "bot",
        {"main.flow.json": main, "skills/choice-color.flow.json": choice_flow()},
        texts=TEXTS,
        content={"builtin_single-choice": [element]},
    )


async def test_choice_with_random_id_keys(tmp_path: Path) -> None:
    nlu = FakeNlu(
        {"I like that warm color": {"intent": {"name": "likes_red", "confidence": 0.9, "context": "global"}}}
    )
    service = make_service(choice_bot(tmp_path), nlu=nlu)
    first = await say(service, "bot", "hi")
    assert texts(first) == ["Pick a color"]
    assert first.state["temp"] == {
        f"skill-choice-invalid-count-{RID}": 0,
        f"skill-choice-valid-{RID}": None,
        f"skill-choice-ret-{RID}": None,
    }
    assert texts(await say(service, "bot", "Blue")) == ["blue"]
    await say(service, "bot", "hi")
    assert texts(await say(service, "bot", "I like that warm color")) == ["red"]  # `intent:` keyword
    await say(service, "bot", "hi")
    assert texts(await say(service, "bot", "1.")) == ["red"]  # by number


async def test_choice_retries_then_fails(tmp_path: Path) -> None:
    service = make_service(choice_bot(tmp_path))
    await say(service, "bot", "hi")
    for count in (1, 2):
        result = await say(service, "bot", "green")
        assert texts(result) == ["sorry", "Pick a color"]
        assert result.state["temp"][f"skill-choice-invalid-count-{RID}"] == count
    result = await say(service, "bot", "green")
    assert texts(result) == ["failed"]
    assert result.state["context"] == {}


SLOT_DATA = {"slotName": "date", "entities": "time", "turnExpiry": -1}


def slot_flow(retry_attempts: int = 1) -> dict[str, Any]:
    extracted = "session.slots['date'] && (temp.valid === undefined || temp.valid == \"true\")"
    set_temp = 'builtin/setVariable {{"type":"temp","name":"{}","value":"true"}}'
    return flow(
        node(
            "slot-extract",
            on_enter=["say #!builtin_text-ask-date {}"],
            on_receive=[run("basic-skills/slot_fill", SLOT_DATA)],
            next=[(extracted, "extracted"), ("true", "not-extracted")],
        ),
        node("extracted", on_enter=[set_temp.format("extracted")], next=[("true", "#")]),
        node(
            "not-extracted",
            on_enter=[
                run("basic-skills/slot_not_found", {"retryAttempts": str(retry_attempts)}),
                "say #!builtin_text-not-found {}",
            ],
            on_receive=[run("basic-skills/slot_fill", SLOT_DATA)],
            next=[(extracted, "extracted"), ('temp.notExtracted == "true"', "#"), ("true", "")],
        ),
        node(
            "check-if-extracted",
            on_enter=[run("basic-skills/slot_update_contexts", {"intentName": "book"})],
            next=[("session.slots['date'] !== undefined", "already-extracted"), ("true", "slot-extract")],
        ),
        node("already-extracted", on_enter=[set_temp.format("alreadyExtracted")], next=[("true", "#")]),
        start="check-if-extracted",
    )


def slot_service(tmp_path: Path, nlu: FakeNlu) -> ConversationService:
    call = {
        **node(
            "fill",
            next=[
                ('temp.extracted == "true"', "got"),
                ('temp.notExtracted == "true"', "failed"),
                ('temp.alreadyExtracted == "true"', "had"),
            ],
        ),
        "type": "skill-call",
        "skill": "Slot",
        "flow": "skills/Slot-date.flow.json",
        "onEnter": None,
    }
    main = flow(call, *(node(n, on_enter=[f"say #!builtin_text-{n}"]) for n in ("got", "failed", "had")))
    intents = [
        {
            "name": "book",
            "contexts": ["booking"],
            "utterances": {"en": ["book [tomorrow](date)"]},
            "slots": [{"name": "date", "entities": ["time"]}],
        }
    ]
    flows = {"main.flow.json": main, "skills/Slot-date.flow.json": slot_flow()}
    return make_service(write_bot(tmp_path / "bot", flows, texts=TEXTS, intents=intents), nlu=nlu)


TOMORROW = {
    "name": "time",
    "type": "system.time",
    "meta": {"start": 0, "end": 8, "confidence": 1},
    "data": {"value": "2024-05-02", "unit": "day"},
}


async def test_slot_is_asked_then_filled_from_an_entity(tmp_path: Path) -> None:
    service = slot_service(tmp_path, FakeNlu({"tomorrow": {"entities": [TOMORROW]}}))
    first = await say(service, "bot", "book a table")
    assert texts(first) == ["ask-date"]
    assert first.state["session"]["nluContexts"] == [{"context": "booking", "ttl": 1000}]
    assert first.state["temp"] == {
        "tryFillSlotCount": 1,
        "extracted": False,
        "notExtracted": False,
        "alreadyExtracted": False,
    }
    result = await say(service, "bot", "tomorrow")
    assert texts(result) == ["got"]
    slot = result.state["session"]["slots"]["date"]
    assert (slot["value"], slot["entity"], slot["turns"], slot["expiresAfterTurns"]) == (
        "2024-05-02",
        TOMORROW,
        0,
        -1,
    )


async def test_slot_not_found_retries_then_gives_up(tmp_path: Path) -> None:
    service = slot_service(tmp_path, FakeNlu())
    await say(service, "bot", "book a table")
    result = await say(service, "bot", "no idea")
    assert texts(result) == ["not-found"]
    # one retry allowed: slot_not_found flags the failure for the next answer
    assert result.state["temp"]["notExtracted"] == "true"
    assert result.state["session"]["slots"] == {"notFound": 1}
    assert position(result) == ("skills/Slot-date.flow.json", "not-extracted")
    result = await say(service, "bot", "still no idea")
    assert texts(result) == ["failed"]


async def test_slot_already_extracted_by_the_nlu_slots(tmp_path: Path) -> None:
    slot = {
        "name": "date",
        "value": "2024-05-02",
        "source": "tomorrow",
        "entity": TOMORROW,
        "confidence": 1,
        "start": 9,
        "end": 17,
    }
    service = slot_service(tmp_path, FakeNlu({"book for tomorrow": {"slots": {"date": slot}}}))
    assert texts(await say(service, "bot", "book for tomorrow")) == ["had"]


async def test_choice_keywords_match_exactly_first_then_as_substrings_or_regexes(tmp_path: Path) -> None:
    keywords = {"yes": ["/^y(es|ep)?$/i"], "maybe": ["not sure", "n"], "no": ["no"]}
    parse = run("basic-skills/choice_parse_answer", {"contentId": "none", "keywords": keywords})
    main = flow(node("ask", on_receive=[parse], next=[("true", "ask")]))
    service = make_service(write_bot(tmp_path / "bot", {"main.flow.json": main}))
    await say(service, "bot", "hi")
    # "no" is an exact answer: it wins over maybe's "n", which would match as a substring
    for text, expected in (("YEP", "yes"), ("no", "no"), ("well, not sure", "maybe"), ("nah", "maybe")):
        result = await say(service, "bot", text)
        assert result.state["temp"]["skill-choice-ret"] == expected, text
    result = await say(service, "bot", "purple")  # no keyword in it
    assert result.state["temp"]["skill-choice-valid"] is False
