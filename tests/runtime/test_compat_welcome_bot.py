"""welcome-bot (Botpress v12.30.9 template), run unchanged from ../shared: exact replies and state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flowbot.runtime.conversation import IncomingMessage
from flowbot.runtime.conversation import TurnResult
from flowbot.runtime.service import ConversationService
from tests.runtime.botkit import FakeNlu
from tests.runtime.botkit import make_service
from tests.runtime.botkit import position
from tests.runtime.botkit import say
from tests.runtime.botkit import texts

BOT = "welcome-bot"
TYPING = {"type": "typing", "value": True}
GREETING = "Hi, I'm Welcome Bot! My task is to help you understand how Botpress works."
TOPICS = {
    "type": "single-choice",
    "text": "What would you like to know?",
    "quick_replies": [
        {"title": "What is a Context?", "payload": "CONTEXT"},
        {"title": "What is Bot Memory?", "payload": "MEMORY"},
    ],
    "typing": True,
}
TRY_AGAIN = "Ask me something thats included in the choices. Let's try again."
MEMORY_INTRO = "Bot Memory is used by the bot to store information about a conversation. Here's an example."
ASK_NAME = "May I know your name please?"
CONTEXTS_INTRO = (
    "A bot could ask questions that are similar but have different meanings. "
    "To differentiate between the meanings of these questions, we use Contexts."
)
ANIMALS = {
    "type": "custom",
    "module": "extensions",
    "component": "Dropdown",
    "message": "Okay, let's use a simple example. Let's talk about animals. Pick one.",
    "buttonText": "",
    "displayInKeyboard": True,
    "options": [{"label": "Monkey", "value": "MONKEY"}, {"label": "Giraffe", "value": "GIRAFFE"}],
    "width": 300,
    "placeholderText": "Select option...",
}
CONVERSATION_END = [TYPING, {"type": "text", "markdown": True, "text": ""}]

QNA_FORGET = "__qna__xr9uskkhv0_forget_my_name"
QNA_MONKEY_HOME = "__qna__pgedex03mc_where_do_monkeys_live"
QNA_SWITCH = "__qna__77cp93c72f_lets_talk_about_something_else"


def said(*items: str | dict[str, Any]) -> list[dict[str, Any]]:
    """The payloads of texts (each after a typing indicator, as every welcome-bot element types)."""
    payloads: list[dict[str, Any]] = []
    for item in items:
        payloads += [TYPING, {"type": "text", "text": item} if isinstance(item, str) else item]
    return payloads


def intent(name: str, confidence: float = 0.95, context: str = "global") -> dict[str, Any]:
    return {"name": name, "confidence": confidence, "context": context}


NLU = FakeNlu(
    {
        "forget": {"intent": intent("forget")},
        "forget my name": {"intents": [intent(QNA_FORGET, context="memory")], "intent": intent("forget")},
        "Where do monkeys live?": {"intents": [intent(QNA_MONKEY_HOME, 0.9, "monkeys")]},
        "Switch context": {"intents": [intent(QNA_SWITCH, 0.9, "contexts")]},
    }
)


@pytest.fixture
def service(compat_bots: Path) -> ConversationService:
    return make_service(compat_bots / BOT, nlu=NLU)


async def start(service: ConversationService) -> TurnResult:
    result = await say(service, BOT, "hi")
    assert result.responses == [*said(GREETING), TYPING, TOPICS]
    return result


async def test_greeting_enters_the_choice_skill(service: ConversationService) -> None:
    result = await start(service)
    assert position(result) == ("skills/choice-62d44d.flow.json", "parse")
    assert result.state["context"]["jumpPoints"] == [{"flow": "main.flow.json", "node": "topic-choices"}]
    assert result.state["__stacktrace"] == [
        {"flow": "main.flow.json", "node": "entry"},
        {"flow": "main.flow.json", "node": "topic-choices"},
    ]
    assert result.state["session"]["nluContexts"] == []  # removeContext ran on an empty list
    assert [m["replyPreview"] for m in result.state["session"]["lastMessages"]] == [
        "#!builtin_text-lbs0Re",
        "#!builtin_single-choice-mrFFU_",
    ]
    assert result.state["temp"] == {} and result.state["user"] == {}


@pytest.mark.parametrize(
    "answer", ["2", "memory", "What is Bot Memory?", "#2", "tell me about MEMORY please"]
)
async def test_choice_by_number_or_by_text_goes_to_the_memory_flow(
    service: ConversationService, answer: str
) -> None:
    await start(service)
    result = await say(service, BOT, answer)
    assert result.responses == said(MEMORY_INTRO, ASK_NAME)
    assert position(result) == ("memory.flow.json", "ask-name")
    assert result.state["temp"] == {"skill-choice-valid": True, "skill-choice-ret": "memory"}
    assert result.state["session"]["nluContexts"] == [
        {"context": "memory", "ttl": 1},
        {"context": "global", "ttl": 1},
    ]


async def test_a_quick_reply_payload_is_a_valid_choice(service: ConversationService) -> None:
    await start(service)
    message = IncomingMessage(
        payload={"type": "quick_reply", "text": "What is a Context?", "payload": "CONTEXT"}
    )
    result = await service.converse(BOT, "u1", message)
    assert result.responses == [*said(CONTEXTS_INTRO), TYPING, ANIMALS]


async def test_invalid_answers_retry_through_the_catch_node(service: ConversationService) -> None:
    await start(service)
    for count in (1, 2, 3):
        result = await say(service, BOT, "bananas")
        assert result.responses == [*said(TRY_AGAIN), TYPING, TOPICS]
        assert position(result) == ("skills/choice-62d44d.flow.json", "parse")
        assert result.state["temp"] == {"skill-choice-valid": False, "skill-choice-invalid-count": count}
        assert result.state["__stacktrace"] == [
            {"flow": "main.flow.json", "node": "topic-choices"},
            {"flow": "main.flow.json", "node": "catch"},
            {"flow": "main.flow.json", "node": "topic-choices"},
        ]
        assert result.errors == []
    result = await say(service, BOT, "1")
    assert texts(result)[0] == CONTEXTS_INTRO


async def test_the_memory_flow_asks_then_remembers_the_name(service: ConversationService) -> None:
    await start(service)
    await say(service, BOT, "2")
    result = await say(service, BOT, "Bob")
    assert result.responses == [
        *said(
            "👋, Bob!", "This is the first time we speak 🤖", 'Try saying something like "forget my name"!'
        ),
        *CONVERSATION_END,
    ]
    assert result.state["user"] == {"nickname": "Bob"}
    assert result.state["context"] == {} and result.state["temp"] == {}
    assert result.state["session"]["nluContexts"] == []  # the ttl-1 contexts were used by this message
    assert result.state["__stacktrace"] == [
        {"flow": "memory.flow.json", "node": "welcome"},
        {"flow": "memory.flow.json", "node": "first-time"},
    ]
    # second visit: the name is known, the conversation count goes up
    await start(service)
    result = await say(service, BOT, "2")
    assert result.responses == [
        *said(MEMORY_INTRO, "👋, Bob!", "We already spoke 1 times!"),
        *CONVERSATION_END,
    ]
    await start(service)
    result = await say(service, BOT, "2")
    assert texts(result)[2] == "We already spoke 2 times!"


async def test_the_forget_intent_of_the_catch_all_forgets_the_name(service: ConversationService) -> None:
    await start(service)
    await say(service, BOT, "2")
    # asked for a name, the user answers with the `forget` intent
    result = await say(service, BOT, "forget")
    assert result.responses == [
        *said(
            "Alright, I have forgotten your name.",
            '(To see how this works, double-click anywhere on the flow and go to the "Transitions" panel)',
        ),
        *CONVERSATION_END,
    ]
    # ask-name's onReceive stored the answer, then the catch-all transition deleted it
    assert result.state["user"] == {}
    assert result.state["__stacktrace"] == [{"flow": "memory.flow.json", "node": "forget-my-name"}]


async def test_qna_redirect_forgets_the_name_outside_of_a_flow(service: ConversationService) -> None:
    await start(service)
    await say(service, BOT, "2")
    await say(service, BOT, "Bob")
    result = await say(service, BOT, "forget my name")
    assert result.suggestions[0]["sourceDetails"] == QNA_FORGET
    assert result.suggestions[0]["payloads"] == [
        {"type": "redirect", "flow": "memory.flow.json", "node": "forget-my-name"}
    ]
    assert texts(result)[:2] == [
        "Alright, I have forgotten your name.",
        '(To see how this works, double-click anywhere on the flow and go to the "Transitions" panel)',
    ]
    assert result.state["user"] == {}
    assert result.decision["sourceDetails"] == "execute default flow"
    # the QnA reply (no text: a redirect) then the three says of the flows
    sources = [m["replySource"] for m in result.state["session"]["lastMessages"][-4:]]
    assert sources == [f"qna {QNA_FORGET}", "dialogManager", "dialogManager", "dialogManager"]


async def test_qna_is_dropped_in_the_middle_of_the_memory_flow(service: ConversationService) -> None:
    await start(service)
    await say(service, BOT, "2")
    result = await say(service, BOT, "forget my name")
    assert (
        result.suggestions[0]["decision"]["reason"]
        == "would have been elected, but already in the middle of a flow"
    )
    # the flow went on: the catch-all `forget` intent transition handled it
    assert texts(result)[0] == "Alright, I have forgotten your name."


async def test_the_contexts_flow_sets_nlu_contexts_and_answers_qna_about_monkeys(
    service: ConversationService,
) -> None:
    await start(service)
    result = await say(service, BOT, "1")
    assert result.responses == [*said(CONTEXTS_INTRO), TYPING, ANIMALS]
    assert result.state["session"]["nluContexts"] == [{"context": "contexts", "ttl": 1}]
    assert position(result) == ("skills/choice-1b8623.flow.json", "parse")
    result = await say(service, BOT, "MONKEY")
    assert result.responses == [
        *said(
            "Please ask questions about that animal, like its life span or its habitat.",
            "Tell me if you need help!",
        ),
        *CONVERSATION_END,
    ]
    assert result.state["session"]["nluContexts"] == [
        {"context": "monkeys", "ttl": 10},
        {"context": "global", "ttl": 10},
        {"context": "contexts", "ttl": 10},
    ]
    result = await say(service, BOT, "Where do monkeys live?")
    assert NLU.calls[-1] == ("Where do monkeys live?", ["monkeys", "global", "contexts"])
    assert result.responses == [
        TYPING,
        {
            "type": "text",
            "markdown": True,
            "text": "Most monkey species can be found in the tropical rain forests of Asia, Africa, Europe "
            "and Central and South America.",
            "collectFeedback": True,
        },
    ]
    assert result.state["session"]["nluContexts"][0] == {"context": "monkeys", "ttl": 9}
    assert result.state["context"] == {}


async def test_the_switch_context_qna_redirects_to_the_animal_choice(service: ConversationService) -> None:
    await start(service)
    await say(service, BOT, "1")
    await say(service, BOT, "giraffe")
    result = await say(service, BOT, "Switch context")
    assert result.responses == [TYPING, ANIMALS]
    assert position(result) == ("skills/choice-1b8623.flow.json", "parse")


async def test_an_invalid_animal_goes_to_the_catch_node_of_the_contexts_flow(
    service: ConversationService,
) -> None:
    await start(service)
    await say(service, BOT, "1")
    result = await say(service, BOT, "a zebra")
    assert result.responses == [
        *said("Please pick an animal from the choices, I'm not a Zoologist."),
        TYPING,
        ANIMALS,
    ]
