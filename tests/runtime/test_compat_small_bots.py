"""small-talk and empty-bot (Botpress v12.30.9 templates), run unchanged from ../shared."""

from __future__ import annotations

from pathlib import Path

from flowbot.runtime.state import ConversationRecord
from flowbot.runtime.store import MemoryStore
from tests.runtime.botkit import FakeNlu
from tests.runtime.botkit import make_service
from tests.runtime.botkit import say

TYPING = {"type": "typing", "value": True}
JOKE = "__qna__0xbmxyusvu_tell_me_a_joke"
HELLO = "__qna__rkmsylph53_hello"


def qna_answer(text: str) -> list[dict[str, object]]:
    return [TYPING, {"type": "text", "markdown": True, "text": text, "collectFeedback": True}]


NLU = FakeNlu(
    {
        "Tell me a joke": {
            "intents": [
                {"name": JOKE, "confidence": 0.93, "context": "global"},
                {"name": "none", "confidence": 0.07, "context": "global"},
            ]
        },
        "hey": {
            "intents": [
                {"name": HELLO, "confidence": 0.45, "context": "global"},
                {"name": "none", "confidence": 0.55, "context": "global"},
            ]
        },
        "heyyy": {
            "intent": {"name": HELLO, "confidence": 0.45, "context": "global"},
            "intents": [{"name": HELLO, "confidence": 0.45, "context": "global"}],
        },
    }
)


async def test_small_talk_answers_from_qna(compat_bots: Path) -> None:
    service = make_service(compat_bots / "small-talk", nlu=NLU)
    result = await say(service, "small-talk", "Tell me a joke")
    assert result.responses == qna_answer(
        "It is the story of 2 ices cubes in the desert and.... nevermind, they're gone."
    )
    assert result.suggestions[0]["decision"]["status"] == "elected"
    assert result.suggestions[0]["confidence"] == 0.93
    assert result.state["context"] == {}
    assert result.state["session"]["lastMessages"][0]["replySource"] == f"qna {JOKE}"


async def test_small_talk_falls_back_to_the_none_message(compat_bots: Path) -> None:
    service = make_service(compat_bots / "small-talk", nlu=NLU)
    for text in ("hey", "something else entirely"):
        result = await say(service, "small-talk", text)
        assert result.responses == [
            TYPING,
            {"type": "text", "text": "I'm sorry, I did not understand. Please ask me something else."},
        ]
        assert result.state["context"] == {}
        assert result.state["__stacktrace"] == [
            {"flow": "main.flow.json", "node": "entry"},
            {"flow": "main.flow.json", "node": "none_message"},
        ]


async def test_small_talk_stays_silent_for_an_unanswered_known_intent(compat_bots: Path) -> None:
    service = make_service(compat_bots / "small-talk", nlu=NLU)
    result = await say(service, "small-talk", "heyyy")
    assert result.suggestions[0]["decision"]["reason"] == "confidence lower than 0.5"
    assert result.responses == []
    assert result.state["context"] == {}


async def test_small_talk_answers_in_the_users_language(compat_bots: Path) -> None:
    store = MemoryStore()
    await store.save("small-talk", "u1", ConversationRecord(user={"language": "fr"}), {})
    service = make_service(compat_bots / "small-talk", nlu=NLU, store=store)
    result = await say(service, "small-talk", "Tell me a joke")
    assert result.responses == qna_answer(
        "C'est l'histoire de deux glaçons dans le desert et... laisse tomber, ils ne sont plus là."
    )
    result = await say(service, "small-talk", "anything")
    assert result.responses[1]["text"] == "Pardon, je n'ai pas compris. Veuillez me poser un autre question."


async def test_small_talk_without_nlu_uses_the_default_understanding(compat_bots: Path) -> None:
    service = make_service(compat_bots / "small-talk")
    result = await say(service, "small-talk", "Tell me a joke")
    assert result.nlu["language"] == "n/a"
    assert result.responses[1]["text"].startswith("I'm sorry, I did not understand.")


async def test_empty_bot_answers_nothing_and_ends_the_flow(compat_bots: Path) -> None:
    service = make_service(compat_bots / "empty-bot")
    for _ in range(3):
        result = await say(service, "empty-bot", "hello")
        assert result.responses == []
        assert result.state["context"] == {}
        assert result.state["__stacktrace"] == [{"flow": "main.flow.json", "node": "entry"}]
        assert result.errors == []
