"""Python actions and hooks from the bot folder (contract §3)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from flowbot.runtime.bot import BotLoadError
from flowbot.runtime.bot_runtime import RuntimeSettings
from flowbot.runtime.conversation import IncomingMessage
from tests.runtime.botkit import flow
from tests.runtime.botkit import make_service
from tests.runtime.botkit import node
from tests.runtime.botkit import say
from tests.runtime.botkit import texts
from tests.runtime.botkit import write_bot

TEXTS = {
    "builtin_text-total": "total={{temp.total}}",
    "builtin_text-oops": "oops",
    "builtin_text-after": "after",
}
ERROR_FLOW = flow(node("entry", on_enter=["say #!builtin_text-oops"]))

LOOKUP = """
async def run(args, temp, user):
    temp["total"] = int(args["a"]) + args["b"]
    user["seen"] = user.get("seen", 0) + 1
"""
RAISES = """
async def run(event):
    raise ValueError("the order service is down")
"""
HANGS = """
import asyncio
async def run():
    await asyncio.sleep(3600)
"""


def bot(tmp_path: Path, on_enter: list[str], **kwargs: object) -> Path:
    main = flow(
        node("one", on_enter=on_enter, next=[("true", "two")]),
        node("two", on_enter=["say #!builtin_text-after"]),
    )
    return write_bot(
        tmp_path / "bot", {"main.flow.json": main, "error.flow.json": ERROR_FLOW}, texts=TEXTS, **kwargs
    )  # type: ignore[arg-type]


async def test_an_action_gets_the_parameters_it_declares_and_mutates_memory(tmp_path: Path) -> None:
    root = bot(
        tmp_path,
        ['orders/lookup {"a":"{{event.payload.text}}","b":2}', "say #!builtin_text-total"],
        actions={"orders/lookup": LOOKUP},
    )
    service = make_service(root)
    result = await say(service, "bot", "40")
    assert texts(result) == ["total=42", "after"]
    assert result.state["user"] == {"seen": 1}


async def test_an_action_that_raises_goes_to_the_error_flow_and_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service = make_service(bot(tmp_path, ["broken {}"], actions={"broken": RAISES}))
    with caplog.at_level(logging.ERROR, "flowbot.runtime"):
        result = await say(service, "bot", "hi")
    assert texts(result) == ["oops"]
    assert result.errors[0]["type"] == "action-execution"
    assert "ValueError: the order service is down" in result.errors[0]["message"]
    assert "bot bot, flow main.flow.json, node one: action 'broken' failed" in caplog.text


async def test_an_action_that_hangs_is_stopped_at_its_time_limit(tmp_path: Path) -> None:
    settings = RuntimeSettings(action_timeout=0.05)
    service = make_service(bot(tmp_path, ["hang {}"], actions={"hang": HANGS}), settings=settings)
    result = await say(service, "bot", "hi")
    assert texts(result) == ["oops"]
    assert "did not finish within 0.05 s" in result.errors[0]["message"]


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("def run(temp):\n    pass\n", "must be defined with `async def run(...)`"),
        (
            "async def run(temp, database):\n    pass\n",
            "takes a parameter `database` that flowbot cannot pass",
        ),
        ("x = 1\n", "defines no `async def run(...)`"),
        ("import no_such_module\n", "import failed: ModuleNotFoundError"),
    ],
)
def test_invalid_action_files_are_reported_at_load_time(tmp_path: Path, source: str, problem: str) -> None:
    with pytest.raises(BotLoadError) as info:
        make_service(bot(tmp_path, [], actions={"bad": source}))
    assert "actions/bad.py" in str(info.value)
    assert problem in str(info.value)


async def test_two_bots_with_the_same_action_name_keep_their_own_code(tmp_path: Path) -> None:
    def action(value: int) -> str:
        return f"async def run(temp):\n    temp['total'] = {value}\n"

    main = {"main.flow.json": flow(node("one", on_enter=["calc {}", "say #!builtin_text-total"]))}
    one = write_bot(tmp_path / "one", main, texts=TEXTS, actions={"calc": action(1)})
    two = write_bot(tmp_path / "two", main, texts=TEXTS, actions={"calc": action(2)})
    service = make_service(one, two)
    assert texts(await say(service, "one", "hi")) == ["total=1"]
    assert texts(await say(service, "two", "hi")) == ["total=2"]


HOOKS = {
    "before_incoming": {
        "01_shout.py": "async def run(event):\n    p = event['payload']\n    p['text'] = p['text'].upper()\n",
    },
    "after_incoming": {
        "01_flag.py": "async def run(event, temp):\n    temp['intent'] = event['nlu']['intent']['name']\n",
    },
    "before_outgoing": {
        "01_sign.py": "async def run(payload):\n    payload['text'] = payload['text'] + ' -- bot'\n",
    },
    "after_event_processed": {
        "01_count.py": "async def run(session):\n    session['processed'] = session.get('processed', 0) + 1",
        ".02_disabled.py": "async def run(session):\n    session['disabled_ran'] = True\n",
    },
}


async def test_hooks_run_at_their_stage(tmp_path: Path) -> None:
    texts_ = {"builtin_text-echo": "{{event.payload.text}} {{temp.intent}}"}
    main = flow(node("one", on_enter=["say #!builtin_text-echo"]))
    root = write_bot(tmp_path / "bot", {"main.flow.json": main}, texts=texts_, hooks=HOOKS)
    service = make_service(root)
    result = await say(service, "bot", "hello")
    assert texts(result) == ["HELLO none -- bot"]
    assert result.state["session"]["processed"] == 1
    assert "disabled_ran" not in result.state["session"]


async def test_botpress_hook_folder_names_are_accepted(tmp_path: Path) -> None:
    hooks = {"before_outgoing_middleware": HOOKS["before_outgoing"]}
    main = flow(node("one", on_enter=["say #!builtin_text-after"]))
    service = make_service(write_bot(tmp_path / "bot", {"main.flow.json": main}, texts=TEXTS, hooks=hooks))
    assert texts(await say(service, "bot", "hi")) == ["after -- bot"]


async def test_a_failing_or_hanging_hook_is_logged_and_the_turn_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hooks = {
        "before_incoming": {
            "01_fails.py": "async def run(event):\n    raise KeyError('missing')\n",
            "02_hangs.py": "import asyncio\nasync def run():\n    await asyncio.sleep(3600)\n",
        }
    }
    main = flow(node("one", on_enter=["say #!builtin_text-after"]))
    root = write_bot(tmp_path / "bot", {"main.flow.json": main}, texts=TEXTS, hooks=hooks)
    service = make_service(root, settings=RuntimeSettings(hook_timeout=0.05))
    with caplog.at_level(logging.ERROR, "flowbot.runtime"):
        result = await say(service, "bot", "hi")
    assert texts(result) == ["after"]
    assert [e["type"] for e in result.errors] == ["hook-execution", "hook-execution"]
    assert "01_fails.py" in result.errors[0]["message"]
    assert "did not finish within 0.05 s" in result.errors[1]["message"]
    assert "hook before_incoming" in caplog.text


def test_an_unknown_hook_folder_is_reported(tmp_path: Path) -> None:
    hooks = {"before_everything": {"a.py": "async def run():\n    pass\n"}}
    main = flow(node("one"))
    with pytest.raises(BotLoadError, match="unknown hook folder"):
        make_service(write_bot(tmp_path / "bot", {"main.flow.json": main}, hooks=hooks))


async def test_javascript_actions_and_hooks_of_a_botpress_bot_are_reported_not_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hooks = {
        "after_bot_mount": {"setup.js": "bp.logger.info('mounted')\n"},
        "before_incoming_middleware": {"log.js": "bp.logger.info(event)\n"},
    }
    main = flow(node("one", on_enter=["legacy_lookup {}", "say #!builtin_text-after"]))
    root = write_bot(
        tmp_path / "bot",
        {"main.flow.json": main, "error.flow.json": ERROR_FLOW},
        texts=TEXTS,
        hooks=hooks,
    )
    (root / "actions").mkdir()
    (root / "actions" / "legacy_lookup.js").write_text("const x = 1\n")
    with caplog.at_level(logging.WARNING, "flowbot.runtime"):
        service = make_service(root)
    assert "1 JavaScript action file(s) not run" in caplog.text
    assert "legacy_lookup.js" in caplog.text
    assert "setup.js" in caplog.text and "log.js" in caplog.text
    result = await say(service, "bot", "hi")
    assert texts(result) == ["oops"]
    assert result.errors[0]["type"] == "action-execution"


async def test_a_hook_can_skip_the_dialog_engine(tmp_path: Path) -> None:
    hooks = {
        "after_incoming": {"skip.py": "async def run(event):\n    event.set_flag('SKIP_DIALOG_ENGINE')\n"}
    }
    main = flow(node("one", on_enter=["say #!builtin_text-after"]))
    service = make_service(write_bot(tmp_path / "bot", {"main.flow.json": main}, texts=TEXTS, hooks=hooks))
    result = await service.converse("bot", "u1", IncomingMessage(payload={"type": "text", "text": "hi"}))
    assert result.responses == []
