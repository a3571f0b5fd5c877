"""System entities: number, ordinal, amountOfMoney, email, url, phoneNumber, time, duration."""

from __future__ import annotations

from typing import Any

import pytest

from flowbot.runtime.nlu.entities import EntityExtractor
from tests.runtime.nlu.botfactory import NOW


@pytest.fixture(scope="module")
def extractor() -> EntityExtractor:
    return EntityExtractor([], timezone="Europe/Paris", phone_region="US", clock=lambda: NOW)


def found(extractor: EntityExtractor, text: str, language: str = "en") -> list[tuple[str, str, Any, str]]:
    return [(e.name, e.meta.source, e.data.value, e.data.unit) for e in extractor.extract(text, language)]


def test_system_entity_shape(extractor: EntityExtractor) -> None:
    [entity] = extractor.extract("I need 12 chairs", "en")
    assert entity.to_dict() == {
        "name": "number",
        "type": "system.number",
        "meta": {
            "sensitive": False,
            "confidence": 1.0,
            "provider": "native",
            "source": "12",
            "start": 7,
            "end": 9,
        },
        "data": {"value": 12, "unit": "", "extras": {}},
    }


def test_numbers_in_digits_and_words(extractor: EntityExtractor) -> None:
    assert found(extractor, "twenty three apples and 1,500.50 pears") == [
        ("number", "twenty three", 23, ""),
        ("number", "1,500.50", 1500.5, ""),
    ]
    assert found(extractor, "vingt-trois pommes et 3,5 kilos", "fr") == [
        ("number", "vingt-trois", 23, ""),
        ("number", "3,5", 3.5, ""),
    ]
    assert found(extractor, "-4 degrees") == [("number", "-4", -4, "")]


def test_ordinals(extractor: EntityExtractor) -> None:
    assert found(extractor, "the 3rd one, no, the first") == [
        ("ordinal", "3rd", 3, ""),
        ("number", "one", 1, ""),
        ("ordinal", "first", 1, ""),
    ]
    assert found(extractor, "la première", "fr") == [("ordinal", "première", 1, "")]


def test_amounts_of_money(extractor: EntityExtractor) -> None:
    assert found(extractor, "it costs $20 or 15 euros or EUR 30.5 or 5 bucks or 3€") == [
        ("amountOfMoney", "$20", 20, "$"),
        ("amountOfMoney", "15 euros", 15, "EUR"),
        ("amountOfMoney", "EUR 30.5", 30.5, "EUR"),
        ("amountOfMoney", "5 bucks", 5, "$"),
        ("amountOfMoney", "3€", 3, "EUR"),
    ]


def test_emails_and_urls(extractor: EntityExtractor) -> None:
    text = (
        "mail john.doe+x@example.co.uk or see https://flowbot.dev/docs?a=1. "
        "or www.example.com, example.org/path, e.g. file.txt"
    )
    assert found(extractor, text) == [
        ("email", "john.doe+x@example.co.uk", "john.doe+x@example.co.uk", ""),
        ("url", "https://flowbot.dev/docs?a=1", "https://flowbot.dev/docs?a=1", ""),
        ("url", "www.example.com", "www.example.com", ""),
        ("url", "example.org/path", "example.org/path", ""),
    ]
    url = extractor.extract("see https://flowbot.dev/docs", "en")[0]
    assert url.data.extras == {"domain": "flowbot.dev"}


def test_phone_numbers(extractor: EntityExtractor) -> None:
    assert found(extractor, "call +33 1 42 68 53 00 or (212) 555-0199, not 12345") == [
        ("phoneNumber", "+33 1 42 68 53 00", "+33142685300", ""),
        ("phoneNumber", "(212) 555-0199", "+12125550199", ""),
        ("number", "12345", 12345, ""),
    ]


def test_phone_region_comes_from_the_config() -> None:
    french = EntityExtractor([], phone_region="FR")
    assert [(e.name, e.data.value) for e in french.extract("appelez le 01 42 68 53 00", "fr")] == [
        ("phoneNumber", "+33142685300")
    ]


@pytest.mark.parametrize(
    "text, language, source, value, grain",
    [
        ("book it for tomorrow at 5pm", "en", "tomorrow at 5pm", "2024-05-02T17:00:00.000+02:00", "hour"),
        ("on 2024-07-14 at 10:30", "en", "2024-07-14 at 10:30", "2024-07-14T10:30:00.000+02:00", "minute"),
        ("we meet on friday", "en", "friday", "2024-05-03T00:00:00.000+02:00", "day"),
        ("remind me next week", "en", "next week", "2024-05-08T14:00:00.000+02:00", "week"),
        ("the 5th of june at noon", "en", "5th of june at noon", "2024-06-05T12:00:00.000+02:00", "hour"),
        ("demain à 17h", "fr", "demain à 17h", "2024-05-02T17:00:00.000+02:00", "hour"),
    ],
)
def test_dates_and_times(
    extractor: EntityExtractor, text: str, language: str, source: str, value: str, grain: str
) -> None:
    times = [e for e in extractor.extract(text, language) if e.name == "time"]
    assert [(e.meta.source, e.data.value, e.data.unit, e.type) for e in times] == [
        (source, value, grain, "system.time")
    ]
    assert text[times[0].start : times[0].end] == source


def test_two_dates_in_one_sentence(extractor: EntityExtractor) -> None:
    assert [
        s for n, s, _, _ in found(extractor, "leave next friday and come back on june 5") if n == "time"
    ] == ["next friday", "june 5"]


@pytest.mark.parametrize("text", ["may I ask you to forget who I am?", "good morning", "I am 5", "march on"])
def test_everyday_words_are_not_dates(extractor: EntityExtractor, text: str) -> None:
    assert [n for n, *_ in found(extractor, text) if n == "time"] == []


def test_durations(extractor: EntityExtractor) -> None:
    durations = [
        e for e in extractor.extract("wait for 2 hours and half an hour", "en") if e.name == "duration"
    ]
    assert [(e.meta.source, e.data.value, e.data.unit) for e in durations] == [
        ("2 hours", 7200, "second"),
        ("an hour", 3600, "second"),
    ]
    assert durations[0].data.extras == {"value": 2, "unit": "hour", "hour": 2, "type": "value"}


def test_a_relative_date_is_a_time_and_holds_a_duration(extractor: EntityExtractor) -> None:
    assert [(n, s) for n, s, _, _ in found(extractor, "in 3 days")] == [
        ("time", "in 3 days"),
        ("duration", "3 days"),
    ]


def test_numbers_inside_other_entities_are_not_repeated(extractor: EntityExtractor) -> None:
    names = [n for n, *_ in found(extractor, "order 3 pizzas for $40 at 8pm tonight, call (212) 555-0199")]
    assert names == ["number", "amountOfMoney", "time", "phoneNumber"]
