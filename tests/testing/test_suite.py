"""Running a bot's test files from end to end: discovery, real Botpress bots, setup failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowbot.testing import assert_bot_tests_pass
from flowbot.testing import run_bot_tests
from flowbot.testing.report import render_report
from flowbot.testing.suite import discover

WELCOME = """\
test "the welcome, then a topic picked by its title"
  user: hi
  bot: Hi, I'm Welcome Bot! My task is to help you understand how Botpress works.
  bot: What would you like to know?
  choices: What is a Context? | What is Bot Memory?
  user picks: What is a Context?
  bot ~ A bot could ask questions that are similar but have different meanings\\..*
  bot: Okay, let's use a simple example. Let's talk about animals. Pick one.
  at contexts.animal-choices
  user: Ada
  bot: Please pick an animal from the choices, I'm not a Zoologist.
  ...
"""


def test_a_real_botpress_bot_is_tested_as_it_is(compat_bots: Path, tmp_path: Path) -> None:
    convo = tmp_path / "welcome.convo"
    convo.write_text(WELCOME, encoding="utf-8")
    report = run_bot_tests(compat_bots / "welcome-bot", [convo], work_dir=tmp_path / "work")
    assert report.ok and report.passed == 1, render_report(report)


def test_discovery_finds_every_convo_file_once(tmp_path: Path) -> None:
    for name in ("tests/b.convo", "tests/a.convo", "tests/deep/c.convo", ".hidden/x.convo", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("", encoding="utf-8")
    found = [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)]
    assert found == ["tests/a.convo", "tests/b.convo", "tests/deep/c.convo"]
    chosen = discover(tmp_path, [tmp_path / "tests" / "b.convo", tmp_path / "tests"])
    assert [p.name for p in chosen] == ["b.convo", "a.convo", "c.convo"]


def test_a_folder_that_is_not_a_bot(tmp_path: Path) -> None:
    report = run_bot_tests(tmp_path)
    assert not report.ok
    assert (
        report.setup == f"{tmp_path}: not a bot folder (expected *.flow files, or bot.config.json and flows/)"
    )


def test_assert_bot_tests_pass_raises_with_the_report(tmp_path: Path) -> None:
    from flowbot.scaffold import create_bot

    create_bot(tmp_path / "echo", "empty")
    assert assert_bot_tests_pass(tmp_path / "echo").passed == 1
    (tmp_path / "echo" / "tests" / "wrong.convo").write_text(
        'test "w"\n  user: hi\n  bot: Bye\n', encoding="utf-8"
    )
    with pytest.raises(AssertionError) as raised:
        assert_bot_tests_pass(tmp_path / "echo")
    assert "- bot: Bye" in str(raised.value) and "1 passed, 1 failed" in str(raised.value)


def test_a_folder_of_bots_is_named_as_such(tmp_path: Path) -> None:
    from flowbot.scaffold import create_bot

    create_bot(tmp_path / "bots" / "one", "empty")
    create_bot(tmp_path / "bots" / "two", "empty")
    report = run_bot_tests(tmp_path / "bots")
    assert (
        report.setup
        == f"{tmp_path / 'bots'} is a folder of bots (one, two): name one, e.g. {tmp_path / 'bots' / 'one'}"
    )
