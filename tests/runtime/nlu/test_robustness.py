"""Whatever a user types, the NLU answers without failing (and without raising into the turn)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from flowbot.runtime.nlu import NluModel
from flowbot.runtime.nlu import train_nlu
from tests.runtime.nlu.botfactory import NOW
from tests.runtime.nlu.botfactory import PIZZA_INTENTS
from tests.runtime.nlu.botfactory import SIZE_ENTITY
from tests.runtime.nlu.botfactory import make_bot
from tests.runtime.nlu.botfactory import pattern_entity


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> NluModel:
    entities = [SIZE_ENTITY, pattern_entity("order_id", r"[A-Z]{2}-\d+")]
    bot = make_bot(tmp_path_factory.mktemp("robust") / "bot", PIZZA_INTENTS, entities)
    trained = train_nlu(bot)
    trained.use_clock(lambda: NOW)
    return trained


WORDS = st.sampled_from(
    [
        "pizza",
        "large",
        "tomorrow",
        "at",
        "5pm",
        "$20",
        "twenty",
        "3rd",
        "a@b.co",
        "www.x.com",
        "(212) 555-0199",
        "AB-12",
        "-",
        ":",
        "/",
        "12/25",
        "10:30",
        "€",
        "the",
        "may",
        "in",
        "days",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=80), st.lists(WORDS, max_size=12).map(" ".join)))
def test_any_text_is_understood_without_error(model: NluModel, text: str) -> None:
    nlu = model.predict(text, ["global"])
    assert nlu["errored"] is False
    for entity in nlu["entities"]:
        assert text[entity["meta"]["start"] : entity["meta"]["end"]] == entity["meta"]["source"]


def test_a_very_long_text_is_cut_and_understood(model: NluModel) -> None:
    nlu = model.predict("I want a large pizza " * 2000, ["global"])
    assert nlu["errored"] is False and nlu["intent"]["name"] == "order_pizza"
