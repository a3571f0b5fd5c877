"""``bot test``: a bot's conversation tests from the command line, passing and failing."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from flowbot.cli import cli
from flowbot.runtime.nlu import train as nlu_train
from tests.conftest import ROOT

FAILING = """\
mock GET https://wttr.in/* -> 500

test "the API is down"
  user: weather in Paris
  bot: Sorry, I can't get the weather right now (status 503).

test "still greets"
  user: hello
  bot: Hi! I'm the weather bot. Ask me about the weather in a city.

test "the answer names the city"
  mock GET https://wttr.in/* -> 200 {"current_condition": [{"temp_C": "3"}]}
  user: weather in Berlin
  bot ~ In Paris: .*
  memory session.slots.city is set
"""


@pytest.fixture
def weather(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example weather bot, in a working folder of its own (short, stable paths)."""
    shutil.copytree(ROOT / "bots" / "weather", tmp_path / "weather")
    monkeypatch.chdir(tmp_path)
    return Path("weather")


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _timeless(text: str) -> str:
    return re.sub(r" in \d+\.\d\d s$", " in X s", text, flags=re.MULTILINE)


def test_a_passing_bot_exits_0(weather: Path) -> None:
    code, out, err = _run("test", str(weather))
    assert code == 0, out
    assert _timeless(out) == "weather/tests/weather.convo: 10 passed\n\n10 passed, 0 failed in X s\n"
    assert err == ""


def test_failures_print_the_difference_with_file_and_line_and_exit_1(weather: Path) -> None:
    (weather / "tests" / "failing.convo").write_text(FAILING, encoding="utf-8")
    code, out, err = _run("test", str(weather), "weather/tests/failing.convo")
    assert code == 1
    assert "Traceback" not in out + err
    assert (
        _timeless(out)
        == """\
weather/tests/failing.convo: 1 passed, 2 failed

FAIL weather/tests/failing.convo:3: the API is down
  turn 1: user: weather in Paris  (weather/tests/failing.convo:4)
  the bot's messages differ (- expected, + actual):
    - bot: Sorry, I can't get the weather right now (status 503).    (weather/tests/failing.convo:5)
    + bot: Sorry, I can't get the weather right now (status 500).

FAIL weather/tests/failing.convo:11: the answer names the city
  turn 1: user: weather in Berlin  (weather/tests/failing.convo:13)
  the bot's messages differ (- expected, + actual):
    - bot ~ In Paris: .*    (weather/tests/failing.convo:14)
    + bot: In Berlin: 3°C.
  `memory session.slots.city is set` does not hold (weather/tests/failing.convo:15)
    actual: session.slots.city = (not set)

1 passed, 2 failed in X s
"""
    )


def test_verbose_lists_every_test(weather: Path) -> None:
    code, out, _ = _run("test", str(weather), "-v")
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("  PASS ")]
    assert len(lines) == 10
    assert re.fullmatch(
        r"  PASS weather/tests/weather\.convo:6: a first message is greeted \(\d+ ms\)", lines[0]
    )


def test_junit_xml_for_ci(weather: Path, tmp_path: Path) -> None:
    (weather / "tests" / "failing.convo").write_text(FAILING, encoding="utf-8")
    (weather / "tests" / "broken.convo").write_text('test "x"\n  usr: hi\n', encoding="utf-8")
    code, _, _ = _run("test", str(weather), "--junit", "reports/junit.xml")
    assert code == 1
    root = ET.parse(tmp_path / "reports" / "junit.xml").getroot()
    assert root.tag == "testsuites" and root.get("tests") == "13" and root.get("failures") == "2"
    suites = {suite.get("name"): suite for suite in root}
    assert set(suites) == {
        "weather/tests/broken.convo",
        "weather/tests/failing.convo",
        "weather/tests/weather.convo",
    }
    broken = suites["weather/tests/broken.convo"]
    assert broken.get("errors") == "1"
    [error] = broken.iter("error")
    assert "weather/tests/broken.convo:2:3: error: unexpected `usr` [T002]" in (error.text or "")
    failing = suites["weather/tests/failing.convo"]
    cases = {case.get("name"): case for case in failing}
    assert cases["still greets"].find("failure") is None
    failure = cases["the API is down"].find("failure")
    assert (
        failure is not None and failure.get("message") == "the bot's messages differ (- expected, + actual):"
    )
    assert "+ bot: Sorry, I can't get the weather right now (status 500)." in (failure.text or "")
    assert (
        cases["the API is down"].get("line") == "3"
        and cases["the API is down"].get("classname") == "weather.tests.failing"
    )


def test_a_test_file_with_syntax_errors_is_reported_not_run(weather: Path) -> None:
    (weather / "tests" / "broken.convo").write_text('test "x"\n  user: hi\n  bto: hello\n', encoding="utf-8")
    code, out, _ = _run("test", str(weather))
    assert code == 1
    assert "weather/tests/broken.convo: not run (errors in the file)" in out
    assert "error[T002]: unexpected `bto`\n  --> weather/tests/broken.convo:3:3" in out
    assert _timeless(out).endswith("10 passed, 0 failed, 1 file with errors in X s\n")


def test_a_bot_that_does_not_compile(weather: Path) -> None:
    (weather / "main.flow").write_text("flow main\n  node entry\n    -> nowhere\n", encoding="utf-8")
    code, out, _ = _run("test", str(weather))
    assert code == 1
    assert out.startswith("error: weather: the bot does not compile\n")
    assert "error[E101]: unknown node `nowhere`\n  --> weather/main.flow:3:8" in out


def test_a_bot_without_tests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "bots" / "support", tmp_path / "support", ignore=shutil.ignore_patterns("tests"))
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run("test", "support")
    assert code == 0
    assert out.startswith("support: no test files (write them as tests/*.convo in the bot folder)\n")


def test_a_second_run_trains_no_nlu_model(
    weather: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    trained: list[object] = []
    real = nlu_train.train_from_data

    def counting(*args: object, **kwargs: object) -> object:
        trained.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(nlu_train, "train_from_data", counting)
    assert _run("test", str(weather))[0] == 0
    assert len(trained) == 1
    assert list((tmp_path / "cache" / "flowbot" / "nlu").iterdir())  # the trained model, by data hash
    assert _run("test", str(weather))[0] == 0
    assert len(trained) == 1  # taken from the cache
    bot_flow = weather / "bot.flow"
    bot_flow.write_text(
        bot_flow.read_text(encoding="utf-8").replace("  - thanks\n", "  - thanks\n  - cheers\n")
    )
    assert _run("test", str(weather))[0] == 0
    assert len(trained) == 2  # new NLU data, a new model


def test_junit_xml_when_the_bot_does_not_compile(weather: Path, tmp_path: Path) -> None:
    (weather / "main.flow").write_text("flow main\n  node entry\n    -> nowhere\n", encoding="utf-8")
    code, _, _ = _run("test", str(weather), "--junit", "junit.xml")
    assert code == 1
    root = ET.parse(tmp_path / "junit.xml").getroot()
    [error] = root.iter("error")
    assert error.get("message") == "weather: the bot does not compile"
    assert "weather/main.flow:3:8: error: unknown node `nowhere` [E101]" in (error.text or "")
