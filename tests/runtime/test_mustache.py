"""Mustache as Botpress v12 renders it (mustache.js 4.2), in one pass."""

from __future__ import annotations

from typing import Any

import pytest

from flowbot.runtime.templates import MustacheRenderer
from flowbot.runtime.templates import TemplateError


def _render(template: str, **variables: Any) -> str:
    return MustacheRenderer().render(template, variables)


def test_escaping_uses_the_mustache_js_map() -> None:
    url = "https://x.com/a?b=1&c=2"
    assert (
        _render("{{temp.url}}", temp={"url": url}) == "https:&#x2F;&#x2F;x.com&#x2F;a?b&#x3D;1&amp;c&#x3D;2"
    )
    assert _render("{{x}}", x="& < > \" ' / ` =") == "&amp; &lt; &gt; &quot; &#39; &#x2F; &#x60; &#x3D;"


def test_triple_mustache_and_ampersand_are_raw() -> None:
    assert _render("{{{temp.url}}}", temp={"url": "https://a/?b=1&c"}) == "https://a/?b=1&c"
    assert _render("{{& temp.url}}", temp={"url": "<b>"}) == "<b>"
    assert _render("{{{ x }}}", x=[1, "<"]) == "1,<"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "true"),
        (False, "false"),
        (1.0, "1"),
        (1.5, "1.5"),
        (-0.0, "0"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (123456789.0, "123456789"),
        (0.1 + 0.2, "0.30000000000000004"),
        ([1, 2], "1,2"),
        ([1, [2, 3]], "1,2,3"),
        ([None, 1], ",1"),
        ([], ""),
        ({"a": 1}, "[object Object]"),
        ({}, "[object Object]"),
        (None, ""),
        ("text", "text"),
        (42, "42"),
    ],
)
def test_values_are_stringified_like_javascript(value: Any, expected: str) -> None:
    assert _render("{{{x}}}", x=value) == expected
    assert _render("{{x}}", x=value) == expected.replace("/", "&#x2F;")


def test_missing_values_render_empty() -> None:
    assert _render("[{{user.nickname}}][{{temp.a.b.c}}][{{nothing}}]", user={}, temp={}) == "[][][]"


def test_dotted_lookup_reaches_list_items_and_lengths() -> None:
    temp = {"items": [{"name": "a"}, {"name": "b"}], "word": "hello"}
    assert _render("{{temp.items.1.name}} {{temp.items.length}} {{temp.word.length}}", temp=temp) == "b 2 5"
    assert _render("{{temp.items.7.name}}", temp=temp) == ""


def test_whitespace_inside_tags_is_ignored() -> None:
    assert _render("{{ user.nickname }}!{{{ user.nickname }}}", user={"nickname": "Ana"}) == "Ana!Ana"


def test_sections_iterate_lists_and_push_context() -> None:
    variables = {"temp": {"items": [{"n": "a"}, {"n": "b", "who": "item"}]}, "who": "root"}
    template = "{{#temp.items}}<{{n}}:{{who}}>{{/temp.items}}"
    assert MustacheRenderer().render(template, variables) == "<a:root><b:item>"
    assert _render("{{#xs}}{{.}};{{/xs}}", xs=[1, "two", True]) == "1;two;true;"


def test_a_dotted_name_resolves_in_the_innermost_context_where_the_whole_path_exists() -> None:
    variables = {"a": {"b": "root"}, "items": [{"a": {}}, {"a": {"b": "item"}}]}
    assert MustacheRenderer().render("{{#items}}{{a.b}},{{/items}}", variables) == "root,item,"


def test_a_null_in_the_inner_context_hides_the_outer_value() -> None:
    variables = {"n": "outer", "items": [{"n": None}]}
    assert MustacheRenderer().render("{{#items}}[{{n}}]{{/items}}", variables) == "[]"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, False),
        ("", False),
        (None, False),
        (False, False),
        ([], False),
        (float("nan"), False),
        ({}, True),
        ("0", True),
        (True, True),
        (1, True),
    ],
)
def test_sections_use_javascript_truthiness(value: Any, shown: bool) -> None:
    assert _render("{{#x}}yes{{/x}}", x=value) == ("yes" if shown else "")
    inverted_shown = not shown or value == []
    assert _render("{{^x}}no{{/x}}", x=value) == ("no" if inverted_shown else "")


def test_a_section_over_a_scalar_pushes_it_as_the_context() -> None:
    assert _render("{{#name}}Hi {{.}}!{{/name}}", name="Ana") == "Hi Ana!"
    assert _render("{{#n}}{{.}}{{/n}}", n=3.0) == "3"
    assert _render("{{#flag}}{{who}}{{/flag}}", flag=True, who="same") == "same"


def test_comments_partials_and_delimiters() -> None:
    assert _render("a{{! a comment }}b{{> partial}}c") == "abc"
    assert _render("{{=<% %>=}}<% x %> {{x}} <%={{ }}=%>{{x}}", x="v") == "v {{x}} v"


def test_standalone_tag_lines_are_removed() -> None:
    template = "Items:\n  {{#items}}\n  - {{.}}\n  {{/items}}\nEnd\n"
    assert _render(template, items=["a", "b"]) == "Items:\n  - a\n  - b\nEnd\n"
    assert _render("  {{! note }}  \nnext") == "next"
    assert _render("a {{#t}}\nb{{/t}}", t=True) == "a \nb"


def test_strings_without_a_one_line_tag_are_returned_as_they_are() -> None:
    # Botpress renders only when `{{ ... }}` appears on one line.
    for text in ["plain text", "{{ not closed", "{{\n}}", "}} {{"]:
        assert _render(text) == text


@pytest.mark.parametrize(
    ("template", "message", "line", "column"),
    [
        ("Hi {{#items}}x", 'unclosed section "items"', 1, 4),
        ("a\nb {{/items}}", 'unopened section "items"', 2, 3),
        ("{{#a}}x{{/b}}", 'unclosed section "a" (closed by "b")', 1, 1),
        ("{{a}} {{b", "unclosed tag", 1, 7),
        ("{{=<%=}}{{x}}", "invalid tags", 1, 1),
    ],
)
def test_invalid_templates_raise_template_errors_with_positions(
    template: str, message: str, line: int, column: int
) -> None:
    with pytest.raises(TemplateError, match="invalid Mustache template") as caught:
        _render(template)
    assert message in str(caught.value)
    assert (caught.value.line, caught.value.column) == (line, column)


def test_user_text_is_never_rendered_again() -> None:
    variables = {
        "event": {"payload": {"text": "{{temp.secret}} {{{temp.secret}}}"}},
        "temp": {"secret": "S3CRET"},
    }
    rendered = MustacheRenderer().render("You said: {{{event.payload.text}}}", variables)
    assert rendered == "You said: {{temp.secret}} {{{temp.secret}}}"
    escaped = MustacheRenderer().render("You said: {{event.payload.text}}", variables)
    assert "S3CRET" not in escaped


def test_render_value_is_the_rendered_string() -> None:
    assert MustacheRenderer().render_value("{{n}}", {"n": 3}) == "3"


def test_parsed_templates_are_cached_and_bounded() -> None:
    renderer = MustacheRenderer(cache_size=2)
    assert renderer.parse("{{a}}") is renderer.parse("{{a}}")
    first = renderer.parse("{{a}}")
    renderer.parse("{{b}}")
    renderer.parse("{{c}}")
    assert renderer.parse("{{a}}") is not first  # evicted, parsed again
