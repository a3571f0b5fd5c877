"""Jinja2 templates of compiled bots: sandboxed, compiled once, native values for set."""

from __future__ import annotations

from typing import Any

import pytest

from flowbot.runtime.templates import JinjaRenderer
from flowbot.runtime.templates import TemplateError

MEMORY: dict[str, Any] = {
    "user": {"name": "Ana", "tags": ["a", "b"]},
    "session": {"count": 2, "price": 1.5, "digits": "42", "ok": True, "cart": {"id": 7}},
    "temp": {"secret": "S3CRET", "nothing": None},
    "event": {"payload": {"text": "{{ temp.secret }}"}},
}


def test_renders_memory_and_missing_values_as_empty() -> None:
    renderer = JinjaRenderer()
    assert renderer.render("Hi {{ user.name }}, {{ session.count }}", MEMORY) == "Hi Ana, 2"
    assert (
        renderer.render("[{{ user.missing }}][{{ user.profile.city.name }}][{{ nope }}]", MEMORY) == "[][][]"
    )
    assert renderer.render("[{{ temp.nothing }}]", MEMORY) == "[]"
    assert renderer.render("{% for t in user.tags %}{{ t }};{% endfor %}", MEMORY) == "a;b;"
    assert renderer.render("{{ user.missing | default('guest') }}", MEMORY) == "guest"


def test_autoescape_is_off_and_text_without_tags_is_unchanged() -> None:
    renderer = JinjaRenderer()
    assert renderer.render("{{ '<b>&' }}", {}) == "<b>&"
    assert renderer.render("plain text\n", {}) == "plain text\n"


def test_user_text_is_never_rendered_again() -> None:
    rendered = JinjaRenderer().render("You said: {{ event.payload.text }}", MEMORY)
    assert rendered == "You said: {{ temp.secret }}"


@pytest.mark.parametrize(
    "template",
    [
        "{{ user.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ user.name.__class__.__base__.__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ lipsum.__globals__ }}",
        "{{ user.tags.append('x') }}",
        "{{ session.cart.update({'id': 1}) }}",
        "{{ session.cart.clear() }}",
        "{{ session.cart.pop('id') }}",
    ],
)
def test_sandbox_violations_raise_template_errors(template: str) -> None:
    memory = {"user": {"name": "Ana", "tags": ["a"]}, "session": {"cart": {"id": 7}}}
    with pytest.raises(TemplateError, match="not allowed") as caught:
        JinjaRenderer().render(template, memory)
    assert "Traceback" not in str(caught.value)
    assert memory == {"user": {"name": "Ana", "tags": ["a"]}, "session": {"cart": {"id": 7}}}


def test_syntax_errors_carry_the_line() -> None:
    with pytest.raises(TemplateError, match="invalid Jinja2 template") as caught:
        JinjaRenderer().render("line one\n{% if %}\n", {})
    assert caught.value.line == 2


def test_runtime_errors_carry_the_line() -> None:
    with pytest.raises(TemplateError, match="division by zero") as caught:
        JinjaRenderer().render("a\nb\n{{ session.count / 0 }}", MEMORY)
    assert caught.value.line == 3


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ session.count + 1 }}", 3),
        ("{{ session.price * 2 }}", 3.0),
        ("{{ session.ok }}", True),
        ("{{ user.tags }}", ["a", "b"]),
        ("{{ session.cart }}", {"id": 7}),
        ("{{ (1, 2) }}", [1, 2]),
        ("{{ session.digits }}", "42"),
        ("{{ temp.nothing }}", None),
        ("{{ user.missing }}", ""),
        ("{{- session.count -}}", 2),
        ("{{ user.tags | length }}", 2),
    ],
)
def test_render_value_returns_the_native_value_of_a_single_expression(template: str, expected: Any) -> None:
    value = JinjaRenderer().render_value(template, MEMORY)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("n={{ session.count }}", "n=2"),
        (" {{ session.count }}", " 2"),
        ("{{ session.count }}{{ session.count }}", "22"),
        ("{% if true %}{{ session.count }}{% endif %}", "2"),
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_render_value_of_anything_else_is_the_rendered_string(template: str, expected: str) -> None:
    assert JinjaRenderer().render_value(template, MEMORY) == expected


def test_render_value_stays_in_the_sandbox() -> None:
    with pytest.raises(TemplateError, match="not allowed"):
        JinjaRenderer().render_value("{{ user.__class__ }}", MEMORY)


def test_templates_are_compiled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    renderer = JinjaRenderer(cache_size=2)
    compiled: list[str] = []
    original = JinjaRenderer._compile

    def counting(environment: Any, template: str) -> Any:
        compiled.append(template)
        return original(environment, template)

    monkeypatch.setattr(JinjaRenderer, "_compile", staticmethod(counting))
    for _ in range(3):
        assert renderer.render("{{ user.name }}", MEMORY) == "Ana"
    assert compiled == ["{{ user.name }}"]
    renderer.render("{{ 1 }}", {})
    renderer.render("{{ 2 }}", {})
    renderer.render("{{ user.name }}", MEMORY)  # evicted by the bounded cache: compiled again
    assert compiled.count("{{ user.name }}") == 2
