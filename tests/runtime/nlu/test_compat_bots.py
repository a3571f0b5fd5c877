"""The NLU of the real Botpress v12 bots in ../shared/compat: their intents and QnA intents."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowbot.runtime.bot import load_bot
from flowbot.runtime.nlu import NluModel
from flowbot.runtime.nlu import default_nlu
from flowbot.runtime.nlu import train_nlu

FORGET = "__qna__xr9uskkhv0_forget_my_name"


@pytest.fixture(scope="module")
def welcome(tmp_path_factory: pytest.TempPathFactory) -> NluModel:
    from tests.conftest import shared_path

    return train_nlu(load_bot(shared_path("compat", "botpress-v12", "welcome-bot")))


@pytest.mark.parametrize("text", ["hello", "hey bot!", "good morning", "hi there bot"])
def test_welcome_bot_hello(welcome: NluModel, text: str) -> None:
    nlu = welcome.predict(text, ["global"])
    assert (nlu["intent"]["name"], nlu["intent"]["context"]) == ("hello", "global")


@pytest.mark.parametrize(
    "text", ["forget my name", "please forget who I am", "erase my name from your memory"]
)
def test_welcome_bot_forget_my_name_in_the_memory_context(welcome: NluModel, text: str) -> None:
    # the memory flow appends the contexts "memory,global" before listening
    nlu = welcome.predict(text, ["memory", "global"])
    assert (nlu["intent"]["name"], nlu["intent"]["context"]) == (FORGET, "memory")


def test_welcome_bot_qna_intents_of_a_context_outside_it_are_not_elected(welcome: NluModel) -> None:
    assert welcome.predict("forget my name", ["global"])["intent"]["name"] == "none"


@pytest.mark.parametrize(
    "contexts, expected",
    [
        (["monkeys", "global", "contexts"], "__qna__pgedex03mc_where_do_monkeys_live"),
        (["giraffes", "global", "contexts"], "__qna__31oi0r2lvp_where_do_giraffes_live"),
    ],
)
def test_welcome_bot_same_question_in_two_contexts(
    welcome: NluModel, contexts: list[str], expected: str
) -> None:
    assert welcome.predict("where do they live?", contexts)["intent"]["name"] == expected


def test_small_talk_qna_intents(compat_bots: Path) -> None:
    model = train_nlu(load_bot(compat_bots / "small-talk"))
    expectations = {
        "tell me a joke please": "__qna__0xbmxyusvu_tell_me_a_joke",
        "how old are you?": "__qna__4xue79vezl_how_old_are_you",
        "thanks a lot": "__qna__2wys1802lo_thank_you",
        "who made you": "__qna__ewbosxr8fa_who_created_you",
    }
    for text, expected in expectations.items():
        assert model.predict(text, ["global"])["intent"]["name"] == expected, text
    assert model.predict("play some music", ["global"])["intent"]["name"] == "none"


def test_empty_bot_has_the_default_nlu(compat_bots: Path) -> None:
    assert train_nlu(load_bot(compat_bots / "empty-bot")).predict("hi", ["global"]) == default_nlu(["global"])
