"""Running conversation tests on the real engine: what passes, what fails, and how failures read."""

from __future__ import annotations

import asyncio

import pytest

from flowbot.runtime.callapi import ApiRequest
from flowbot.runtime.callapi import MockRule
from flowbot.runtime.registry import BotBundle
from flowbot.runtime.service import ConversationService
from flowbot.testing.mocks import TranscriptApi
from flowbot.testing.parse import parse_convo
from flowbot.testing.report import render_failure
from flowbot.testing.report import render_report
from flowbot.testing.runner import CaseResult
from flowbot.testing.runner import TestClock
from flowbot.testing.runner import run_case
from flowbot.testing.suite import Report
from flowbot.testing.suite import load_for_tests
from flowbot.testing.suite import run_files
from tests.testing.kit import write_kit


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> BotBundle:
    root = write_kit(tmp_path_factory.mktemp("source") / "kit")
    return load_for_tests(root, tmp_path_factory.mktemp("work"))


async def run(kit: BotBundle, text: str) -> list[CaseResult]:
    parsed = parse_convo(text, "kit.convo")
    assert parsed.ok, parsed.diagnostics
    return [await run_case(kit, parsed, case) for case in parsed.tests]


async def test_a_passing_conversation(kit: BotBundle) -> None:
    [result] = await run(
        kit,
        """\
test "echo, memory, where the conversation waits"
  user: hi
  bot: Hello!
  at main.entry
  user: parrot
  bot: You said: parrot
  bot: Hello!
  memory session.count == 1
  memory user.last == "parrot"
  memory user.last ~ par.*
  memory temp.said is set
  at entry
  user: bye
  at end
  memory temp.said is not set
""",
    )
    assert result.passed, result.failure
    assert result.turns == 3


async def test_choices_by_title_number_and_synonym(kit: BotBundle) -> None:
    results = await run(
        kit,
        """\
test "by title"
  user: hi
  bot: Hello!
  user: menu
  bot: Pick a colour
  choices: Red | Blue
  at main.menu
  user picks: Blue
  bot: You chose blue.
  memory session.color == "blue"

test "by number, choices line left out"
  user: hi
  bot: Hello!
  user: menu
  bot: Pick a colour
  user picks: 1
  bot: You chose red.

test "typed, with more after the first line"
  user: hi
  user: menu
  bot: Pick a colour
  ...
  user: rouge
  bot: You chose red.
""",
    )
    assert [r.failure for r in results] == [None, None, None]


async def test_mocks_newest_first_and_file_wide(kit: BotBundle) -> None:
    results = await run(
        kit,
        """\
mock GET https://api.example.com/items/* -> 200 {"name": "widget"}

test "the file's mock"
  user: hi
  user: api
  bot: Got widget.

test "a test's mock wins, then a later one wins over it"
  mock GET https://api.example.com/* -> 404 {"error": "no"}
  user: hi
  user: api
  bot: Failed with 404.
  mock * https://api.example.com/items/0 -> ECONNREFUSED
  user: hi
  user: api
  bot: Failed with ECONNREFUSED.
""",
    )
    assert [r.failure for r in results] == [None, None]


async def test_mock_delays_take_test_time_not_real_time(kit: BotBundle) -> None:
    [result] = await run(
        kit,
        """\
test "slow, then too slow"
  mock GET https://api.example.com/* -> 200 {"name": "late"}
    delay 9s
  user: hi
  user: api
  bot: Failed with TIMEOUT.
  bot: Got late.
  mock GET https://api.example.com/* -> 200 {"name": "later"}
    delay 30s
  user: hi
  user: api
  bot: Failed with TIMEOUT.
""",
    )
    assert result.failure is not None and result.failure.turn == 2  # 9 s is under the 10 s timeout
    [result] = await run(
        kit,
        """\
test "too slow"
  mock GET https://api.example.com/* -> 200 {"name": "later"}
    delay 30s
  user: hi
  user: api
  bot: Failed with TIMEOUT.
""",
    )
    assert result.passed, result.failure


async def test_a_request_without_a_mock_fails_the_turn(kit: BotBundle) -> None:
    [result] = await run(
        kit, 'test "unmocked"\n  user: hi\n  bot: Hello!\n  user: api\n  bot: Failed with ENOTMOCKED.\n'
    )
    assert render_failure(result) == (
        "FAIL kit.convo:1: unmocked\n"
        "  turn 2: user: api  (kit.convo:4)\n"
        "  no mock answers GET https://api.example.com/items/0\n"
        "    add a mock before this turn, e.g. `mock GET https://api.example.com/items/0 -> 200 {...}`\n"
        "  the bot said:\n"
        "    bot: Failed with ENOTMOCKED."
    )


async def test_runtime_errors_fail_unless_expected(kit: BotBundle) -> None:
    unexpected, expected, missing = await run(
        kit,
        """\
test "an action raises"
  user: hi
  user: boom

test "the error is expected"
  user: hi
  user: boom
  error action-execution

test "an expected error that does not happen"
  user: hi
  error action-execution
""",
    )
    assert unexpected.failure is not None
    messages = [p.message for p in unexpected.failure.problems]
    assert messages[0] == "the bot reported an error (kit.convo:3)"
    assert unexpected.failure.problems[0].details[0] == (
        "action-execution in main.boom: action 'explode' failed: RuntimeError: kaboom"
    )
    assert expected.passed, expected.failure
    assert missing.failure is not None
    assert [p.message for p in missing.failure.problems] == [
        "`error action-execution` does not hold (kit.convo:12)"
    ]
    assert missing.failure.problems[0].details == ["errors reported by this turn: none"]


async def test_wait_moves_the_clock_and_the_conversation_times_out(kit: BotBundle) -> None:
    [result] = await run(
        kit,
        """\
test "an idle conversation ends"
  user: hi
  bot: Hello!
  at entry
  wait 24m
  at entry
  wait 2m
  at end
  user: parrot
  bot: Hello!
""",
    )
    assert result.passed, result.failure


async def test_picking_an_option_that_is_not_offered(kit: BotBundle) -> None:
    [result] = await run(kit, 'test "no such colour"\n  user: hi\n  user: menu\n  user picks: Green\n')
    assert result.failure is not None
    assert [p.message for p in result.failure.problems] == [
        "the bot's last messages offer no choice `Green` (offered: 1. Red, 2. Blue)"
    ]


FAILING = """\
test "passes"
  user: hi
  bot: Hello!

test "the wrong answer"
  user: hi
  bot: Hello!
  user: parrot
  bot: You said: parakeet
  bot: Hello!
  memory session.count == 2
  at main.menu

test "a missing and an extra line"
  user: hi
  bot: Hello!
  bot: Welcome back!
  user: menu
  bot ~ Pick a .*
"""


async def test_the_failure_report_is_a_diff_with_file_and_line(kit: BotBundle) -> None:
    parsed = parse_convo(FAILING, "tests/kit.convo")
    [result] = await run_files(kit, [parsed])
    text = render_report(Report(bot="kit", files=[result], duration=0.25))
    assert (
        text
        == """\
tests/kit.convo: 1 passed, 2 failed

FAIL tests/kit.convo:5: the wrong answer
  turn 2: user: parrot  (tests/kit.convo:8)
  the bot's messages differ (- expected, + actual):
    - bot: You said: parakeet    (tests/kit.convo:9)
    + bot: You said: parrot
      bot: Hello!
  `memory session.count == 2` does not hold (tests/kit.convo:11)
    actual: session.count = 1
  `at main.menu` does not hold (tests/kit.convo:12)
    the conversation is at main.entry

FAIL tests/kit.convo:14: a missing and an extra line
  turn 1: user: hi  (tests/kit.convo:15)
  the bot's messages differ (- expected, + actual):
      bot: Hello!
    - bot: Welcome back!    (tests/kit.convo:17)

1 passed, 2 failed in 0.25 s"""
    )


async def test_an_engine_failure_is_reported_not_raised(
    kit: BotBundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: ConversationService, *args: object) -> None:
        raise RuntimeError("the store is on fire")

    monkeypatch.setattr(ConversationService, "converse", broken)
    [result] = await run(kit, 'test "x"\n  user: hi\n')
    assert result.failure is not None
    assert [p.message for p in result.failure.problems] == [
        "the turn failed: RuntimeError: the store is on fire"
    ]


async def test_tests_run_concurrently_and_each_has_its_own_memory(kit: BotBundle) -> None:
    cases = "\n".join(
        f'test "copy {n}"\n  user: hi\n  user: word{n}\n  bot: You said: word{n}\n  ...\n  memory session.count == 1\n'
        for n in range(40)
    )
    [result] = await run_files(kit, [parse_convo(cases, "many.convo")], concurrency=8)
    assert [c.failure for c in result.cases] == [None] * 40


async def test_the_transcript_api_moves_the_test_clock_instead_of_sleeping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def no_sleep(seconds: float) -> None:
        raise AssertionError("a conversation test must not sleep")

    monkeypatch.setattr(asyncio, "sleep", no_sleep)
    clock = TestClock(start=100.0)
    api = TranscriptApi(
        [MockRule(url="https://slow/*", delay=9), MockRule(url="https://slower/*", delay=30)], clock=clock
    )
    assert (await api.send(ApiRequest(method="GET", url="https://slow/x", timeout=10))).status == 200
    assert clock.now == 109.0
    assert (await api.send(ApiRequest(method="GET", url="https://slower/x", timeout=10))).status == "TIMEOUT"
    assert clock.now == 119.0
    assert (
        await api.send(ApiRequest(method="GET", url="https://elsewhere/", timeout=10))
    ).status == "ENOTMOCKED"
    assert [e.matched for e in api.exchanges] == [True, True, False]
    assert [e.display() for e in api.unmatched()] == ["GET https://elsewhere/ -> ENOTMOCKED"]


async def test_the_requests_a_turn_sent(kit: BotBundle) -> None:
    passing, failing = await run(
        kit,
        """\
mock * https://api.example.com/* -> 200 {"name": "widget"}

test "what was sent"
  user: hi
  user: post
  bot: Got widget.
  request POST https://api.example.com/items
  request POST https://api.example.com/* {"name": "item 0", "tags": ["new"]}

test "what was not sent"
  user: hi
  user: post
  request GET https://api.example.com/items
  request POST https://api.example.com/items {"name": "item 1"}
  user: hi
  request * *
""",
    )
    assert passing.passed, passing.failure
    assert failing.failure is not None
    assert [(p.message, p.details) for p in failing.failure.problems] == [
        (
            "`request GET https://api.example.com/items` does not hold (kit.convo:13)",
            ['sent: POST https://api.example.com/items {"name": "item 0", "tags": ["new"]}'],
        ),
        (
            '`request POST https://api.example.com/items {"name": "item 1"}` does not hold (kit.convo:14)',
            ['sent: POST https://api.example.com/items {"name": "item 0", "tags": ["new"]}'],
        ),
    ]
