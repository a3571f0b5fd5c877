"""Finding the bots ``bot serve`` runs: each argument is a bot folder or a folder of bot folders.

A folder with ``bot.config.json`` or ``flows/`` is a compiled/Botpress v12 bot and runs as it is; a
folder of ``*.flow`` files is a source bot, compiled on start into ``<data>/bots/<name>``.
"""

from __future__ import annotations

from pathlib import Path

from flowbot.errors import FlowbotError
from flowbot.runtime.bot import BotDefinition
from flowbot.runtime.bot import BotLoadError
from flowbot.runtime.bot import load_bot


class BotSetupError(FlowbotError):
    """A served folder is not a bot, does not compile, or does not load."""


def is_compiled_bot(folder: Path) -> bool:
    return (folder / "bot.config.json").is_file() or (folder / "flows").is_dir()


def is_source_bot(folder: Path) -> bool:
    return not is_compiled_bot(folder) and any(folder.glob("*.flow"))


def discover(paths: list[Path]) -> list[Path]:
    """The bot folders named by the arguments, in order, each once."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            raise BotSetupError(f"{path}: not a folder")
        if is_compiled_bot(path) or is_source_bot(path):
            candidates = [path]
        else:
            candidates = [
                child
                for child in sorted(path.iterdir())
                if child.is_dir() and (is_compiled_bot(child) or is_source_bot(child))
            ]
            if not candidates:
                raise BotSetupError(
                    f"{path}: neither a bot folder (bot.config.json, flows/ or *.flow files) nor a folder of bots"
                )
        for folder in candidates:
            if folder.resolve() not in {f.resolve() for f in found}:
                found.append(folder)
    return found


def compile_source(folder: Path, data_dir: Path) -> Path:
    """Build a source bot into ``<data>/bots/<name>``; every error at once if it does not compile."""
    try:
        from flowbot.compiler import build
        from flowbot.compiler import render_diagnostics
    except ImportError as exc:
        raise BotSetupError(
            f"{folder}: a source bot needs the compiler (flowbot.compiler), which is missing: {exc}"
        ) from None

    out = data_dir / "bots" / folder.resolve().name
    result = build(folder, out)
    if not result.ok:
        raise BotSetupError(
            f"{folder}: the bot does not compile:\n{render_diagnostics(result.diagnostics, fmt='short')}"
        )
    return out


def prepare(paths: list[Path], data_dir: Path) -> dict[str, Path]:
    """Bot id -> the folder to run (compiled when needed). Ids are unique."""
    return {bot_id: runnable for bot_id, (_, runnable) in prepare_sources(paths, data_dir).items()}


def prepare_sources(paths: list[Path], data_dir: Path) -> dict[str, tuple[Path, Path]]:
    """Bot id -> (the folder given, the folder to run): they differ for a source bot, compiled
    into the data folder (``bot serve --reload`` watches the first and rebuilds the second)."""
    bots: dict[str, tuple[Path, Path]] = {}
    for folder in discover(paths):
        runnable = compile_source(folder, data_dir) if is_source_bot(folder) else folder
        bot = load(runnable)
        if bot.bot_id in bots:
            raise BotSetupError(f"{folder}: bot id {bot.bot_id!r} is already served from {bots[bot.bot_id][1]}")
        bots[bot.bot_id] = (folder.resolve(), runnable.resolve())
    return bots


def load(folder: Path, bot_id: str | None = None) -> BotDefinition:
    try:
        return load_bot(folder, bot_id)
    except BotLoadError as exc:
        raise BotSetupError(str(exc)) from None
