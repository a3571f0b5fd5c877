"""Several languages: utterances per language, the user's language detected, fallbacks."""

from __future__ import annotations

import pytest

from flowbot.runtime.nlu import NluModel
from flowbot.runtime.nlu import train_nlu
from flowbot.runtime.nlu.language import LanguageDetector
from tests.runtime.nlu.botfactory import intent
from tests.runtime.nlu.botfactory import make_bot


@pytest.fixture(scope="module")
def bilingual(tmp_path_factory: pytest.TempPathFactory) -> NluModel:
    intents = [
        intent(
            "order",
            {
                "en": [
                    "i want to order a pizza",
                    "can i get a pizza",
                    "order food",
                    "i'd like a pizza please",
                ],
                "fr": [
                    "je voudrais commander une pizza",
                    "une pizza s'il vous plaît",
                    "commander à manger",
                    "je veux une pizza",
                ],
            },
        ),
        intent(
            "hours",
            {
                "en": ["when are you open", "opening hours", "what time do you close", "are you open today"],
                "fr": [
                    "quand êtes-vous ouverts",
                    "horaires d'ouverture",
                    "à quelle heure fermez-vous",
                    "êtes-vous ouverts aujourd'hui",
                ],
            },
        ),
    ]
    return train_nlu(
        make_bot(
            tmp_path_factory.mktemp("bi") / "bi",
            intents,
            config={"languages": ["en", "fr"], "defaultLanguage": "en"},
        )
    )


@pytest.mark.parametrize(
    "text, language, expected",
    [
        ("Bonjour, je voudrais commander une grande pizza pour ce soir", "fr", "order"),
        ("Hello, I would like to order a large pizza for tonight", "en", "order"),
        ("à quelle heure ouvrez-vous demain matin ?", "fr", "hours"),
        ("what time do you open tomorrow morning?", "en", "hours"),
    ],
)
def test_the_language_is_detected_and_its_model_used(
    bilingual: NluModel, text: str, language: str, expected: str
) -> None:
    nlu = bilingual.predict(text, ["global"])
    assert (nlu["language"], nlu["detectedLanguage"], nlu["intent"]["name"]) == (language, language, expected)


def test_a_text_too_short_to_tell_falls_back_to_the_users_then_the_default_language(
    bilingual: NluModel,
) -> None:
    assert bilingual.predict("ok", ["global"], language="fr")["language"] == "fr"
    assert bilingual.predict("ok", ["global"])["language"] == "en"
    assert bilingual.predict("ok", ["global"], language="de")["language"] == "en"


def test_vocabulary_decides_when_the_identifier_is_unsure() -> None:
    detector = LanguageDetector(["en", "fr"], {"en": {"pizza", "order"}, "fr": {"pizza", "commander"}})
    assert detector._by_vocabulary("commander pizza", 0.3)[0] == "fr"
    assert detector._by_vocabulary("xyz", 0.3) == ("n/a", 0.0)


def test_one_language_needs_no_detection() -> None:
    assert LanguageDetector(["en"], {}).detect("bonjour tout le monde") == ("en", 1.0)
