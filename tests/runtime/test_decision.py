"""NLU in a turn and the decision engine (§7.2, §8): contexts, slots, QnA answers and redirects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flowbot.runtime.bot_runtime import RuntimeSettings
from tests.runtime.botkit import FakeNlu
from tests.runtime.botkit import flow
from tests.runtime.botkit import make_service
from tests.runtime.botkit import node
from tests.runtime.botkit import position
from tests.runtime.botkit import say
from tests.runtime.botkit import texts
from tests.runtime.botkit import write_bot

TEXTS = {f"builtin_text-{name}": name for name in ("menu", "ask", "redirected", "x")}


def qna(
    qna_id: str,
    *,
    answers: list[str] | None = None,
    action: str = "text",
    flow_: str = "",
    node_: str = "",
    contexts: list[str] | None = None,
    enabled: bool = True,
) -> dict[str, Any]:
    return {
        "id": qna_id,
        "data": {
            "action": action,
            "answers": {"en": answers or []},
            "questions": {"en": ["q"]},
            "redirectFlow": flow_,
            "redirectNode": node_,
            "enabled": enabled,
            "contexts": contexts or ["global"],
        },
    }


def intent(name: str, confidence: float) -> dict[str, Any]:
    return {"name": name, "confidence": confidence, "context": "global"}


def bot(tmp_path: Path) -> Path:
    main = flow(
        node("menu", on_enter=["say #!builtin_text-menu"], next=[("event.payload.text === 'ask'", "ask")]),
        node("ask", on_enter=["say #!builtin_text-ask"], on_receive=[]),
    )
    other = flow(
        node("entry", on_enter=["say #!builtin_text-redirected"]),
        node("deep", on_enter=["say #!builtin_text-x"]),
    )
    entries = [
        qna("hours", answers=["We open at **9**, {{user.name}}."]),
        qna("go", action="redirect", flow_="other.flow.json", node_="deep"),
        qna(
            "both",
            answers=["Let me show you."],
            action="text_redirect",
            flow_="other.flow.json",
            node_="entry",
        ),
        qna("off", answers=["disabled"], enabled=False),
    ]
    return write_bot(
        tmp_path / "bot", {"main.flow.json": main, "other.flow.json": other}, texts=TEXTS, qna=entries
    )


NLU = FakeNlu(
    {
        "when do you open": {"intents": [intent("__qna__hours", 0.8), intent("none", 0.2)]},
        "unsure": {"intents": [intent("__qna__hours", 0.4), intent("none", 0.6)]},
        "go deep": {"intents": [intent("__qna__go", 0.9)]},
        "show me": {"intents": [intent("__qna__both", 0.9)]},
        "off": {"intents": [intent("__qna__off", 0.9)]},
    }
)


async def test_an_elected_qna_answer_replaces_the_flows(tmp_path: Path) -> None:
    service = make_service(bot(tmp_path), nlu=NLU)
    result = await say(service, "bot", "when do you open")
    assert texts(result) == ["We open at **9**, ."]
    assert result.state["context"] == {}  # the dialog engine did not run
    suggestion = result.suggestions[0]
    assert suggestion["source"] == "qna" and suggestion["sourceDetails"] == "__qna__hours"
    assert suggestion["decision"] == {"status": "elected", "reason": "best remaining suggestion available"}
    assert result.decision == suggestion
    (last,) = result.state["session"]["lastMessages"]
    assert last["replySource"] == "qna __qna__hours"
    assert last["replyConfidence"] == 0.8
    assert last["replyPreview"]["text"] == "We open at **9**, ."


async def test_a_suggestion_below_the_threshold_is_dropped_and_the_flows_run(tmp_path: Path) -> None:
    service = make_service(bot(tmp_path), nlu=NLU)
    result = await say(service, "bot", "unsure")
    assert texts(result) == ["menu"]
    assert result.suggestions[0]["decision"] == {"status": "dropped", "reason": "confidence lower than 0.5"}
    assert result.decision["source"] == "decisionEngine"


async def test_the_threshold_is_configurable(tmp_path: Path) -> None:
    service = make_service(bot(tmp_path), nlu=NLU, settings=RuntimeSettings(qna_min_confidence=0.3))
    assert texts(await say(service, "bot", "unsure")) == ["We open at **9**, ."]


async def test_qna_is_dropped_in_the_middle_of_a_flow(tmp_path: Path) -> None:
    service = make_service(bot(tmp_path), nlu=NLU)
    await say(service, "bot", "ask")  # now waiting in `ask`
    result = await say(service, "bot", "when do you open")
    assert result.suggestions[0]["decision"] == {
        "status": "dropped",
        "reason": "would have been elected, but already in the middle of a flow",
    }
    assert result.decision["source"] == "decisionEngine"


async def test_a_redirect_jumps_to_its_node_and_runs_the_flows(tmp_path: Path) -> None:
    service = make_service(bot(tmp_path), nlu=NLU)
    result = await say(service, "bot", "go deep")
    assert texts(result) == ["x"]
    assert result.decision["source"] == "decisionEngine"  # the flows ran, as in Botpress
    assert result.state["__stacktrace"][0] == {"flow": "other.flow.json", "node": "deep"}


async def test_text_redirect_answers_then_redirects(tmp_path: Path) -> None:
    service = make_service(bot(tmp_path), nlu=NLU)
    assert texts(await say(service, "bot", "show me")) == ["Let me show you.", "redirected"]


async def test_disabled_entries_make_no_suggestion(tmp_path: Path) -> None:
    service = make_service(bot(tmp_path), nlu=NLU)
    result = await say(service, "bot", "off")
    assert result.suggestions == []
    assert texts(result) == ["menu"]


CONTEXT_FLOWS = {
    "main.flow.json": flow(
        node(
            "entry",
            on_enter=[
                'builtin/appendContext {"contexts":"a,b","ttl":"2"}',
                'builtin/appendContext {"contexts":"b","ttl":"5"}',
            ],
            on_receive=[],
            next=[("true", "entry")],
        ),
    )
}


async def test_session_contexts_replace_the_included_contexts_and_expire_by_turn(tmp_path: Path) -> None:
    nlu = FakeNlu()
    service = make_service(write_bot(tmp_path / "bot", CONTEXT_FLOWS), nlu=nlu)
    first = await say(service, "bot", "one")
    assert first.state["session"]["nluContexts"] == [{"context": "a", "ttl": 2}, {"context": "b", "ttl": 5}]
    second = await say(service, "bot", "two")
    assert nlu.calls[1] == ("two", ["a", "b"])
    # the TTLs were decremented after the NLU, then the node appended the contexts again
    assert second.state["session"]["nluContexts"] == [{"context": "a", "ttl": 2}, {"context": "b", "ttl": 5}]
    assert second.nlu["includedContexts"] == ["a", "b"]


async def test_contexts_with_ttl_one_last_for_one_message(tmp_path: Path) -> None:
    flows = {
        "main.flow.json": flow(
            node("entry", on_enter=['builtin/appendContext {"contexts":"memory,global","ttl":"1"}']),
        )
    }
    nlu = FakeNlu()
    service = make_service(write_bot(tmp_path / "bot", flows), nlu=nlu)
    await say(service, "bot", "one")
    result = await say(service, "bot", "two")
    assert nlu.calls[1][1] == ["memory", "global"]
    assert result.state["session"]["nluContexts"] == [
        {"context": "memory", "ttl": 1},
        {"context": "global", "ttl": 1},
    ]


async def test_nlu_slots_are_copied_into_the_session(tmp_path: Path) -> None:
    slot = {
        "name": "city",
        "value": "Paris",
        "source": "paris",
        "entity": None,
        "confidence": 0.9,
        "start": 0,
        "end": 5,
    }
    nlu = FakeNlu({"paris": {"intents": [intent("travel", 0.9)], "slots": {"city": slot}}})
    flows = {"main.flow.json": flow(node("entry", on_receive=[], next=[("true", "entry")]))}
    service = make_service(write_bot(tmp_path / "bot", flows), nlu=nlu)
    result = await say(service, "bot", "paris")
    stored = result.state["session"]["slots"]["city"]
    assert stored["value"] == "Paris" and stored["turns"] == 0 and stored["overwritable"] is True
    assert result.state["session"]["slots"]["notFound"] == 0
    later = await say(service, "bot", "something else")
    assert later.state["session"]["slots"]["city"]["turns"] == 1


async def test_a_failing_nlu_keeps_the_default_understanding(tmp_path: Path) -> None:
    class Broken:
        def predict(
            self, text: str, included_contexts: list[str], language: str | None = None
        ) -> dict[str, Any]:
            raise RuntimeError("model missing")

    service = make_service(bot(tmp_path), nlu=Broken())
    result = await say(service, "bot", "hi")
    assert result.nlu["intent"]["name"] == "none"
    assert texts(result) == ["menu"]
    assert result.errors[0]["type"] == "nlu"


async def test_an_async_predictor_is_awaited(tmp_path: Path) -> None:
    class AsyncNlu:
        async def predict(
            self, text: str, included_contexts: list[str], language: str | None = None
        ) -> dict[str, Any]:
            return {"intent": intent("__qna__hours", 0.9), "intents": [intent("__qna__hours", 0.9)]}

    service = make_service(bot(tmp_path), nlu=AsyncNlu())
    assert position(await say(service, "bot", "x")) == (None, None)
    assert texts(await say(service, "bot", "x")) == ["We open at **9**, ."]
