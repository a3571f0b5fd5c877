"""Every example bot ships conversation tests (bots/<bot>/tests/*.convo), and they pass."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flowbot.scaffold import create_bot
from flowbot.testing import run_bot_tests
from flowbot.testing.parse import read_convo
from flowbot.testing.report import render_report
from tests.bots.regenerate import BOTS
from tests.bots.regenerate import example_bots


@pytest.mark.parametrize("name", example_bots())
def test_the_example_bot_passes_its_conversation_tests(name: str) -> None:
    report = run_bot_tests(BOTS / name)
    assert report.files, f"bots/{name} has no conversation tests (bots/{name}/tests/*.convo)"
    assert report.ok, render_report(report)
    assert report.passed >= 5


def test_the_weather_tests_cover_call_api_success_and_failure() -> None:
    steps = [
        step
        for f in (BOTS / "weather" / "tests").glob("*.convo")
        for test in read_convo(f).tests
        for step in test.steps
    ]
    statuses = {step.rule.status for step in steps if step.kind == "mock"}  # type: ignore[union-attr]
    assert (
        200 in statuses
        and {"TIMEOUT", "ECONNREFUSED"} <= statuses
        and any(isinstance(s, int) and s >= 500 for s in statuses)
    )


def test_the_pytest_plugin_collects_and_runs_conversation_tests(tmp_path: Path) -> None:
    create_bot(tmp_path / "echo", "empty")
    (tmp_path / "echo" / "tests" / "wrong.convo").write_text(
        'test "a wrong greeting"\n  user: hi\n  bot: Good morning!\n', encoding="utf-8"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "flowbot.testing.pytest_plugin",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "--rootdir",
            str(tmp_path),
            "echo",
            str(BOTS / "support" / "tests"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed, 7 passed" in done.stdout
    assert "FAILED echo/tests/wrong.convo::a wrong greeting" in done.stdout
    assert "    - bot: Good morning!    (echo/tests/wrong.convo:3)" in done.stdout
    assert "    + bot: Hello! I'm Echo. Say something and I will repeat it." in done.stdout
    assert "Traceback" not in done.stdout
