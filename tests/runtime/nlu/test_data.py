"""What training reads from a bot: intents, QnA questions, entities, the nlu config, the data hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowbot.runtime.nlu import NluConfigError
from flowbot.runtime.nlu import train_nlu
from flowbot.runtime.nlu.data import data_hash
from flowbot.runtime.nlu.data import nlu_config
from flowbot.runtime.nlu.data import training_data
from tests.runtime.nlu.botfactory import intent
from tests.runtime.nlu.botfactory import make_bot
from tests.runtime.nlu.botfactory import qna


def test_qna_entries_become_qna_intents_in_their_contexts(tmp_path: Path) -> None:
    bot = make_bot(
        tmp_path / "bot",
        [intent("hello", ["hi", "hello"])],
        qnas=[
            qna("abc_opening", ["when are you open", "opening hours"], ["shop"]),
            qna("off_topic", ["tell me a secret", "any secrets"], enabled=False),
        ],
    )
    data = training_data(bot)
    assert [(i.name, i.contexts) for i in data.intents] == [
        ("__qna__abc_opening", ("shop",)),
        ("hello", ("global",)),
    ]
    assert {e.text for e in data.examples["en"] if e.intent == "__qna__abc_opening"} == {
        "when are you open",
        "opening hours",
    }
    model = train_nlu(bot)
    nlu = model.predict("what are your opening hours", ["shop"])
    assert (nlu["intent"]["name"], nlu["intent"]["context"]) == ("__qna__abc_opening", "shop")


def test_the_intent_file_of_a_qna_entry_wins_and_disabled_entries_are_left_out(tmp_path: Path) -> None:
    bot = make_bot(
        tmp_path / "bot",
        [
            intent("__qna__x", ["from the intent file", "again"]),
            intent("__qna__y", ["a disabled one", "still disabled"]),
        ],
        qnas=[qna("x", ["from the qna file", "other"]), qna("y", ["a disabled one"], enabled=False)],
    )
    data = training_data(bot)
    assert [i.name for i in data.intents] == ["__qna__x"]
    assert {e.text for e in data.examples["en"]} == {"from the intent file", "again"}


def test_utterances_are_stripped_deduplicated_and_empty_ones_dropped(tmp_path: Path) -> None:
    bot = make_bot(tmp_path / "bot", [intent("a", ["  hello ", "hello", "", "[Bob](name) here"])])
    examples = training_data(bot).examples["en"]
    assert [e.text for e in examples] == ["hello", "Bob here"]
    assert examples[1].spans[0].slot == "name"


def test_the_data_hash_follows_the_data_and_the_seed(tmp_path: Path) -> None:
    a = training_data(make_bot(tmp_path / "a", [intent("x", ["one", "two"])]))
    b = training_data(make_bot(tmp_path / "b", [intent("x", ["one", "two"])]))
    c = training_data(make_bot(tmp_path / "c", [intent("x", ["one", "three"])]))
    assert data_hash(a, 0) == data_hash(b, 0) != data_hash(c, 0)
    assert data_hash(a, 0) != data_hash(a, 1)


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"oosThreshold": 1.5}, "nlu.oosThreshold"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"colour": "blue"}, "nlu.colour"),
    ],
)
def test_invalid_nlu_config_is_reported(raw: dict, message: str) -> None:
    with pytest.raises(NluConfigError, match=message):
        nlu_config(raw)


def test_valid_nlu_config() -> None:
    config = nlu_config({"oosThreshold": 0.7, "timezone": "Europe/Paris", "phoneRegion": "FR"})
    assert (config.oosThreshold, config.timezone, config.phoneRegion) == (0.7, "Europe/Paris", "FR")
