"""Slots of the elected intent: from entities, with a trained tagger when one entity type fills
several slots, and ``any`` slots from the annotated spans."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowbot.runtime.nlu import NluModel
from flowbot.runtime.nlu import train_nlu
from flowbot.runtime.nlu.data import parse_annotated
from tests.runtime.nlu.botfactory import NOW
from tests.runtime.nlu.botfactory import intent
from tests.runtime.nlu.botfactory import list_entity
from tests.runtime.nlu.botfactory import make_bot

CITY = list_entity(
    "city",
    {
        "Paris": [],
        "Rome": [],
        "London": [],
        "Berlin": [],
        "Madrid": [],
        "Lisbon": [],
        "New York": ["NYC"],
        "Tokyo": [],
    },
)
FLIGHT = intent(
    "book_flight",
    [
        "fly from [Paris](origin) to [Rome](destination)",
        "i want to go to [London](destination) from [Berlin](origin)",
        "book a flight from [Madrid](origin) to [Lisbon](destination)",
        "a ticket to [Tokyo](destination) leaving from [Paris](origin)",
        "from [NYC](origin) to [London](destination) please",
        "i need a flight to [Berlin](destination)",
        "flights to [Rome](destination) from [London](origin) [tomorrow](date)",
        "leaving [Lisbon](origin) for [Madrid](destination) on [friday](date)",
        "book me a flight",
    ],
    slots=[
        {"name": "origin", "entities": ["city"]},
        {"name": "destination", "entities": ["city"]},
        {"name": "date", "entities": ["time"]},
    ],
)
NOTE = intent(
    "take_note",
    [
        "note that [the milk is sour](content)",
        "write down [call mom on sunday](content)",
        "remember that [my bike is blue](content)",
        "note that [the keys are in the car](content)",
        "write down [buy new shoes](content)",
        "take a note",
    ],
    slots=[{"name": "content", "entities": ["any"]}],
)
GREET = intent("greet", ["hello", "hi", "hey there", "good morning", "hello bot"])


@pytest.fixture(scope="module")
def travel(tmp_path_factory: pytest.TempPathFactory) -> NluModel:
    model = train_nlu(make_bot(tmp_path_factory.mktemp("travel") / "travel", [FLIGHT, NOTE, GREET], [CITY]))
    model.use_clock(lambda: NOW)
    return model


def test_annotations_are_parsed_into_text_and_spans() -> None:
    text, spans = parse_annotated("fly from [New York](origin) to [Rome](destination)")
    assert text == "fly from New York to Rome"
    assert [(s.slot, text[s.start : s.end]) for s in spans] == [
        ("origin", "New York"),
        ("destination", "Rome"),
    ]
    assert parse_annotated("no [slot here") == ("no [slot here", ())


def test_slots_have_the_botpress_shape(travel: NluModel) -> None:
    nlu = travel.predict("I want a flight from Paris to Tokyo tomorrow", ["global"])
    assert nlu["intent"]["name"] == "book_flight"
    origin = nlu["slots"]["origin"]
    assert set(origin) == {"name", "value", "source", "entity", "confidence", "start", "end"}
    assert (origin["name"], origin["value"], origin["source"]) == ("origin", "Paris", "Paris")
    assert origin["entity"]["type"] == "custom.list.city"
    assert 0 < origin["confidence"] <= 1
    assert nlu["slots"]["date"]["entity"]["name"] == "time"
    assert nlu["slots"]["date"]["value"].startswith("2024-05-02")


@pytest.mark.parametrize(
    "text, origin, destination",
    [
        ("fly from Paris to Tokyo", "Paris", "Tokyo"),
        ("fly to Paris from Tokyo", "Tokyo", "Paris"),
        ("I'd like to go to Madrid from Berlin", "Berlin", "Madrid"),
        ("a flight leaving from Rome to NYC", "Rome", "New York"),
    ],
)
def test_a_tagger_tells_two_slots_of_one_entity_type_apart(
    travel: NluModel, text: str, origin: str, destination: str
) -> None:
    slots = travel.predict(text, ["global"])["slots"]
    assert (slots["origin"]["value"], slots["destination"]["value"]) == (origin, destination)


def test_a_single_city_goes_where_the_words_around_it_say(travel: NluModel) -> None:
    assert set(travel.predict("I need a flight to Lisbon", ["global"])["slots"]) == {"destination"}
    assert set(travel.predict("I need a flight from Lisbon", ["global"])["slots"]) == {"origin"}


def test_an_any_slot_takes_the_tagged_span(travel: NluModel) -> None:
    nlu = travel.predict("note that the car needs washing", ["global"])
    assert nlu["intent"]["name"] == "take_note"
    content = nlu["slots"]["content"]
    assert content["value"] == content["source"] == "the car needs washing"
    assert content["entity"] is None


def test_no_slots_for_an_intent_without_slot_definitions(travel: NluModel) -> None:
    assert travel.predict("hello there Paris", ["global"])["slots"] == {}


def test_without_annotations_one_slot_per_entity_type_is_filled_from_entities(tmp_path: Path) -> None:
    order = intent(
        "order",
        ["i want a pizza", "a pizza please", "pizza for me", "can i get a pizza"],
        slots=[{"name": "count", "entities": ["number"]}, {"name": "when", "entities": ["time"]}],
    )
    model = train_nlu(make_bot(tmp_path / "bot", [order, GREET]))
    model.use_clock(lambda: NOW)
    slots = model.predict("i want 3 pizza tomorrow at 8pm", ["global"])["slots"]
    assert slots["count"]["value"] == 3
    assert slots["when"]["value"] == "2024-05-02T20:00:00.000+00:00"
    assert model.languages["en"].tagger is None
