"""The .convo format: every line parses to its step, and bad files give diagnostics, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from flowbot.compiler import render_diagnostics
from flowbot.testing.model import AtCheck
from flowbot.testing.model import ErrorCheck
from flowbot.testing.model import ExpectLine
from flowbot.testing.model import MemoryCheck
from flowbot.testing.model import Mock
from flowbot.testing.model import More
from flowbot.testing.model import RequestCheck
from flowbot.testing.model import UserInput
from flowbot.testing.model import Wait
from flowbot.testing.parse import parse_convo
from flowbot.testing.parse import read_convo

EVERY_STEP = '''\
# a comment before everything
mock GET https://api.example.com/* -> 200 {"ok": true}
  header Content-Type: application/json

test "every step"   # a comment after a test name
  # a comment line inside a test
  user: hello # this is text, not a comment
  bot: Hi #1!
  choices: Red | Blue
  bot ~ You said: .*
  bot: """
    first line
      indented line
    """
  ...
  memory session.count == 2
  memory temp["key-with-dash"][0] != "x"
  memory user.email ~ .*@example\\.com
  memory temp.gone is not set
  memory user.name is set
  at lookup.city
  error action-execution
  request POST https://api.example.com/* {"size": "large"}
  request GET https://api.example.com/items/1
  mock POST https://api.example.com/orders -> TIMEOUT
  mock * https://slow.example.com/* -> 200
    body """
      {"a": 1}
      """
    delay 2s
  wait 25m
  user picks: 2
  user clicks: Veggie / Order it
  user payload: {"type": "postback", "payload": "BUY"}
'''


def test_every_step_parses_to_its_model() -> None:
    parsed = parse_convo(EVERY_STEP, "every.convo")
    assert parsed.diagnostics == []
    [file_mock] = parsed.mocks
    assert file_mock.rule.method == "GET" and file_mock.rule.url == "https://api.example.com/*"
    assert file_mock.rule.status == 200 and file_mock.rule.headers == {"Content-Type": "application/json"}
    assert file_mock.rule.response().body == {"ok": True}
    [test] = parsed.tests
    assert test.name == "every step" and test.span.line == 5
    steps = test.steps
    assert steps[0] == UserInput(span=steps[0].span, mode="says", text="hello # this is text, not a comment")
    assert [(s.line, s.text, s.pattern) for s in steps[1:5] if isinstance(s, ExpectLine)] == [
        ("bot", "Hi #1!", False),
        ("choices", "Red | Blue", False),
        ("bot", "You said: .*", True),
        ("bot", "first line\n  indented line", False),
    ]
    assert isinstance(steps[5], More)
    memory = [s for s in steps if isinstance(s, MemoryCheck)]
    assert [(m.segments, m.op, m.value) for m in memory] == [
        (["session", "count"], "==", 2),
        (["temp", "key-with-dash", 0], "!=", "x"),
        (["user", "email"], "~", ".*@example\\.com"),
        (["temp", "gone"], "unset", None),
        (["user", "name"], "set", None),
    ]
    assert [s.place for s in steps if isinstance(s, AtCheck)] == ["lookup.city"]
    assert [s.error_type for s in steps if isinstance(s, ErrorCheck)] == ["action-execution"]
    requests = [(s.method, s.url, s.body) for s in steps if isinstance(s, RequestCheck)]
    assert requests == [
        ("POST", "https://api.example.com/*", {"size": "large"}),
        ("GET", "https://api.example.com/items/1", None),
    ]
    mocks = [s.rule for s in steps if isinstance(s, Mock)]
    assert (mocks[0].method, mocks[0].status) == ("POST", "TIMEOUT")
    assert (mocks[1].method, mocks[1].delay, mocks[1].response().body) == ("*", 2.0, {"a": 1})
    assert [s.seconds for s in steps if isinstance(s, Wait)] == [1500.0]
    inputs = [(s.mode, s.text, s.payload) for s in steps if isinstance(s, UserInput)]
    assert inputs[1:] == [
        ("picks", "2", None),
        ("clicks", "Veggie / Order it", None),
        ("payload", '{"type": "postback", "payload": "BUY"}', {"type": "postback", "payload": "BUY"}),
    ]


def test_steps_are_grouped_into_turns_with_the_mocks_before_them() -> None:
    parsed = parse_convo(EVERY_STEP, "every.convo")
    turns = parsed.tests[0].turns()
    assert [t.input.display() for t in turns] == [
        "user: hello # this is text, not a comment",
        "wait 25m",
        "user picks: 2",
        "user clicks: Veggie / Order it",
        'user payload: {"type": "postback", "payload": "BUY"}',
    ]
    assert len(turns[0].expectations) == 14 and turns[0].mocks == []
    assert [m.rule.method for m in turns[1].mocks] == ["POST", "*"]
    assert len(turns[0].lines) == 5


BAD = """\
test "one"
  usr: hi
  bot: hello

test "two"
  user: hi
  memory sesion.x == 1
  memory session.x == Paris
  bot ~ (unclosed
  mock GET https://x -> 999
  mock GET https://x -> 200
    header no colon here

test "three"
  bot: before any message
  user: x
  ...
  bot: after the ellipsis

test "two"
  user: again
"""


def test_bad_files_report_every_problem_with_file_line_and_column() -> None:
    parsed = parse_convo(BAD, "bad.convo")
    assert not parsed.ok
    assert render_diagnostics(parsed.diagnostics, "short").splitlines() == [
        "bad.convo:2:3: error: unexpected `usr` [T002]",
        "bad.convo:7:10: error: unknown memory scope `sesion` [T012]",
        "bad.convo:8:23: error: the expected value is not valid JSON: Expecting value [T010]",
        "bad.convo:9:9: error: invalid regular expression: missing ), unterminated subpattern at position 0 [T011]",
        "bad.convo:10:25: error: invalid mock: status 999: an HTTP status is between 100 and 599 [T016]",
        "bad.convo:12:12: error: a header is written `header Name: value` [T017]",
        "bad.convo:15:3: error: `bot: before any message` comes before any user message [T013]",
        "bad.convo:17:3: error: `...` must be the last bot line of its turn [T014]",
        'bad.convo:20:1: error: duplicate test name "two" [T015]',
    ]


def test_a_syntax_error_is_explained_with_the_line_and_a_caret() -> None:
    parsed = parse_convo('test "greets"\n  user: hi\n  bto: hello\n', "tests/main.convo")
    assert render_diagnostics(parsed.diagnostics, "pretty") == (
        "error[T002]: unexpected `bto`\n"
        "  --> tests/main.convo:3:3\n"
        "   |\n"
        " 3 |   bto: hello\n"
        "   |   ^^^ expected a step: `user:`, `bot:`, `choices:`, `image:`, `card:`, `carousel:`, `...`, "
        "`memory`, `at`, `error`, `request`, `wait` or `mock`\n"
        "   = help: each line of a test is a step; see docs/testing.md"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('test "x"\n  user: hi\n    bot: indented\n', "t.convo:3:1: error: unexpected indentation [T004]"),
        ('test "x"\n    user: hi\n  bot: dedented\n', "t.convo:3:1: error: inconsistent indentation [T004]"),
        ('test "x"\n', "t.convo:2:1: error: unexpected end of file [T003]"),
        ("test x\n  user: hi\n", "t.convo:1:6: error: unexpected `x` [T002]"),
        ('test "x"\n  user:\n', "t.convo:2:8: error: unexpected end of the line [T002]"),
        ('test "x"\n  user: hi\n  wait soon\n', "t.convo:3:8: error: unexpected `soon` [T002]"),
        (
            'test "x"\n  user: hi\n  memory session.x\n',
            "t.convo:3:19: error: unexpected end of the line [T002]",
        ),
        ('test "x\\q"\n  user: hi\n', "t.convo:1:6: error: invalid escape in the test name [T018]"),
        ('test "x"\n  bot: hello\n', "t.convo:2:3: error: `bot: hello` comes before any user message [T013]"),
        ('test "x"\n  at end\n', "t.convo:2:3: error: `at end` comes before any user message [T013]"),
        ('test "x"\n  user payload: [1]\n', "t.convo:2:17: error: the payload must be a JSON object [T010]"),
        (
            "mock GET https://x -> ENOPE body\n",
            "t.convo:1:23: error: invalid mock: status 'ENOPE' is a network failure: it has no body or headers [T016]",
        ),
    ],
)
def test_each_mistake_has_its_diagnostic(text: str, expected: str) -> None:
    parsed = parse_convo(text, "t.convo")
    assert expected in render_diagnostics(parsed.diagnostics, "short").splitlines()


def test_a_test_without_messages_and_a_file_without_tests() -> None:
    no_message = parse_convo('test "quiet"\n  mock GET https://x -> 200\n', "q.convo")
    assert (
        render_diagnostics(no_message.diagnostics, "short")
        == 'q.convo:1:1: error: test "quiet" sends no message [T019]'
    )
    empty = parse_convo("# nothing here\n", "e.convo")
    assert (
        empty.ok
        and render_diagnostics(empty.diagnostics, "short") == "e.convo: warning: no test in this file [W020]"
    )


def test_an_unreadable_file_is_a_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "latin1.convo"
    path.write_bytes(b'test "caf\xe9"\n')
    parsed = read_convo(path, "latin1.convo")
    assert (
        render_diagnostics(parsed.diagnostics, "short")
        == "latin1.convo: error: cannot read `latin1.convo`: not UTF-8 text [T005]"
    )


@settings(max_examples=150, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list('test "user:bot~memory.at=\n -># mock GET 200{}[]"""...')), max_size=120
    )
)
def test_any_text_parses_or_gives_diagnostics(text: str) -> None:
    parsed = parse_convo(text, "fuzz.convo")
    assert parsed.ok or all(d.path == "fuzz.convo" or d.span is None for d in parsed.diagnostics)
