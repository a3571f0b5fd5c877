"""List entities (synonyms, fuzzy matching, case) and pattern entities (regexes with a time limit)."""

from __future__ import annotations

import logging

import pytest

from flowbot.runtime.flow import EntityDefinition
from flowbot.runtime.nlu.entities import EntityDefinitionError
from flowbot.runtime.nlu.entities import EntityExtractor
from flowbot.runtime.nlu.entities.custom import PatternExtractor
from tests.runtime.nlu.botfactory import list_entity
from tests.runtime.nlu.botfactory import pattern_entity

CITIES = list_entity(
    "city", {"New York": ["NYC", "big apple"], "Paris": ["city of lights"], "Montreal": []}, fuzzy=0.8
)


def custom(text: str, *defs: dict) -> list[dict]:
    extractor = EntityExtractor([EntityDefinition.model_validate(d) for d in defs])
    return [e.to_dict() for e in extractor.extract(text, "en") if e.type.startswith("custom.")]


def test_list_entity_matches_values_and_synonyms_with_positions() -> None:
    text = "flights from the big apple to Paris"
    found = custom(text, CITIES)
    assert [(e["data"]["value"], e["meta"]["source"]) for e in found] == [
        ("New York", "big apple"),
        ("Paris", "Paris"),
    ]
    apple = found[0]
    assert text[apple["meta"]["start"] : apple["meta"]["end"]] == "big apple"
    assert apple == {
        "name": "city",
        "type": "custom.list.city",
        "meta": {
            "sensitive": False,
            "confidence": 1.0,
            "provider": "list",
            "source": "big apple",
            "start": 17,
            "end": 26,
        },
        "data": {"value": "New York", "unit": "", "extras": {"occurrence": "big apple"}},
    }


def test_list_entity_is_case_insensitive_unless_match_case() -> None:
    assert [e["data"]["value"] for e in custom("to nyc please", CITIES)] == ["New York"]
    strict = list_entity("city", {"New York": ["NYC"]}, fuzzy=1.0, matchCase=True)
    assert custom("to nyc please", strict) == []
    assert [e["data"]["value"] for e in custom("to NYC please", strict)] == ["New York"]


def test_fuzzy_matching_follows_the_tolerance() -> None:
    medium = custom("a trip to Montral", CITIES)
    assert [(e["data"]["value"], e["meta"]["source"]) for e in medium] == [("Montreal", "Montral")]
    assert 0.8 <= medium[0]["meta"]["confidence"] < 1.0
    strict = list_entity("city", {"Montreal": []}, fuzzy=1.0)
    assert custom("a trip to Montral", strict) == []
    loose = list_entity("city", {"Montreal": []}, fuzzy=0.65)
    assert [e["data"]["value"] for e in custom("a trip to Mntrl", loose)] == ["Montreal"]
    assert custom("a trip to Mntrl", CITIES) == []


def test_fuzzy_matching_ignores_short_words() -> None:
    pets = list_entity("pet", {"cat": [], "dog": []}, fuzzy=0.65)
    assert custom("I have a car", pets) == []
    assert [e["data"]["value"] for e in custom("I have a cat", pets)] == ["cat"]


def test_overlapping_matches_keep_the_best_and_the_longest() -> None:
    foods = list_entity("food", {"ice cream": [], "cream": [], "ice": []}, fuzzy=1.0)
    assert [e["meta"]["source"] for e in custom("some ice cream and ice", foods)] == ["ice cream", "ice"]


def test_sensitive_entities_are_flagged() -> None:
    card = pattern_entity("card", r"\d{4}-\d{4}", sensitive=True)
    assert custom("my card is 1234-5678", card)[0]["meta"]["sensitive"] is True


def test_pattern_entity_extracts_every_match() -> None:
    order = pattern_entity("order_id", r"[A-Z]{2}-\d{3,5}")
    found = custom("orders ab-123 and CD-98765, not X-1", order)
    assert [(e["data"]["value"], e["meta"]["start"], e["type"]) for e in found] == [
        ("ab-123", 7, "custom.pattern.order_id"),
        ("CD-98765", 18, "custom.pattern.order_id"),
    ]
    assert [
        e["data"]["value"] for e in custom("orders ab-123 and CD-98765", {**order, "matchCase": True})
    ] == ["CD-98765"]


def test_a_pathological_pattern_is_cut_off_not_hanging(caplog: pytest.LogCaptureFixture) -> None:
    slow = PatternExtractor([EntityDefinition.model_validate(pattern_entity("slow", r"^(a|aa)+$"))])
    with caplog.at_level(logging.WARNING):
        assert slow.extract("a" * 64 + "b") == []
    assert "took longer than" in caplog.text


@pytest.mark.parametrize(
    "definition, message",
    [
        (pattern_entity("bad", r"([a-z]+"), "invalid pattern"),
        (pattern_entity("empty", ""), "non-empty 'pattern'"),
    ],
)
def test_invalid_patterns_are_reported_with_the_entity_file(definition: dict, message: str) -> None:
    with pytest.raises(EntityDefinitionError, match=message) as info:
        EntityExtractor([EntityDefinition.model_validate(definition)])
    assert f"entities/{definition['name']}.json" in str(info.value)
