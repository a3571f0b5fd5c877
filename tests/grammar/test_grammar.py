"""The grammar: it ships as package data, parses every construct, rejects what it must, and every
rule it can produce has a transformer method."""

from __future__ import annotations

import pytest
from lark import Tree
from lark.exceptions import UnexpectedInput

from flowbot.compiler.parse import IndentationProblem
from flowbot.compiler.parse import parser
from flowbot.compiler.parse import prepare
from flowbot.compiler.transform import IrBuilder
from flowbot.grammar import grammar_text


def _parse(text: str) -> Tree:
    return parser().parse(prepare(text))


def _rules(tree: Tree) -> set[str]:
    return {str(t.data) for t in tree.iter_subtrees()}


def test_grammar_is_package_data() -> None:
    text = grammar_text()
    assert text.startswith("# The flowbot bot language")
    assert "start: _NL? _declaration*" in text


def test_every_rule_the_parser_can_build_has_a_transformer_method() -> None:
    missing = set()
    for rule in parser().rules:
        name = str(rule.alias or rule.origin.name)
        inlined = rule.origin.name.startswith("_") or (
            rule.alias is None and rule.options.expand1 and len(rule.expansion) == 1
        )
        if not inlined and not callable(getattr(IrBuilder, name, None)):
            missing.add(name)
    assert missing == set()


def test_declarations_parse() -> None:
    tree = _parse(
        """
        # a comment before everything
        bot demo "Demo"   # trailing comment
          language en, fr
          description "A demo"
          timeout 5m
          api allow "10.0.0.0/8"

        intent greet
          - hello there
          - hi # comment after free text
          slot name: any
          context small_talk

        entity city list fuzzy loose
          paris: Paris, city of light

        entity code pattern "[A-Z]{2}-\\\\d+" match_case sensitive
          example "AB-12", "CD-34"

        qna hours
          q: when are you open?
          a: From 9 to 5.
          -> flow main.entry
          context faq
          disabled
        """.replace("\n        ", "\n")
    )
    assert {"bot_decl", "bot_language", "intent_decl", "utterance", "intent_slot", "list_entity", "fuzzy",
            "occurrence", "pattern_entity", "example", "qna_decl", "question", "answer", "qna_redirect",
            "qna_disabled"} <= _rules(tree)


def test_node_steps_and_transitions_parse() -> None:
    tree = _parse(
        """
flow main
  start entry
  when intent help -> help
  node entry
    say "Hi", "Hello" markdown typing
      option a "A"
    say image "https://x.io/a.png" title "A" typing
    say card "Card" typing
      subtitle "Sub"
      image "https://x.io/b.png"
      button "Go" url "https://x.io"
      button "Say" say "hello"
      button "Post" postback "P"
    say carousel
      card "One"
      card "Two"
    listen
    set temp.x = {"a": [1, 2.5, true, null], "b": "{{ temp.y }}"}
    set session.n = {{ session.n + 1 }}
    unset user.name
    run lookup(id = "{{ temp.id }}", n = 3,)
    context add a, b for 3 turns
    context remove a
    context reset
    when intent greet and not (temp.x > 3 or slot city) -> flow other.start
    when temp["a-b"][0] is not set -> return again to x
    when number(temp.n) >= 2 and temp.list contains "x" -> return
    else -> end
  node c
    call post "https://x.io/{{ temp.id }}"
      headers {"X-Key": "{{ bot.key }}"}
      body {"q": 1}
      timeout 2.5
      -> temp.answer
      on_success -> entry
      on_failure -> end
  node q
    ask "Size?"
      option small "Small", "s" -> entry
      retries 2
      invalid "Pick one"
      repeat
      -> session.size
      on_failure -> end
  node f
    fill order.size
      ask "Which size?"
      retry "Sorry?"
      retries 1
      expire_after 2 turns
      validate check_size
      on_filled -> entry
      on_already_filled -> entry
      on_not_found -> end
"""
    )
    expected = {
        "say_text", "say_option", "say_image", "image_title", "say_card", "card_subtitle", "card_image",
        "button_url", "button_say", "button_postback", "say_carousel", "listen", "set", "template_value",
        "unset", "run", "arg", "context_add", "context_remove", "context_reset", "when", "else_", "flow_start",
        "and_cond", "not_cond", "or_cond", "compare", "slot_cond", "intent_cond", "is_not_set", "number_call",
        "contains", "return_again_target", "return_target", "flow_target", "end_target", "call", "call_headers",
        "call_body", "call_timeout", "call_save", "on_success", "on_failure", "ask", "ask_option", "retries",
        "ask_invalid", "ask_repeat", "ask_save", "fill", "fill_ask", "fill_retry", "fill_expiry", "fill_validate",
        "on_filled", "on_already_filled", "on_not_found", "object_value", "list_value", "pair",
    }
    assert expected <= _rules(tree)


def test_long_strings_span_lines() -> None:
    tree = _parse('flow main\n  node a\n    say """\n      Hello\n      there\n      """\n    -> end\n')
    strings = [t for t in tree.scan_values(lambda v: getattr(v, "type", "") == "LONG_STRING")]
    assert len(strings) == 1 and "Hello" in strings[0]


def test_multiline_json_values_ignore_indentation() -> None:
    tree = _parse('flow main\n  node a\n    set temp.x = {\n  "a": 1,\n        "b": [1,\n 2]}\n    -> end\n')
    assert "pair" in _rules(tree)


def test_crlf_tabs_and_missing_final_newline_are_accepted() -> None:
    tree = _parse('flow main\r\n\tnode a\r\n\t\tsay "x"\r\n\t\t-> end')
    assert "say_text" in _rules(tree)


def test_free_text_keeps_hash_inside_words_and_stops_at_a_comment() -> None:
    tree = _parse("intent i\n  - order#12 please  # a comment\n  - c# rocks\n")
    texts = [str(v).rstrip() for v in tree.scan_values(lambda v: getattr(v, "type", "") == "FREE_TEXT")]
    assert texts == ["order#12 please", "c# rocks"]


def test_keywords_can_name_things_where_no_keyword_fits() -> None:
    tree = _parse("flow main\n  node listen\n    say \"x\"\n    -> listen\n")
    assert "node_target" in _rules(tree)


@pytest.mark.parametrize(
    "text",
    [
        "flow main\n  node a\n    when -> b\n",  # no condition
        "flow main\n  node a\n    say\n",  # nothing to say
        "node a\n  say \"x\"\n",  # node outside a flow
        "flow main\n  node a\n    say \"x\" -> b\n",  # transition on the say line
        "intent i\n  hello\n",  # utterance without -
        "bot b\n",  # bot without a name string
        "flow main\n  node a\n    call GET \"x\"\n      retries 2\n",  # ask setting in a call
        'flow main\n  node a\n    say "unclosed\n',
    ],
)
def test_invalid_syntax_is_rejected(text: str) -> None:
    with pytest.raises(UnexpectedInput):
        _parse(text)


def test_inconsistent_dedent_is_rejected() -> None:
    with pytest.raises(IndentationProblem):
        _parse('flow main\n    node a\n      say "x"\n  node b\n')
