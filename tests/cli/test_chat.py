"""``bot chat``: driven as a person would, through a pseudo-terminal and through a pipe."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest
from click.testing import CliRunner

from flowbot.cli import cli
from flowbot.testing.parse import read_convo
from tests.conftest import ROOT

BOT = Path(sys.executable).parent / "bot"
SUPPORT = ROOT / "bots" / "support"
WEATHER = ROOT / "bots" / "weather"


def _chat(*args: str, input: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["chat", *args], input=input)
    return result.exit_code, result.stdout, result.stderr


def test_a_conversation_through_a_pseudo_terminal(tmp_path: Path) -> None:
    child = pexpect.spawn(
        str(BOT),
        ["chat", str(SUPPORT), "--data-dir", str(tmp_path / "data")],
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 120),
        env={"TERM": "dumb", "PATH": str(BOT.parent), "XDG_CACHE_HOME": os.environ["XDG_CACHE_HOME"]},
    )
    try:
        child.expect("Chatting with Botpress Support")
        child.expect("you>")
        child.sendline("hi")
        child.expect("Hey there, welcome to Botpress Support!")  # the markdown is rendered, not shown
        child.expect("you>")
        child.sendline("hello")
        child.expect(r"1\. Documentation")
        child.expect(r"3\. Talk to a human")
        child.sendline("3")  # a number answers with that choice
        child.expect(r"\(Talk to a human\)")
        child.expect("email address")
        child.sendline("/where")
        child.expect(r"now at: main\.human \(waiting for your answer\)")
        child.sendline("ada@example.com")
        child.expect("ada@example.com")
        child.sendline("/memory user")
        child.expect('"email": "ada@example.com"')
        child.sendline("/quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_a_conversation_through_a_pipe() -> None:
    code, out, err = _chat(str(SUPPORT), input="hi\nhello\n2\n/where\n/nlu\n/bogus\n")
    assert code == 0, err
    assert (
        out
        == """\
Chatting with Botpress Support (support). /help for the commands, /quit to leave.
you> hi
bot> Hey there, welcome to Botpress Support!
you> hello
bot> What can I help you with?
       1. Documentation
       2. Pricing
       3. Talk to a human
you> 2
  (Pricing)
bot> Botpress v12 is open source: you can run it on your own servers for free.
you> /where
now at: end (no flow is active)
last turn: main.menu -> main.pricing
you> /nlu
intent: none (1.00) in context global
language: n/a
you> /bogus
unknown command /bogus: type /help for the commands
"""
    )


def test_help_reset_and_memory() -> None:
    code, out, _ = _chat(
        str(SUPPORT), input="/help\nhi\n/reset\n/memory session\n/memory nope\n/quit\nnot read\n"
    )
    assert code == 0
    assert "/replay FILE      send the user lines of a .convo test" in out
    assert "new session: context, session and temp memory are empty (user memory stays)" in out
    assert 'session:\n{\n  "lastMessages": [],\n  "workflows": {}\n}' in out
    assert "unknown scope 'nope': choose among user, session, temp, bot" in out
    assert "not read" not in out


def test_rich_content_is_readable_as_text() -> None:
    code, out, _ = _chat(str(ROOT / "bots" / "pizza"), input="show me the menu\n4\n")
    assert code == 0
    assert "╭─ Margherita" in out and "Tomato, mozzarella, basil" in out
    assert "[image] https://example.com/pizza/margherita.jpg" in out
    assert "1. Order it" in out and "3. Order it" in out
    assert "  (Pepperoni / Order it)" not in out  # 4 is not an option: sent as text
    code, out, _ = _chat(str(ROOT / "bots" / "pizza"), input="show me the menu\n2\n")
    assert "  (Pepperoni / Order it)" in out
    assert "bot> What size would you like: small, medium or large?" in out


def test_record_writes_a_test_that_passes(tmp_path: Path) -> None:
    recorded = tmp_path / "tests" / "recorded.convo"
    mocks = tmp_path / "mocks.convo"
    mocks.write_text(
        'mock GET https://wttr.in/* -> 200 {"current_condition": [{"temp_C": "5"}]}\n', encoding="utf-8"
    )
    code, out, _ = _chat(
        str(WEATHER), "--record", str(recorded), "--mocks", str(mocks), input="hello\nweather in Paris\n"
    )
    assert code == 0
    assert out.endswith(f"recorded to {recorded}\n")
    assert (
        recorded.read_text(encoding="utf-8")
        == """\
# A conversation with Weather Bot, recorded by `bot chat --record`.
# Edit it freely (patterns, memory checks...): see docs/testing.md.

test "recorded conversation"
  user: hello
  bot: Hi! I'm the weather bot. Ask me about the weather in a city.
  mock GET https://wttr.in/Paris?format=j1 -> 200 {"current_condition": [{"temp_C": "5"}]}
  user: weather in Paris
  bot: In Paris: 5°C.
"""
    )
    code, _, _ = _chat(
        str(WEATHER), "--record", str(recorded), "--mocks", str(mocks), input="thanks\n/reset\nhi\n"
    )
    assert code == 0
    parsed = read_convo(recorded)
    assert parsed.ok and [t.name for t in parsed.tests] == [
        "recorded conversation",
        "recorded conversation 2",
        "recorded conversation 3",
    ]
    result = CliRunner().invoke(cli, ["test", str(WEATHER), str(recorded)])
    assert result.exit_code == 0, result.stdout


def test_replay_sends_the_user_lines_of_a_test(tmp_path: Path) -> None:
    convo = tmp_path / "menu.convo"
    convo.write_text('test "menu"\n  user: hi\n  user: hello\n  user picks: Pricing\n', encoding="utf-8")
    lines = tmp_path / "lines.txt"
    lines.write_text("hi\n\nhello\n", encoding="utf-8")
    code, out, _ = _chat(
        str(SUPPORT), input=f"/replay {convo}\n/reset\n/replay {lines}\n/replay {convo} nope\n"
    )
    assert code == 0
    assert "you> user picks: Pricing\nbot> Botpress v12 is open source" in out
    assert out.count("bot> What can I help you with?") == 2
    assert "/replay: no test named 'nope'" in out


def test_a_bot_that_does_not_compile_is_reported(tmp_path: Path) -> None:
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "main.flow").write_text("flow main\n  node entry\n    -> nowhere\n", encoding="utf-8")
    code, out, err = _chat(str(tmp_path / "bot"), input="hi\n")
    assert code == 1 and out == ""
    assert err.startswith(f"error: {tmp_path / 'bot'}: the bot does not compile\n")
    assert "error[E101]: unknown node `nowhere`" in err


def test_an_action_that_raises_is_shown_without_a_traceback(tmp_path: Path) -> None:
    from tests.testing.kit import write_kit

    code, out, err = _chat(str(write_kit(tmp_path / "kit")), input="hi\nboom\n")
    assert code == 0
    assert "! action-execution in main.boom: action 'explode' failed: RuntimeError: kaboom" in out
    assert "Traceback" not in out + err


@pytest.mark.parametrize("bad", ["/replay", "/replay missing.convo"])
def test_replay_mistakes_are_messages(bad: str) -> None:
    code, out, _ = _chat(str(SUPPORT), input=f"{bad}\n")
    assert code == 0
    assert "/replay" in out.splitlines()[-1]


def test_a_data_dir_keeps_the_conversation_for_next_time(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    code, out, _ = _chat(str(SUPPORT), "--data-dir", data, "--user", "ada", input="hi\n")
    assert code == 0 and "welcome to Botpress Support" in out
    code, out, _ = _chat(str(SUPPORT), "--data-dir", data, "--user", "ada", input="hello\n")
    assert code == 0 and "bot> What can I help you with?" in out  # the session remembers the welcome
    assert (tmp_path / "data" / "flowbot.sqlite3").is_file()
    code, out, _ = _chat(str(SUPPORT), "--data-dir", data, "--user", "bob", input="hello\n")
    assert "welcome to Botpress Support" in out  # another user, another conversation


def test_mocks_without_file_wide_mocks_are_announced(tmp_path: Path) -> None:
    mocks = tmp_path / "only-tests.convo"
    mocks.write_text('test "x"\n  mock GET https://wttr.in/* -> 200\n  user: hi\n', encoding="utf-8")
    code, out, err = _chat(str(WEATHER), "--mocks", str(mocks), input="weather in Paris\n")
    assert code == 0
    assert err == f"warning: {mocks} has no file-wide mocks: every Call API request will fail (ENOTMOCKED)\n"
    assert "bot> Sorry, I can't get the weather right now (status ENOTMOCKED)." in out
