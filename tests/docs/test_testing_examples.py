"""The conversation tests shown in docs/testing.md parse, and those of the weather bot pass."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flowbot.testing import run_bot_tests
from flowbot.testing.parse import parse_convo
from flowbot.testing.report import render_report
from tests.conftest import ROOT

DOC = ROOT / "docs" / "testing.md"
BLOCKS = re.findall(r"```convo\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


def test_the_page_has_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_each_example_parses(number: int) -> None:
    parsed = parse_convo(BLOCKS[number], f"docs/testing.md example {number + 1}")
    assert parsed.ok and parsed.tests, parsed.diagnostics


@pytest.mark.parametrize("number", [n for n, block in enumerate(BLOCKS) if "wttr.in" in block])
def test_the_weather_examples_pass_against_the_weather_bot(number: int, tmp_path: Path) -> None:
    path = tmp_path / f"example{number}.convo"
    path.write_text(BLOCKS[number], encoding="utf-8")
    report = run_bot_tests(ROOT / "bots" / "weather", [path])
    assert report.ok and report.passed >= 1, render_report(report)


def test_the_readme_example_passes_against_the_weather_bot(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("mock GET https://wttr.in/*")
    path = tmp_path / "readme.convo"
    path.write_text(readme[start : readme.index("```", start)], encoding="utf-8")
    report = run_bot_tests(ROOT / "bots" / "weather", [path])
    assert report.ok and report.passed == 2, render_report(report)
