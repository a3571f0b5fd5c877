"""Conversation tests inside pytest: every ``*.convo`` file collected is a test module, each of its
``test`` blocks a test item.

Enable it with ``pytest -p flowbot.testing.pytest_plugin`` or, in a ``conftest.py``::

    pytest_plugins = ["flowbot.testing.pytest_plugin"]

A test file belongs to the nearest bot folder above it (``bots/weather/tests/main.convo`` tests
``bots/weather``); each bot is compiled and loaded once per session. A failing test reports the
same difference ``bot test`` prints; a file with syntax errors fails with its diagnostics.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flowbot.compiler.diagnostics import render_diagnostics
from flowbot.localbot import BotPrepareError
from flowbot.localbot import is_bot_folder
from flowbot.runtime.registry import BotBundle
from flowbot.testing.model import TestCase
from flowbot.testing.model import TestFile
from flowbot.testing.parse import SUFFIX
from flowbot.testing.parse import read_convo
from flowbot.testing.report import render_failure
from flowbot.testing.runner import CaseResult
from flowbot.testing.runner import run_case
from flowbot.testing.suite import display_path
from flowbot.testing.suite import load_for_tests

_BOTS = pytest.StashKey["_Bots"]()


class ConvoFailed(Exception):
    """A conversation test that failed (shown with its difference, never with a traceback)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class _Bots:
    """Bots loaded for this session, by folder (a bot that does not compile fails its tests)."""

    def __init__(self) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="flowbot-pytest-"))
        self.loaded: dict[Path, BotBundle | BotPrepareError] = {}

    def bundle(self, bot_dir: Path) -> BotBundle:
        key = bot_dir.resolve()
        if key not in self.loaded:
            try:
                self.loaded[key] = load_for_tests(bot_dir, self.work / str(len(self.loaded)))
            except BotPrepareError as exc:
                self.loaded[key] = exc
        found = self.loaded[key]
        if isinstance(found, BotPrepareError):
            detail = render_diagnostics(found.diagnostics, "short") if found.diagnostics else ""
            raise ConvoFailed(f"{found}\n{detail}".rstrip())
        return found

    def close(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


def bot_folder_of(path: Path) -> Path | None:
    """The nearest folder above ``path`` that is a bot (source or compiled)."""
    for folder in path.resolve().parents:
        if is_bot_folder(folder):
            return folder
    return None


def pytest_configure(config: pytest.Config) -> None:
    bots = _Bots()
    config.stash[_BOTS] = bots
    config.add_cleanup(bots.close)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix == SUFFIX:
        return ConvoFile.from_parent(parent, path=file_path)
    return None


class ConvoFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        parsed = read_convo(self.path, display_path(self.path))
        if not parsed.ok:
            yield ConvoItem.from_parent(self, name="(syntax)", parsed=parsed, case=None)
            return
        for case in parsed.tests:
            yield ConvoItem.from_parent(self, name=case.name, parsed=parsed, case=case)


class ConvoItem(pytest.Item):
    def __init__(self, *, parsed: TestFile, case: TestCase | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parsed = parsed
        self.case = case

    def runtest(self) -> None:
        if self.case is None:
            raise ConvoFailed(render_diagnostics(self.parsed.diagnostics, "pretty"))
        bot_dir = bot_folder_of(self.path)
        if bot_dir is None:
            raise ConvoFailed(f"{self.parsed.path}: no bot folder above this file (a folder of *.flow files)")
        bundle = self.config.stash[_BOTS].bundle(bot_dir)
        result: CaseResult = asyncio.run(run_case(bundle, self.parsed, self.case))
        if result.failure is not None:
            raise ConvoFailed(render_failure(result))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, ConvoFailed):
            return excinfo.value.text
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        line = self.case.span.line - 1 if self.case is not None else 0
        return self.path, line, f"convo: {self.name}"
