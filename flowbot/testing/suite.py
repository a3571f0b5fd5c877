"""A bot's conversation tests from end to end: find the files, prepare the bot, run, report.

This is what ``bot test`` and the pytest plugin call::

    report = run_bot_tests(Path("bots/weather"))          # every tests/**/*.convo of the bot
    report.ok, report.passed, report.failed               # and report.files[i].cases[j].failure
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from flowbot.compiler.diagnostics import Diagnostic
from flowbot.localbot import BotPrepareError
from flowbot.localbot import load_bundle
from flowbot.localbot import prepare_bot
from flowbot.runtime.bot_runtime import RuntimeSettings
from flowbot.runtime.registry import BotBundle
from flowbot.testing.model import TestFile
from flowbot.testing.parse import SUFFIX
from flowbot.testing.parse import read_convo
from flowbot.testing.runner import DEFAULT_CONCURRENCY
from flowbot.testing.runner import CaseResult
from flowbot.testing.runner import run_cases


class FileResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    cases: list[CaseResult] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics) and all(c.passed for c in self.cases)


class Report(BaseModel):
    """The outcome of a run. ``setup`` holds why no test could run (the bot does not compile or
    load: ``setup_diagnostics`` are the compiler's)."""

    model_config = ConfigDict(frozen=True)

    bot: str
    files: list[FileResult] = Field(default_factory=list)
    setup: str | None = None
    setup_diagnostics: list[Diagnostic] = Field(default_factory=list)
    duration: float = 0.0

    @property
    def cases(self) -> list[CaseResult]:
        return [case for file in self.files for case in file.cases]

    @property
    def passed(self) -> int:
        return sum(1 for case in self.cases if case.passed)

    @property
    def failed(self) -> int:
        return sum(1 for case in self.cases if not case.passed)

    @property
    def broken_files(self) -> list[FileResult]:
        return [f for f in self.files if any(d.is_error for d in f.diagnostics)]

    @property
    def ok(self) -> bool:
        return self.setup is None and all(f.ok for f in self.files)


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when under it."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd().resolve()) else str(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def _visible(path: Path, root: Path) -> bool:
    return not any(part.startswith(".") or part == "__pycache__" for part in path.relative_to(root).parts)


def discover(bot_dir: Path, paths: Sequence[Path] = ()) -> list[Path]:
    """The test files: ``paths`` (files, or folders searched for ``*.convo``), by default every
    ``*.convo`` file of the bot folder (usually in ``tests/``), sorted."""
    found: list[Path] = []
    for root in paths or [bot_dir]:
        if root.is_dir():
            found.extend(p for p in sorted(root.rglob(f"*{SUFFIX}")) if p.is_file() and _visible(p, root))
        else:
            found.append(root)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def read_files(paths: Sequence[Path]) -> list[TestFile]:
    return [read_convo(path, display_path(path)) for path in paths]


async def run_files(
    bundle: BotBundle,
    files: Sequence[TestFile],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    settings: RuntimeSettings | None = None,
) -> list[FileResult]:
    results = await run_cases(bundle, files, concurrency=concurrency, settings=settings)
    return [
        FileResult(path=f.path, diagnostics=f.diagnostics, cases=cases)
        for f, cases in zip(files, results, strict=True)
    ]


def load_for_tests(bot_dir: Path, work_dir: Path, nlu_cache: Path | None = None) -> BotBundle:
    """Compile (when needed) and load the bot; raises :class:`BotPrepareError`. The NLU model is
    trained into ``nlu_cache`` (default: in ``work_dir``), or taken from it when its data is unchanged."""
    prepared = prepare_bot(bot_dir, work_dir / "build", train_nlu=False)
    return load_bundle(prepared.folder, nlu_cache or work_dir / "nlu-cache")


async def arun_bot_tests(
    bot_dir: Path,
    paths: Sequence[Path] = (),
    *,
    work_dir: Path | None = None,
    nlu_cache: Path | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Report:
    """Run the conversation tests of the bot in ``bot_dir`` (see :func:`discover`). The bot is
    built in ``work_dir`` (a temporary folder by default); its NLU model is trained in ``nlu_cache``
    (default: the work folder) unless the cache has it already."""
    started = time.perf_counter()
    files = read_files(discover(bot_dir, paths))
    with tempfile.TemporaryDirectory(prefix="flowbot-test-") as scratch:
        try:
            bundle = load_for_tests(bot_dir, work_dir or Path(scratch), nlu_cache)
        except BotPrepareError as exc:
            return Report(
                bot=display_path(bot_dir),
                files=[FileResult(path=f.path, diagnostics=f.diagnostics) for f in files],
                setup=str(exc),
                setup_diagnostics=exc.diagnostics,
                duration=time.perf_counter() - started,
            )
        results = await run_files(bundle, files, concurrency=concurrency)
    return Report(bot=display_path(bot_dir), files=results, duration=time.perf_counter() - started)


def run_bot_tests(bot_dir: Path, paths: Sequence[Path] = (), **options: object) -> Report:
    """:func:`arun_bot_tests` for synchronous callers (not from inside a running event loop)."""
    return asyncio.run(arun_bot_tests(bot_dir, paths, **options))  # type: ignore[arg-type]
