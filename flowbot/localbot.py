"""A bot made ready to run in-process, for the authoring tools (``bot chat``, ``bot test``,
``bot graph``, ``bot serve --reload``): compiled first when it is a source bot, loaded with its
Python code and its NLU model, exactly as the server loads it.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from flowbot.errors import FlowbotError
from flowbot.runtime.bot import BotDefinition
from flowbot.runtime.bot import BotLoadError
from flowbot.runtime.bot import load_bot
from flowbot.runtime.registry import BotBundle
from flowbot.runtime.registry import bundle_for

if TYPE_CHECKING:
    from flowbot.compiler import Diagnostic


class BotPrepareError(FlowbotError):
    """A folder that is not a bot, a bot that does not compile (``diagnostics``), or that does not load."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


@dataclass(frozen=True)
class PreparedBot:
    """``folder`` is what runs: ``source`` itself, or where it was compiled to. ``diagnostics`` are
    the compiler's warnings (a bot with errors is never prepared)."""

    source: Path
    folder: Path
    compiled: bool
    diagnostics: list[Diagnostic] = field(default_factory=list)


def is_compiled_bot(folder: Path) -> bool:
    """A Botpress v12 bot folder (compiled by ``bot build``, or taken from Botpress)."""
    return (folder / "bot.config.json").is_file() or (folder / "flows").is_dir()


def is_bot_folder(folder: Path) -> bool:
    from flowbot.compiler import is_source_bot

    return folder.is_dir() and (is_compiled_bot(folder) or is_source_bot(folder))


def user_cache_dir() -> Path:
    """Where the tools keep what outlives a run (trained NLU models, by a hash of their data):
    ``$XDG_CACHE_HOME/flowbot``, else ``~/.cache/flowbot``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "flowbot"


def prepare_bot(bot_dir: Path, build_dir: Path, *, train_nlu: bool = True) -> PreparedBot:
    """Compile a source bot into ``build_dir`` (replaced), or take a compiled/Botpress bot as it is.
    ``train_nlu=False`` skips the model in the build: :func:`load_bundle` then takes it from its
    cache, or trains it there (the next run with the same NLU data trains nothing)."""
    from flowbot.compiler import build
    from flowbot.compiler import is_source_bot

    if not bot_dir.is_dir():
        raise BotPrepareError(f"{bot_dir}: not a folder")
    bots = _child_bots(bot_dir)
    if len(bots) > 1:
        names = ", ".join(b.name for b in bots)
        raise BotPrepareError(f"{bot_dir} is a folder of bots ({names}): name one, e.g. {bots[0]}")
    if is_source_bot(bot_dir):
        result = build(bot_dir, build_dir, train_nlu=train_nlu)
        if not result.ok:
            raise BotPrepareError(f"{bot_dir}: the bot does not compile", result.diagnostics)
        return PreparedBot(bot_dir, build_dir, True, result.diagnostics)
    if is_compiled_bot(bot_dir):
        return PreparedBot(bot_dir, bot_dir, False)
    raise BotPrepareError(
        f"{bot_dir}: not a bot folder (expected *.flow files, or bot.config.json and flows/)"
    )


def _child_bots(folder: Path) -> list[Path]:
    """The bot folders inside ``folder`` when it is not a bot itself (no ``*.flow`` file at its top
    level, no ``bot.config.json``): ``bots/`` rather than ``bots/weather``."""
    if is_compiled_bot(folder) or any(folder.glob("*.flow")):
        return []
    return [child for child in sorted(folder.iterdir()) if child.is_dir() and is_bot_folder(child)]


def load_definition(folder: Path, bot_id: str | None = None) -> BotDefinition:
    try:
        return load_bot(folder, bot_id)
    except BotLoadError as exc:
        raise BotPrepareError(str(exc)) from None


def load_bundle(folder: Path, nlu_cache: Path, *, bot_id: str | None = None) -> BotBundle:
    """The bot's definition, Python actions and hooks, and NLU model (from ``<folder>/nlu`` when
    it is current, else trained once and cached in ``nlu_cache``)."""
    from flowbot.runtime.nlu import load_or_train

    definition = load_definition(folder, bot_id)
    try:
        nlu = load_or_train(definition, nlu_cache)
        return bundle_for(definition, nlu=nlu)
    except BotLoadError as exc:
        raise BotPrepareError(str(exc)) from None
    except (FlowbotError, ValueError) as exc:
        raise BotPrepareError(f"{folder}: cannot load the bot's NLU: {exc}") from None


@contextmanager
def runtime_logs(verbose: bool) -> Iterator[None]:
    """The tools show the runtime's errors themselves (in the chat, in test failures), so its log
    (with the tracebacks of failing actions) reaches stderr only when ``verbose``. Restored on exit."""
    logger = logging.getLogger("flowbot")
    saved = (logger.propagate, list(logger.handlers), logger.level)
    handler: logging.Handler
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.setLevel(logging.INFO)
    else:
        handler = logging.NullHandler()
    logger.handlers = [handler]
    logger.propagate = False
    try:
        yield
    finally:
        logger.propagate, logger.handlers = saved[0], saved[1]
        logger.setLevel(saved[2])
