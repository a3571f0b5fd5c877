"""Conversation tests: ``.convo`` files that talk to a bot and check what it says, offline.

The format is documented in docs/testing.md. From Python::

    from flowbot.testing import run_bot_tests, assert_bot_tests_pass
    report = run_bot_tests(Path("bots/weather"))       # every *.convo file of the bot
    assert report.ok, render_report(report)
    assert_bot_tests_pass(Path("bots/weather"))        # the same, as one assertion

In pytest, ``-p flowbot.testing.pytest_plugin`` collects ``*.convo`` files as tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from flowbot.testing.model import TestCase
from flowbot.testing.model import TestFile
from flowbot.testing.parse import parse_convo
from flowbot.testing.parse import read_convo
from flowbot.testing.report import junit_xml
from flowbot.testing.report import render_report
from flowbot.testing.runner import CaseResult
from flowbot.testing.runner import run_case
from flowbot.testing.suite import Report
from flowbot.testing.suite import arun_bot_tests
from flowbot.testing.suite import run_bot_tests


def assert_bot_tests_pass(bot_dir: Path, paths: Sequence[Path] = ()) -> Report:
    """Run the bot's conversation tests; AssertionError with the report when one fails."""
    report = run_bot_tests(bot_dir, paths)
    if not report.ok:
        raise AssertionError(render_report(report))
    return report


__all__ = [
    "CaseResult",
    "Report",
    "TestCase",
    "TestFile",
    "arun_bot_tests",
    "assert_bot_tests_pass",
    "junit_xml",
    "parse_convo",
    "read_convo",
    "render_report",
    "run_bot_tests",
    "run_case",
]
