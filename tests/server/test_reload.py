"""``bot serve --reload``: a changed bot is rebuilt and swapped in, conversations carry on, and a
bot that no longer compiles keeps serving its last good version with its errors logged."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from flowbot.cli import cli
from flowbot.localbot import load_bundle
from flowbot.runtime.conversation import IncomingMessage
from flowbot.runtime.service import ConversationService
from flowbot.runtime.store import MemoryStore
from flowbot.scaffold import create_bot
from flowbot.server.bots import prepare_sources
from flowbot.server.main import ServeSpec
from flowbot.server.main import reloader_for
from flowbot.server.reload import BotReloader
from flowbot.server.reload import WatchedBot
from flowbot.settings import load_settings
from tests.conftest import ROOT


class Served:
    def __init__(self, source: Path, data: Path) -> None:
        [(bot_id, (self.source, self.compiled))] = prepare_sources([source], data).items()
        self.bot_id = bot_id
        bundle = load_bundle(self.compiled, data / "nlu-cache", bot_id=bot_id)
        self.service = ConversationService({bot_id: bundle}, MemoryStore())
        self.watched = WatchedBot(bot_id=bot_id, source=self.source, compiled=self.compiled)
        self.nlu_cache = data / "nlu-cache"

    async def say(self, text: str, user: str = "ada") -> list[str]:
        result = await self.service.converse(
            self.bot_id, user, IncomingMessage(payload={"type": "text", "text": text})
        )
        return [r["text"] for r in result.responses if r.get("type") == "text"]


@pytest.fixture
def served(tmp_path: Path) -> Served:
    create_bot(tmp_path / "echo", "empty")
    return Served(tmp_path / "echo", tmp_path / "data")


def _edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


async def test_a_changed_bot_is_reloaded_and_a_waiting_conversation_carries_on(served: Served) -> None:
    reloader = BotReloader([served.watched], served.service, nlu_cache=served.nlu_cache)
    assert await served.say("hi") == ["Hello! I'm Echo. Say something and I will repeat it."]
    _edit(served.source / "main.flow", "You said:", "You wrote:")
    outcome = await reloader.reload(served.bot_id)
    assert outcome.ok and outcome.problems == []
    assert await served.say("parrot") == ["You wrote: parrot"]  # the turn waiting at `listen` went on


async def test_a_bot_with_errors_keeps_its_last_good_version(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    reloader = BotReloader([served.watched], served.service, nlu_cache=served.nlu_cache)
    _edit(served.source / "main.flow", "    -> end", "    -> nowhere")
    with caplog.at_level(logging.ERROR, logger="flowbot.server.reload"):
        outcome = await reloader.reload(served.bot_id)
    assert not outcome.ok
    where = f"{served.source}/main.flow:14:8"
    assert outcome.problems == [f"{where}: error: unknown node `nowhere` [E101]"]
    assert [r.getMessage() for r in caplog.records] == [
        "bot echo: not reloaded, it keeps serving its last good version:",
        f"bot echo: {where}: error: unknown node `nowhere` [E101]",
    ]
    assert await served.say("hi") == ["Hello! I'm Echo. Say something and I will repeat it."]
    assert await served.say("still here") == ["You said: still here"]


async def test_a_python_action_that_no_longer_imports_keeps_the_last_good_version(tmp_path: Path) -> None:
    create_bot(tmp_path / "weather", "weather")
    served = Served(tmp_path / "weather", tmp_path / "data")
    reloader = BotReloader([served.watched], served.service, nlu_cache=served.nlu_cache)
    (served.source / "actions" / "summarize.py").write_text("async def run(:\n", encoding="utf-8")
    outcome = await reloader.reload(served.bot_id)
    assert not outcome.ok
    assert any("summarize.py" in problem for problem in outcome.problems)
    assert await served.say("hello") == ["Hi! I'm Weather. Ask me about the weather in a city."]


@pytest.fixture
async def watching(served: Served) -> AsyncIterator[BotReloader]:
    reloader = BotReloader(
        [served.watched], served.service, nlu_cache=served.nlu_cache, ignore=[served.compiled.parent]
    )
    await reloader.start()
    yield reloader
    await reloader.close()


async def test_the_watcher_reloads_when_a_file_changes(served: Served, watching: BotReloader) -> None:
    await asyncio.sleep(0.5)  # let watchfiles register the folder
    _edit(served.source / "main.flow", "Say something", "Tell me something")
    for _ in range(100):  # up to 20 s on a busy machine; usually well under a second
        answers = await served.say("hi", user=f"u{_}")
        if answers == ["Hello! I'm Echo. Tell me something and I will repeat it."]:
            break
        await asyncio.sleep(0.2)
    else:
        pytest.fail("the bot was not reloaded")


def test_only_relevant_files_trigger_a_reload(served: Served, tmp_path: Path) -> None:
    reloader = BotReloader(
        [served.watched], served.service, nlu_cache=served.nlu_cache, ignore=[tmp_path / "data"]
    )
    assert reloader.relevant(None, str(served.source / "main.flow"))
    assert reloader.relevant(None, str(served.source / "actions" / "x.py"))
    assert not reloader.relevant(None, str(served.source / "README.md"))
    assert not reloader.relevant(None, str(served.source / ".git" / "index.json"))
    assert not reloader.relevant(None, str(tmp_path / "data" / "bots" / "echo" / "flows" / "main.flow.json"))
    assert reloader.changed_bots({str(served.source / "main.flow"), "/elsewhere/x.flow"}) == ["echo"]


def test_the_served_app_watches_source_bots_and_compiled_bots(tmp_path: Path, compat_bots: Path) -> None:
    create_bot(tmp_path / "echo", "empty")
    shutil.copytree(compat_bots / "empty-bot", tmp_path / "plain")
    served = prepare_sources([tmp_path / "echo", tmp_path / "plain"], tmp_path / "data")
    spec = ServeSpec(
        data_dir=tmp_path / "data",
        bots={bot_id: runnable for bot_id, (_, runnable) in served.items()},
        reload={bot_id: source for bot_id, (source, _) in served.items()},
    )
    reloader = reloader_for(spec, load_settings(tmp_path / "data", {}), object())
    by_id = {bot.bot_id: bot for bot in reloader.bots.values()}
    assert by_id["echo"].compiled == (tmp_path / "data" / "bots" / "echo").resolve()
    plain = next(bot for bot_id, bot in by_id.items() if bot_id != "echo")
    assert plain.compiled is None and plain.source == (tmp_path / "plain").resolve()


def test_reload_runs_one_worker() -> None:
    result = CliRunner().invoke(cli, ["serve", str(ROOT / "bots" / "support"), "--reload", "--workers", "2"])
    assert result.exit_code == 2
    assert "--reload runs one worker" in result.stderr
