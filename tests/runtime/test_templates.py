"""The template API the engine uses: renderer_for, render_recursive, TemplateError."""

from __future__ import annotations

import pytest

from flowbot.errors import FlowbotError
from flowbot.runtime.templates import JinjaRenderer
from flowbot.runtime.templates import MustacheRenderer
from flowbot.runtime.templates import TemplateError
from flowbot.runtime.templates import render_recursive
from flowbot.runtime.templates import renderer_for


def test_renderer_for_makes_a_new_renderer_per_call() -> None:
    assert isinstance(renderer_for("mustache"), MustacheRenderer)
    assert isinstance(renderer_for("jinja2"), JinjaRenderer)
    assert renderer_for("mustache") is not renderer_for("mustache")


def test_an_unknown_engine_is_a_clear_error() -> None:
    with pytest.raises(TemplateError, match="unknown template engine 'handlebars'") as caught:
        renderer_for("handlebars")
    assert isinstance(caught.value, FlowbotError)


@pytest.mark.parametrize("engine", ["mustache", "jinja2"])
def test_render_recursive_renders_every_string_once(engine: str) -> None:
    renderer = renderer_for(engine)
    tag = "{{temp.name}}" if engine == "mustache" else "{{ temp.name }}"
    value = {"a": [tag, {"b": f"x{tag}"}], "n": 3, "flag": False, "none": None}
    variables = {"temp": {"name": "{{temp.secret}}", "secret": "S3CRET"}}
    rendered = render_recursive(value, variables, renderer)
    assert rendered == {
        "a": ["{{temp.secret}}", {"b": "x{{temp.secret}}"}],
        "n": 3,
        "flag": False,
        "none": None,
    }
    assert value["a"][0] == tag  # the input is not modified


def test_template_error_message_includes_the_position() -> None:
    error = TemplateError("bad", line=2, column=5)
    assert str(error) == "bad (line 2, column 5)"
    assert str(TemplateError("bad", line=3)) == "bad (line 3)"
    assert str(TemplateError("bad")) == "bad"
