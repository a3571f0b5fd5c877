"""``bot serve --reload``: recompile and reload a bot when its files change, without a restart.

A :class:`BotReloader` watches each served bot's folder (the ``*.flow`` sources of a source bot,
the folder itself for a compiled or Botpress bot) with watchfiles. On a change it rebuilds the
bot off the event loop, loads it (Python code, NLU model) and swaps it into the running
conversation service: stored conversations carry on with the new version. A bot that no longer
compiles keeps serving its last good version, and every error is logged with file:line:col.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict

logger = logging.getLogger("flowbot.server.reload")

WATCHED_SUFFIXES = (".flow", ".py", ".json")
DEBOUNCE_MS = 300


class WatchedBot(BaseModel):
    """A served bot: its id, the folder to watch and, for a source bot, where it is compiled to."""

    model_config = ConfigDict(frozen=True)

    bot_id: str
    source: Path
    compiled: Path | None = None  # None: the source folder runs as it is


class ReloadOutcome(BaseModel):
    bot_id: str
    ok: bool
    problems: list[str]
    seconds: float


Watch = Callable[..., AsyncIterator[set[tuple[Any, str]]]]


class BotReloader:
    """Started and closed with the app (a resource of ``create_app``)."""

    def __init__(
        self,
        bots: list[WatchedBot],
        service: Any,
        *,
        nlu_cache: Path,
        ignore: Sequence[Path] = (),
        watch: Watch | None = None,
    ) -> None:
        self.bots = {bot.bot_id: bot for bot in bots}
        self.service = service
        self.nlu_cache = nlu_cache
        self.ignore = [path.resolve() for path in ignore]
        self._watch = watch
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        if self._task is None and self.bots:
            self._stop.clear()
            self._task = asyncio.create_task(self._run(), name="flowbot-reload")
            logger.info("watching %s for changes", ", ".join(str(b.source) for b in self.bots.values()))

    async def close(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def relevant(self, change: Any, path: str) -> bool:
        file = Path(path)
        if any(part.startswith(".") or part == "__pycache__" for part in file.parts):
            return False
        resolved = file.resolve()
        if any(resolved.is_relative_to(ignored) for ignored in self.ignore):
            return False
        return file.suffix in WATCHED_SUFFIXES

    def changed_bots(self, paths: set[str]) -> list[str]:
        changed = []
        for bot in self.bots.values():
            root = bot.source.resolve()
            if any(Path(path).resolve().is_relative_to(root) for path in paths):
                changed.append(bot.bot_id)
        return changed

    async def _run(self) -> None:
        watch = self._watch
        if watch is None:
            from watchfiles import awatch

            watch = awatch
        folders = [str(bot.source) for bot in self.bots.values()]
        async for changes in watch(
            *folders, watch_filter=self.relevant, debounce=DEBOUNCE_MS, stop_event=self._stop
        ):
            for bot_id in self.changed_bots({path for _, path in changes}):
                try:
                    await self.reload(bot_id)
                except Exception:  # noqa: BLE001 - a failed reload must never stop the watcher
                    logger.exception("bot %s: reload failed; it keeps serving its last good version", bot_id)

    async def reload(self, bot_id: str) -> ReloadOutcome:
        """Rebuild and reload one bot now (the watcher calls this; so can tests and tools)."""
        async with self._lock:
            started = time.perf_counter()
            bot = self.bots[bot_id]
            problems = await asyncio.to_thread(self._rebuild, bot)
            if not problems:
                problems = await self._swap(bot)
            outcome = ReloadOutcome(
                bot_id=bot_id, ok=not problems, problems=problems, seconds=time.perf_counter() - started
            )
        if outcome.ok:
            logger.info("bot %s: reloaded in %.2f s", bot_id, outcome.seconds)
        else:
            logger.error("bot %s: not reloaded, it keeps serving its last good version:", bot_id)
            for problem in problems:
                logger.error("bot %s: %s", bot_id, problem)
        return outcome

    def _rebuild(self, bot: WatchedBot) -> list[str]:
        if bot.compiled is None:
            return []
        from flowbot.compiler import build
        from flowbot.compiler import render_diagnostics

        result = build(bot.source, bot.compiled)
        if result.ok:
            return []
        errors = [d for d in result.diagnostics if d.is_error]
        return render_diagnostics(errors, "short").splitlines()

    async def _swap(self, bot: WatchedBot) -> list[str]:
        from flowbot.localbot import BotPrepareError
        from flowbot.localbot import load_bundle

        folder = bot.compiled or bot.source
        try:
            bundle = await asyncio.to_thread(load_bundle, folder, self.nlu_cache, bot_id=bot.bot_id)
        except BotPrepareError as exc:
            return str(exc).splitlines()
        self.service.replace_bot(bundle)
        return []
