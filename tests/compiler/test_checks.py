"""Check behaviours beyond the one-fixture-per-code catalogue: where errors point, what counts as
a loop or as reachable, which names and templates are accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compiler.util import codes
from tests.compiler.util import diagnostics_of

NLU = """
intent yes
  - yes
  - sure
  - ok
  slot city: city
entity city list
  paris
"""


def test_template_error_inside_a_long_string_points_at_its_line_and_tag(tmp_path: Path) -> None:
    diags = diagnostics_of(
        tmp_path,
        'flow main\n  node a\n    say """\n      Hello {{ user.name }}\n      you owe {{ temp.x | }}\n      """\n    -> end\n',
    )
    [d] = diags
    assert (d.code, d.span.line, d.span.column, d.span.end_column) == ("E109", 7, 15, 29) if d.span else False


def test_template_error_in_a_set_value_and_in_a_call(tmp_path: Path) -> None:
    diags = diagnostics_of(
        tmp_path,
        """
        flow main
          node a
            set temp.x = {{ temp.y + }}
            run builtin/setVariable(type = "temp", name = "z", value = "{% if %}")
            call GET "https://x.io/{{ tmpp.id }}"
              headers {"A": "{{ bot.key }", "B": "{{ user.id }}"}
              on_success -> end
              on_failure -> end
        """,
    )
    assert [(d.code, d.span.line) for d in diags if d.span] == [("E109", 5), ("E109", 6), ("E104", 7), ("E109", 8)]


def test_template_loop_variables_and_filters_are_not_scopes(tmp_path: Path) -> None:
    diags = diagnostics_of(
        tmp_path,
        """
        flow main
          node a
            say "{% for item in temp.items %}{{ loop.index }}: {{ item | upper }}{% endfor %} {{ range(3) | list }}"
            -> end
        """,
    )
    assert diags == []


def test_return_to_a_node_is_checked_against_the_calling_flows(tmp_path: Path) -> None:
    diags = diagnostics_of(
        tmp_path,
        """
        flow main
          node entry
            listen
            when temp.a -> flow sub
            else -> end
          node after
            -> end
        flow sub
          node one
            listen
            when temp.a -> return to after
            else -> return to aftr
        """,
    )
    assert [(d.code, d.message, d.hint) for d in diags if d.is_error] == [
        ("E101", "unknown node `aftr`", "did you mean `after`?")
    ]
    assert "W001" not in codes(diags)  # `after` is reachable through the return


def test_a_flow_entered_at_a_node_makes_that_node_reachable(tmp_path: Path) -> None:
    diags = diagnostics_of(
        tmp_path,
        """
        flow main
          node entry
            -> flow sub.second
        flow sub
          node first
            -> end
          node second
            -> end
        """,
    )
    assert [(d.code, d.message) for d in diags] == [("W001", "node `first` is unreachable")]


def test_qna_redirects_enter_flows(tmp_path: Path) -> None:
    diags = diagnostics_of(
        tmp_path,
        """
        qna hours
          q: opening hours?
          -> flow info.hours
        flow main
          node entry
            -> end
        flow info
          node hours
            say "9 to 5"
            -> end
        """,
    )
    assert diags == []


@pytest.mark.parametrize(
    ("body", "looping"),
    [
        ("  node a\n    -> b\n  node b\n    -> a\n", True),
        ("  node a\n    listen\n    -> b\n  node b\n    -> a\n", False),
        ("  node a\n    when temp.x -> a\n    else -> end\n", True),
        ("  node a\n    -> flow main.b\n  node b\n    -> a\n", True),
        ("  node a\n    ask \"?\"\n      option x \"X\" -> b\n      on_failure -> end\n  node b\n    -> a\n", False),
        (
            "  node a\n    call GET \"https://x.io\"\n      on_success -> b\n      on_failure -> end\n  node b\n    -> a\n",
            True,
        ),
        # A flow-wide transition is tried at every node: b -> (flow-wide) a -> b loops.
        ("  when intent yes -> a\n  node a\n    -> b\n  node b\n    say \"x\"\n    -> end\n", True),
        # ...but the runtime never takes a flow-wide transition to the node it is at.
        ("  when intent yes -> a\n  node a\n    say \"x\"\n    -> end\n", False),
    ],
)
def test_loops_without_a_wait(tmp_path: Path, body: str, looping: bool) -> None:
    diags = diagnostics_of(tmp_path, NLU + "flow main\n" + body)
    assert ("E204" in codes(diags)) is looping


def test_loop_report_names_the_cycle(tmp_path: Path) -> None:
    diags = diagnostics_of(tmp_path, "flow main\n  node a\n    -> b\n  node b\n    -> c\n  node c\n    -> a\n")
    [loop] = [d for d in diags if d.code == "E204"]
    assert loop.message == "these nodes loop without waiting for the user: a → b → c → a"
    assert loop.span is not None and loop.span.line == 4


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    diags = diagnostics_of(
        tmp_path,
        """
        flow main
          node a
            -> b
          node a
            -> c
          node d
            set tmp.x = 1
            -> a
        """,
    )
    # The second `a` is reported as a duplicate; its own contents are not checked further.
    assert codes(diags) == ["E101", "E103", "W001", "E104"]


def test_syntax_errors_in_several_nodes_and_files_are_all_reported(tmp_path: Path) -> None:
    diags = diagnostics_of(
        tmp_path,
        'flow main\n  node a\n    say "x" y\n    -> end\n  node b\n    when -> a\n  node c\n    -> end\n',
        {"other.flow": "intent x\n  hello\n", "third.flow": "flow f\n  node z\n    listen listen\n"},
    )
    assert [(d.span.file, d.span.line, d.code) for d in diags if d.span] == [
        ("main.flow", 5, "E002"), ("main.flow", 8, "E012"), ("other.flow", 2, "E016"), ("third.flow", 3, "E002")
    ]


def test_names_may_use_keywords_where_no_keyword_fits_but_not_reserved_targets(tmp_path: Path) -> None:
    diags = diagnostics_of(
        tmp_path,
        """
        flow main
          node say
            -> listen
          node listen
            listen
            -> say
        """,
    )
    assert diags == []


def test_strings_inside_set_objects_are_not_templates(tmp_path: Path) -> None:
    # The runtime stores lists and objects as written: only a top-level string is rendered.
    diags = diagnostics_of(
        tmp_path,
        """
        flow main
          node a
            set temp.doc = {"example": "write {{ like this", "list": ["{{ tmp.x }}"]}
            run builtin/setVariable(type = "temp", name = "x", value = {"raw": "{{ nope"})
            -> end
        """,
    )
    assert diags == []
