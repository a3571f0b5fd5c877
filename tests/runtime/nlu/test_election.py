"""Contexts, the election of the intent, none and ambiguity (botpress-v12.md §7.2)."""

from __future__ import annotations

import pytest

from flowbot.runtime.nlu import NluModel
from flowbot.runtime.nlu import train_nlu
from flowbot.runtime.nlu.data import IntentInfo
from flowbot.runtime.nlu.election import available_contexts
from flowbot.runtime.nlu.election import elect
from flowbot.runtime.nlu.election import is_ambiguous
from tests.runtime.nlu.botfactory import intent
from tests.runtime.nlu.botfactory import make_bot

INTENTS = [
    IntentInfo(name="a", contexts=("global",)),
    IntentInfo(name="b", contexts=("global", "shop")),
    IntentInfo(name="c", contexts=("shop",)),
]


def test_included_contexts_fall_back_to_all_when_none_is_known() -> None:
    assert available_contexts(["shop", "nope"], ["global", "shop"]) == ["shop"]
    assert available_contexts(["nope"], ["global", "shop"]) == ["global", "shop"]
    assert available_contexts([], ["global"]) == ["global"]


def test_the_most_confident_included_context_is_elected() -> None:
    conf = {"global": {"a": 0.3, "b": 0.6}, "shop": {"b": 0.2, "c": 0.9}}
    assert elect(conf, INTENTS, ["global"]).intent == {
        "name": "b",
        "confidence": pytest.approx(0.6 / 1.0, abs=1e-3),
        "context": "global",
    }
    both = elect(conf, INTENTS, ["global", "shop"])
    assert both.intent["name"] == "c" and both.intent["context"] == "shop"
    assert both.included_contexts == ["global", "shop"]


def test_intents_are_the_top_two_with_none_rescaled() -> None:
    result = elect({"global": {"a": 0.8, "b": 0.4}}, INTENTS[:2], ["global"])
    # none's confidence is 1 - 0.8 with the learned threshold: ranking a 0.8, b 0.4, none 0.2
    assert [(i["name"], i["confidence"]) for i in result.intents] == [
        ("a", pytest.approx(0.8 / 1.2, abs=1e-3)),
        ("b", pytest.approx(0.4 / 1.2, abs=1e-3)),
    ]
    low = elect({"global": {"a": 0.3, "b": 0.1}}, INTENTS[:2], ["global"])
    assert [i["name"] for i in low.intents] == ["none", "a"]
    assert low.intent["confidence"] == pytest.approx(0.7, abs=1e-3)


def test_the_out_of_scope_threshold_moves_the_none_decision() -> None:
    conf = {"global": {"a": 0.7, "b": 0.1}}
    assert elect(conf, INTENTS[:2], ["global"], oos_threshold=0.5).intent["name"] == "a"
    assert elect(conf, INTENTS[:2], ["global"], oos_threshold=0.8).intent["name"] == "none"
    assert (
        elect({"global": {"a": 0.8}}, INTENTS[:1], ["global"], oos_threshold=0.8).intent["name"] == "a"
    )  # tie: intent


def test_ambiguity_rule() -> None:
    assert is_ambiguous([("a", 0.55), ("b", 0.45)])
    assert not is_ambiguous([("a", 0.65), ("b", 0.35)])
    assert is_ambiguous([("none", 0.4), ("a", 0.35), ("b", 0.25)])
    assert not is_ambiguous([("a", 1.0)])


@pytest.fixture(scope="module")
def zoo(tmp_path_factory: pytest.TempPathFactory) -> NluModel:
    intents = [
        intent(
            "monkey_habitat",
            [
                "where do monkeys live",
                "where can i find monkeys",
                "where are they",
                "what is the habitat of monkeys",
                "tell me where they are",
            ],
            ["monkeys"],
        ),
        intent(
            "monkey_food",
            [
                "what do monkeys eat",
                "what is their food",
                "do they eat bananas",
                "what do they like to eat",
                "monkey diet",
            ],
            ["monkeys"],
        ),
        intent(
            "giraffe_habitat",
            [
                "where do giraffes live",
                "where do they live",
                "where can i see giraffes",
                "where to find a giraffe",
                "giraffe habitat",
            ],
            ["giraffes"],
        ),
        intent(
            "giraffe_food",
            [
                "what do giraffes eat",
                "what is their food",
                "do they eat leaves",
                "giraffe diet",
                "what do they like to eat",
            ],
            ["giraffes"],
        ),
        intent("hello", ["hello", "hi", "hey there", "good morning", "hi bot"], ["global"]),
        intent("bye", ["bye", "goodbye", "see you later", "farewell", "bye bye"], ["global"]),
    ]
    return train_nlu(make_bot(tmp_path_factory.mktemp("zoo") / "zoo", intents))


@pytest.mark.parametrize(
    "contexts, expected",
    [
        (["monkeys"], "monkey_habitat"),
        (["giraffes"], "giraffe_habitat"),
        (["giraffes", "global"], "giraffe_habitat"),
    ],
)
def test_contexts_restrict_the_election(zoo: NluModel, contexts: list[str], expected: str) -> None:
    nlu = zoo.predict("where do they live", contexts)
    assert (nlu["intent"]["name"], nlu["intent"]["context"]) == (expected, expected.split("_")[0] + "s")


def test_an_utterance_of_another_context_is_none_in_the_included_one(zoo: NluModel) -> None:
    nlu = zoo.predict("what do giraffes eat", ["global"])
    assert (nlu["intent"]["name"], nlu["intent"]["context"]) == ("none", "global")


def test_unknown_contexts_fall_back_to_all(zoo: NluModel) -> None:
    nlu = zoo.predict("goodbye", ["nowhere"])
    assert nlu["intent"]["name"] == "bye"
    assert nlu["includedContexts"] == ["giraffes", "global", "monkeys"]


def test_two_equally_likely_intents_are_ambiguous(zoo: NluModel) -> None:
    nlu = zoo.predict("what do they eat", ["giraffes"])
    assert nlu["intent"]["name"] == "giraffe_food" and not nlu["ambiguous"]
    mixed = zoo.predict("where do they eat", ["monkeys"])
    names = [i["name"] for i in mixed["intents"]]
    assert set(names) == {"monkey_habitat", "monkey_food"}
    assert mixed["ambiguous"] is True
