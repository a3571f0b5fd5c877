"""The service calls the authoring tools use: ``reset_session`` (bot chat's /reset) and
``replace_bot`` (bot serve --reload)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowbot.runtime.registry import load_bundle
from flowbot.runtime.service import UnknownBotError
from tests.runtime.botkit import flow
from tests.runtime.botkit import make_service
from tests.runtime.botkit import node
from tests.runtime.botkit import say
from tests.runtime.botkit import texts
from tests.runtime.botkit import write_bot

REMEMBER = 'builtin/setVariable {"type":"user","name":"name","value":"{{event.payload.text}}"}'
COUNT = 'builtin/setVariable {"type":"session","name":"seen","value":"yes"}'


def _bot(root: Path, greeting: str) -> Path:
    main = flow(
        node(
            "ask",
            on_enter=["say #!builtin_text-hello"],
            on_receive=[REMEMBER, COUNT],
            next=[("true", "done")],
        ),
        node("done", on_enter=["say #!builtin_text-bye"], next=[("true", "END")]),
    )
    return write_bot(
        root, {"main.flow.json": main}, texts={"builtin_text-hello": greeting, "builtin_text-bye": "Bye"}
    )


async def test_reset_session_empties_the_session_and_keeps_user_memory(tmp_path: Path) -> None:
    service = make_service(_bot(tmp_path / "bot", "Name?"))
    await say(service, "bot", "hi")
    await say(service, "bot", "Ada")
    await say(service, "bot", "again")  # waiting at `ask` once more
    await service.reset_session("bot", "u1")
    record = await service.store.load("bot", "u1")
    assert record.context.is_empty and record.temp == {} and "seen" not in record.session
    assert record.user == {"name": "Ada"}
    with pytest.raises(UnknownBotError):
        await service.reset_session("nobody", "u1")


async def test_replace_bot_runs_the_new_version_for_waiting_conversations(tmp_path: Path) -> None:
    folder = _bot(tmp_path / "bot", "Name?")
    service = make_service(folder)
    assert texts(await say(service, "bot", "hi")) == ["Name?"]
    _bot(folder, "Your name, please?")
    (folder / "content-elements" / "builtin_text.json").write_text(
        (folder / "content-elements" / "builtin_text.json").read_text().replace('"Bye"', '"See you"')
    )
    service.replace_bot(load_bundle(folder))
    assert texts(await say(service, "bot", "Ada")) == ["See you"]  # the waiting turn goes on, new texts
    with pytest.raises(UnknownBotError):
        service.replace_bot(load_bundle(_bot(tmp_path / "other", "Hi")))
