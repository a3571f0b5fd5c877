"""``bot new``: every template gives a bot that compiles, answers, and passes its own tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from flowbot.cli import cli
from flowbot.compiler import check
from flowbot.scaffold import TEMPLATES
from flowbot.scaffold import ScaffoldError
from flowbot.scaffold import bot_id_for
from flowbot.scaffold import create_bot
from flowbot.testing import run_bot_tests
from flowbot.testing.report import render_report


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_new_bot_checks_clean_and_passes_its_tests(template: str, tmp_path: Path) -> None:
    folder = tmp_path / f"my-{template}-bot"
    code, out, _ = _run("new", str(folder), "--template", template)
    assert code == 0, out
    assert out.startswith(f"created {folder} from the {template} template")
    assert f"  bot test {folder}" in out
    assert check(folder) == []  # not even a warning
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(f"# My {template.capitalize()} Bot\n")
    for step in ("bot check", "bot chat", "bot test", "bot serve"):
        assert f"{step} {folder}" in readme
    assert "__BOT_" not in "".join(p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file())
    report = run_bot_tests(folder)
    assert report.ok and report.passed >= 1, render_report(report)


def test_the_weather_template_tests_the_api_success_and_failure(tmp_path: Path) -> None:
    create_bot(tmp_path / "w", "weather")
    text = (tmp_path / "w" / "tests" / "weather.convo").read_text(encoding="utf-8")
    assert "-> 200" in text and "-> 500" in text and "-> TIMEOUT" in text


def test_names_and_titles(tmp_path: Path) -> None:
    assert bot_id_for(Path("bots/Order Desk!")) == "Order-Desk"
    assert bot_id_for(Path("2nd_bot")) == "nd_bot"
    with pytest.raises(ScaffoldError, match="cannot name a bot"):
        bot_id_for(Path("123"))
    create_bot(tmp_path / "desk", "empty", title="Front Desk")
    assert 'bot desk "Front Desk"' in (tmp_path / "desk" / "main.flow").read_text(encoding="utf-8")
    with pytest.raises(ScaffoldError, match="title"):
        create_bot(tmp_path / "bad", "empty", title='Quote " me')


def test_an_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine", encoding="utf-8")
    code, _, err = _run("new", str(tmp_path / "taken"))
    assert code == 1
    assert "already exists and is not empty" in err
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]
    (tmp_path / "empty").mkdir()
    assert _run("new", str(tmp_path / "empty"), "--template", "empty")[0] == 0


def test_an_unknown_template_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = _run("new", str(tmp_path / "x"), "--template", "pizza")
    assert code == 2 and "'pizza' is not one of 'support', 'weather', 'empty'" in err
