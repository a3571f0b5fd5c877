"""Transitions between flows (§1.6, §2.4): subflows, returns, skill calls, END and conversation end."""

from __future__ import annotations

from pathlib import Path

from tests.runtime.botkit import flow
from tests.runtime.botkit import make_service
from tests.runtime.botkit import node
from tests.runtime.botkit import position
from tests.runtime.botkit import say
from tests.runtime.botkit import texts
from tests.runtime.botkit import write_bot

TEXTS = {
    f"builtin_text-{name}": name for name in ("call", "sub", "back", "again", "after", "end", "err", "x", "y")
}


def caller(target: str) -> dict[str, object]:
    """Calls ``target`` once: ``temp.r`` is set by the called flows before they return."""
    return node(
        "call", on_enter=["say #!builtin_text-call"], next=[("temp.r === '1'", "after"), ("true", target)]
    )


def bot_with(tmp_path: Path, main: dict[str, object], **flows: dict[str, object]) -> Path:
    all_flows = {"main.flow.json": main, **{name + ".flow.json": f for name, f in flows.items()}}
    return write_bot(tmp_path / "bot", all_flows, texts=TEXTS)


SET_R = 'builtin/setVariable {"type":"temp","name":"r","value":"1"}'
SUB = flow(
    node("entry", on_enter=["say #!builtin_text-sub", SET_R], next=[("true", "#")]),
    node("second", on_enter=["say #!builtin_text-y", SET_R], next=[("true", "#")]),
)


async def test_entering_a_flow_pushes_a_jump_point_and_hash_returns_to_the_transitions(
    tmp_path: Path,
) -> None:
    main = flow(
        node(
            "call",
            on_enter=["say #!builtin_text-call"],
            next=[("temp.back === undefined", "sub.flow.json"), ("true", "after")],
        ),
        node("after", on_enter=["say #!builtin_text-after"]),
    )
    sub = flow(
        node(
            "entry",
            on_enter=[
                "say #!builtin_text-sub",
                'builtin/setVariable {"type":"temp","name":"back","value":"1"}',
            ],
            on_receive=[],
            next=[("true", "#")],
        )
    )
    service = make_service(bot_with(tmp_path, main, sub=sub))
    first = await say(service, "bot", "hi")
    assert texts(first) == ["call", "sub"]
    context = first.state["context"]
    assert (context["currentFlow"], context["previousFlow"], context["previousNode"]) == (
        "sub.flow.json",
        "main.flow.json",
        "call",
    )
    assert context["jumpPoints"] == [{"flow": "main.flow.json", "node": "call"}]
    second = await say(service, "bot", "hi")
    # `#` re-evaluates only the transitions of `call` (its onEnter does not run again)
    assert texts(second) == ["after"]
    assert [(e["flow"], e["node"]) for e in second.state["__stacktrace"]] == [
        ("main.flow.json", "call"),
        ("main.flow.json", "after"),
    ]


async def test_flow_hash_node_enters_a_flow_at_a_given_node(tmp_path: Path) -> None:
    main = flow(caller("sub.flow.json#second"), node("after", on_enter=["say #!builtin_text-after"]))
    service = make_service(bot_with(tmp_path, main, sub=SUB))
    result = await say(service, "bot", "hi")
    assert texts(result) == ["call", "y", "after"]


async def test_hash_node_returns_to_another_node_of_the_parent(tmp_path: Path) -> None:
    main = flow(
        caller("sub.flow.json"),
        node("after", on_enter=["say #!builtin_text-after"], next=[("true", "x")]),
        node("x", on_enter=["say #!builtin_text-x"]),
    )
    sub = flow(node("entry", on_enter=["say #!builtin_text-sub"], next=[("true", "#after")]))
    service = make_service(bot_with(tmp_path, main, sub=sub))
    # `#after` evaluates only the transitions of `after`: its onEnter does not run
    assert texts(await say(service, "bot", "hi")) == ["call", "sub", "x"]


async def test_double_hash_reexecutes_the_parent_node(tmp_path: Path) -> None:
    main = flow(
        node(
            "call",
            on_enter=["say #!builtin_text-call"],
            next=[("temp.done === '1'", "after"), ("true", "sub.flow.json")],
        ),
        node("after", on_enter=["say #!builtin_text-after"]),
    )
    sub = flow(
        node(
            "entry",
            on_enter=[
                "say #!builtin_text-sub",
                'builtin/setVariable {"type":"temp","name":"done","value":"1"}',
            ],
            next=[("true", "##")],
        )
    )
    service = make_service(bot_with(tmp_path, main, sub=sub))
    assert texts(await say(service, "bot", "hi")) == ["call", "sub", "call", "after"]


async def test_double_hash_node_reexecutes_a_given_parent_node(tmp_path: Path) -> None:
    main = flow(caller("sub.flow.json"), node("again", on_enter=["say #!builtin_text-again"]))
    sub = flow(node("entry", on_enter=["say #!builtin_text-sub"], next=[("true", "##again")]))
    service = make_service(bot_with(tmp_path, main, sub=sub))
    assert texts(await say(service, "bot", "hi")) == ["call", "sub", "again"]


async def test_hash_without_a_parent_changes_nothing(tmp_path: Path) -> None:
    main = flow(node("only", on_enter=["say #!builtin_text-x"], next=[("true", "#")]))
    service = make_service(bot_with(tmp_path, main))
    result = await say(service, "bot", "hi")
    assert texts(result) == ["x"]
    # Botpress returns the event untouched: the context stays on the node, its queue consumed
    assert position(result) == ("main.flow.json", "only")
    assert result.errors == []


async def test_skill_call_nodes_enter_their_flow_and_return_to_the_node_transitions(tmp_path: Path) -> None:
    skill = {
        **node("ask", next=[("temp.ok === 'yes'", "after"), ("true", "x")]),
        "type": "skill-call",
        "skill": "choice",
        "flow": "skills/choice-abc.flow.json",
        "onEnter": None,
    }
    main = flow(
        skill,
        node("after", on_enter=["say #!builtin_text-after"]),
        node("x", on_enter=["say #!builtin_text-x"]),
    )
    skill_flow = flow(
        node("entry", on_enter=["say #!builtin_text-sub"], next=[("true", "parse")]),
        node(
            "parse",
            on_receive=['builtin/setVariable {"type":"temp","name":"ok","value":"{{event.payload.text}}"}'],
            next=[("true", "#")],
        ),
    )
    bot = write_bot(
        tmp_path / "bot", {"main.flow.json": main, "skills/choice-abc.flow.json": skill_flow}, texts=TEXTS
    )
    service = make_service(bot)
    first = await say(service, "bot", "hi")
    assert texts(first) == ["sub"]
    assert position(first) == ("skills/choice-abc.flow.json", "parse")
    # skills/ frames are dropped from the returned trace
    assert [(e["flow"], e["node"]) for e in first.state["__stacktrace"]] == [("main.flow.json", "ask")]
    second = await say(service, "bot", "yes")
    assert texts(second) == ["after"]
    assert second.state["context"] == {}


async def test_conversation_end_flow_runs_when_a_flow_ends_then_the_state_is_cleaned(tmp_path: Path) -> None:
    main = flow(
        node(
            "one",
            on_enter=[
                "say #!builtin_text-x",
                'builtin/setVariable {"type":"temp","name":"endMessage","value":"bye"}',
            ],
            next=[("true", "END")],
        )
    )
    end = flow(node("entry", on_enter=["say #!builtin_text-end"], next=[("true", "")]))
    service = make_service(bot_with(tmp_path, main, conversation_end=end))
    result = await say(service, "bot", "hi")
    assert texts(result) == ["x", "end"]
    assert result.state["context"] == {}
    assert result.state["temp"] == {}


async def test_conversation_end_flow_that_moves_on_keeps_the_conversation(tmp_path: Path) -> None:
    main = flow(
        node("one", on_enter=["say #!builtin_text-x"], next=[("true", "END")]),
        node("later", on_enter=["say #!builtin_text-y"], on_receive=[]),
    )
    end = flow(node("entry", on_enter=["say #!builtin_text-end"], next=[("true", "main.flow.json#later")]))
    service = make_service(bot_with(tmp_path, main, conversation_end=end))
    result = await say(service, "bot", "hi")
    assert texts(result) == ["x", "end", "y"]
    assert position(result) == ("main.flow.json", "later")
