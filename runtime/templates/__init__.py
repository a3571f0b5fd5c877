"""Template engines: faithful Mustache for Botpress bots, sandboxed Jinja2 for compiled bots.

Every render is a single pass: a template's output is never rendered again (Botpress re-renders
up to 3 times, so a user typing ``{{temp.secret}}`` could read memory; flowbot does not).
Renderers are plain objects: the engine holds one per bot, made by :func:`renderer_for`.
"""

from __future__ import annotations

from flowbot.runtime.templates.base import TemplateError
from flowbot.runtime.templates.base import TemplateRenderer
from flowbot.runtime.templates.base import render_recursive
from flowbot.runtime.templates.jinja import JinjaRenderer
from flowbot.runtime.templates.mustache import MustacheRenderer
from flowbot.runtime.templates.mustache import escape_html

ENGINES = ("mustache", "jinja2")

__all__ = [
    "ENGINES",
    "JinjaRenderer",
    "MustacheRenderer",
    "TemplateError",
    "TemplateRenderer",
    "escape_html",
    "render_recursive",
    "renderer_for",
]


def renderer_for(engine: str) -> TemplateRenderer:
    """A new renderer for a bot's ``templateEngine``: ``"mustache"`` (Botpress bots, the default)
    or ``"jinja2"`` (bots compiled from the DSL)."""
    if engine == "mustache":
        return MustacheRenderer()
    if engine == "jinja2":
        return JinjaRenderer()
    raise TemplateError(f'unknown template engine {engine!r} in bot.config.json: use "mustache" or "jinja2"')
