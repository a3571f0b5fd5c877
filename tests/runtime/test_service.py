"""The conversation service: ordering, atomicity, injection safety, triggers and the turn pipeline."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from flowbot.runtime.bot import load_bot
from flowbot.runtime.conversation import IncomingMessage
from flowbot.runtime.flows import FlowError
from flowbot.runtime.service import ConversationService
from flowbot.runtime.service import UnknownBotError
from flowbot.runtime.state import ConversationRecord
from flowbot.runtime.store import MemoryStore
from flowbot.runtime.store import SqliteStore
from tests.runtime.botkit import flow
from tests.runtime.botkit import make_service
from tests.runtime.botkit import node
from tests.runtime.botkit import say
from tests.runtime.botkit import texts
from tests.runtime.botkit import write_bot

RECORD_ACTION = """
async def run(session, event):
    session.setdefault("seen", []).append(event["payload"]["text"])
    await __import__("asyncio").sleep(0)
"""


def counter_bot(tmp_path: Path) -> Path:
    main = flow(node("listen", on_receive=["record {}"], next=[("true", "listen")]))
    return write_bot(tmp_path / "bot", {"main.flow.json": main}, actions={"record": RECORD_ACTION})


@pytest.mark.parametrize("store_kind", ["memory", "sqlite"])
async def test_concurrent_turns_of_one_user_are_applied_in_order_and_none_is_lost(
    tmp_path: Path, store_kind: str
) -> None:
    store = MemoryStore() if store_kind == "memory" else SqliteStore(tmp_path / "state.db")
    await store.open()
    try:
        service = make_service(counter_bot(tmp_path), store=store)
        await say(service, "bot", "start")
        results = await asyncio.gather(*(say(service, "bot", str(i)) for i in range(100)))
        assert [r.state["session"]["seen"][-1] for r in results] == [str(i) for i in range(100)]
        record = await store.load("bot", "u1")
        assert record.session["seen"] == [str(i) for i in range(100)]
    finally:
        await store.close()


async def test_turns_of_different_users_run_concurrently(tmp_path: Path) -> None:
    slow = "async def run(temp):\n    import asyncio\n    await asyncio.sleep(0.2)\n"
    main = flow(node("one", on_enter=["slow {}"]))
    service = make_service(write_bot(tmp_path / "bot", {"main.flow.json": main}, actions={"slow": slow}))
    started = asyncio.get_running_loop().time()
    await asyncio.gather(*(say(service, "bot", "hi", user=f"user-{i}") for i in range(20)))
    assert asyncio.get_running_loop().time() - started < 2.0  # 20 x 0.2 s would be 4 s serialized


class FailOnSave:
    """A store (mixed in before it) whose saves fail while ``fail`` is set: a disk gone full."""

    fail = False

    async def save(
        self,
        bot_id: str,
        user_id: str,
        record: ConversationRecord,
        bot_changes: dict[str, Any],
        *,
        reusable: bool = False,
    ) -> None:
        if self.fail:
            raise OSError("disk full")
        await super().save(bot_id, user_id, record, bot_changes, reusable=reusable)  # type: ignore[misc]


class FailingStore(FailOnSave, MemoryStore):
    pass


async def test_a_turn_that_raises_leaves_the_stored_state_unchanged(tmp_path: Path) -> None:
    store = FailingStore()
    service = make_service(counter_bot(tmp_path), store=store)
    await say(service, "bot", "start")
    await say(service, "bot", "one")
    before = await store.load("bot", "u1")
    store.fail = True
    with pytest.raises(OSError, match="disk full"):
        await say(service, "bot", "two")
    assert await store.load("bot", "u1") == before
    store.fail = False
    result = await say(service, "bot", "three")
    assert result.state["session"]["seen"] == ["one", "three"]


async def test_an_unexpected_failure_mid_turn_leaves_the_state_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore()
    service = make_service(counter_bot(tmp_path), store=store)
    await say(service, "bot", "start")
    await say(service, "bot", "one")
    before = await store.load("bot", "u1")

    def broken(turn: object) -> list[dict[str, Any]]:
        raise RuntimeError("bug")

    monkeypatch.setattr(service.runtime("bot").decision, "suggest", broken)
    with pytest.raises(RuntimeError):
        await say(service, "bot", "two")
    assert await store.load("bot", "u1") == before


async def test_text_typed_by_a_user_is_never_rendered_as_a_template(tmp_path: Path) -> None:
    for engine in ("mustache", "jinja2"):
        main = flow(
            node(
                "ask",
                on_enter=['builtin/setVariable {"type":"temp","name":"secret","value":"S3CRET"}'],
                on_receive=[
                    'builtin/setVariable {"type":"user","name":"name","value":"{{event.payload.text}}"}'
                ],
                next=[("true", "echo")],
            ),
            node("echo", on_enter=["say #!builtin_text-echo"]),
        )
        texts_ = {"builtin_text-echo": "You said: {{user.name}} / {{event.payload.text}}"}
        root = write_bot(
            tmp_path / engine, {"main.flow.json": main}, texts=texts_, config={"templateEngine": engine}
        )
        service = make_service(root)
        await say(service, engine, "hi")
        result = await say(service, engine, "{{ temp.secret }}")
        assert texts(result) == ["You said: {{ temp.secret }} / {{ temp.secret }}"]
        assert result.state["user"]["name"] == "{{ temp.secret }}"


async def test_unknown_bot_is_a_clear_error(tmp_path: Path) -> None:
    service = make_service(counter_bot(tmp_path))
    with pytest.raises(UnknownBotError, match="unknown bot 'nope'"):
        await say(service, "nope", "hi")


async def test_trigger_starts_a_flow_without_a_message(tmp_path: Path) -> None:
    main = flow(node("idle", on_receive=[], next=[]))
    promo = flow(
        node("entry", on_enter=["say #!builtin_text-promo"], on_receive=[]),
        node("other", on_enter=["say #!builtin_text-other"]),
    )
    texts_ = {"builtin_text-promo": "Hello {{event.payload.name}}", "builtin_text-other": "other"}
    service = make_service(
        write_bot(tmp_path / "bot", {"main.flow.json": main, "promo.flow.json": promo}, texts=texts_)
    )
    result = await service.trigger("bot", "u1", "promo", payload={"name": "Ann"})
    assert texts(result) == ["Hello Ann"]
    assert result.state["context"]["currentFlow"] == "promo.flow.json"
    assert texts(await service.trigger("bot", "u1", "promo.flow.json", "other")) == ["other"]
    with pytest.raises(FlowError, match="Flow not found: nope"):
        await service.trigger("bot", "u1", "nope")


async def test_non_message_events_skip_the_dialog_engine(tmp_path: Path) -> None:
    main = flow(node("one", on_enter=["say #!builtin_text-x"]))
    service = make_service(
        write_bot(tmp_path / "bot", {"main.flow.json": main}, texts={"builtin_text-x": "x"})
    )
    result = await service.converse("bot", "u1", IncomingMessage(payload={"type": "typing"}))
    assert result.responses == []
    assert result.decision == {}


async def test_the_turn_result_has_the_converse_shapes(tmp_path: Path) -> None:
    main = flow(node("one", on_enter=["say #!builtin_text-x"], on_receive=[]))
    service = make_service(
        write_bot(tmp_path / "bot", {"main.flow.json": main}, texts={"builtin_text-x": "x"})
    )
    result = await say(service, "bot", "Hie")
    assert result.nlu["intent"] == {"name": "none", "confidence": 1, "context": "global"}
    assert result.nlu["includedContexts"] == ["global"]
    assert result.decision == {
        "decision": {"reason": "no suggestion matched", "status": "elected"},
        "confidence": 1,
        "payloads": [],
        "source": "decisionEngine",
        "sourceDetails": "execute default flow",
    }
    assert result.suggestions == []
    assert set(result.state) == {"__stacktrace", "user", "context", "session", "temp", "bot"}
    (last,) = result.state["session"]["lastMessages"]
    assert last["incomingPreview"] == "Hie"
    assert last["replySource"] == "dialogManager"
    assert last["replyPreview"] == "#!builtin_text-x"
    assert last["replyDate"] == "1970-01-12T13:46:40.000Z"


async def test_last_messages_keep_the_last_five(tmp_path: Path) -> None:
    main = flow(node("one", on_enter=["say #!builtin_text-x"] * 4, on_receive=[], next=[("true", "one")]))
    service = make_service(
        write_bot(tmp_path / "bot", {"main.flow.json": main}, texts={"builtin_text-x": "x"})
    )
    await say(service, "bot", "a")
    result = await say(service, "bot", "b")
    assert len(result.state["session"]["lastMessages"]) == 8  # the turn itself sees them all
    record = await service.store.load("bot", "u1")
    assert len(record.session["lastMessages"]) == 5


async def test_bot_memory_is_shared_by_users_and_merged_by_key(tmp_path: Path) -> None:
    set_bot = 'builtin/setVariable {"type":"bot","name":"{{event.payload.text}}","value":"1"}'
    main = flow(node("one", on_enter=[set_bot]))
    service = make_service(write_bot(tmp_path / "bot", {"main.flow.json": main}))
    await asyncio.gather(say(service, "bot", "a", user="x"), say(service, "bot", "b", user="y"))
    assert await service.store.load_bot_memory("bot") == {"a": "1", "b": "1"}
    result = await say(service, "bot", "c", user="z")
    assert result.state["bot"] == {"a": "1", "b": "1", "c": "1"}


async def test_user_memory_is_per_bot(tmp_path: Path) -> None:
    set_user = 'builtin/setVariable {"type":"user","name":"name","value":"{{event.payload.text}}"}'
    show = "say #!builtin_text-show"
    flows = {"main.flow.json": flow(node("one", on_enter=[show, set_user]))}
    one = write_bot(tmp_path / "one", flows, texts={"builtin_text-show": "[{{user.name}}]"})
    two = write_bot(tmp_path / "two", flows, texts={"builtin_text-show": "[{{user.name}}]"})
    service = make_service(one, two)
    await say(service, "one", "Ann")
    assert texts(await say(service, "two", "Bob")) == ["[]"]
    assert texts(await say(service, "one", "x")) == ["[Ann]"]


async def test_jinja2_bots_keep_native_values_in_set_variable(tmp_path: Path) -> None:
    increment = (
        'builtin/setVariable {"type":"session","name":"count","value":"{{ session.get(\'count\', 0) + 1 }}"}'
    )
    items = 'builtin/setVariable {"type":"temp","name":"items","value":"{{ [event.payload.text, \'x\'] }}"}'
    main = flow(
        node(
            "count",
            on_enter=[increment, items, "say #!builtin_text-n"],
            on_receive=[],
            next=[("true", "count")],
        )
    )
    texts_ = {"builtin_text-n": "n={{ session.count }} {{ temp['items'] | length }}"}
    root = write_bot(
        tmp_path / "bot", {"main.flow.json": main}, texts=texts_, config={"templateEngine": "jinja2"}
    )
    service = make_service(root)
    first = await say(service, "bot", "a")
    second = await say(service, "bot", "b")
    assert texts(first) == ["n=1 2"] and texts(second) == ["n=2 2"]
    assert second.state["session"]["count"] == 2
    assert second.state["temp"]["items"] == ["b", "x"]


async def test_a_service_from_bot_definitions_stores_in_sqlite_under_the_data_folder(tmp_path: Path) -> None:
    definition = load_bot(counter_bot(tmp_path))
    service = ConversationService.from_definitions({"bot": definition}, data_dir=tmp_path / "data")
    async with service:
        await say(service, "bot", "start")
        assert (await say(service, "bot", "one")).state["session"]["seen"] == ["one"]
    assert (tmp_path / "data" / "flowbot.sqlite3").exists()


async def test_an_http_client_is_derived_per_bot_with_its_call_api_limits(tmp_path: Path) -> None:
    derived: list[object] = []

    class PooledClient:
        def for_bot(self, limits: object) -> PooledClient:
            derived.append(limits)
            return self

        async def send(self, request: object) -> object:
            raise AssertionError("not called")

    make_service(counter_bot(tmp_path), api_client=PooledClient())  # type: ignore[arg-type]
    (limits,) = derived
    assert limits == load_bot(tmp_path / "bot").config.callApi
