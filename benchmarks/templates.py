"""Conditions, templates and content rendering, each against a baseline timed in the same run.

    python -m benchmarks templates

- conditions: ``evaluate_condition`` on welcome-bot's conditions (compiled once, then cached)
  against the same tests written by hand in Python (the floor for any evaluator), plus the
  one-time cost of parsing a new condition;
- Mustache: a welcome-bot greeting rendered by ``MustacheRenderer`` against ``str.format`` of
  the same text;
- Jinja2: ``JinjaRenderer`` (sandbox, cached) against a plain ``jinja2.Template`` compiled once
  (no sandbox), and against compiling the template on every render (what caching saves);
- content: ``render_content`` of welcome-bot's single-choice element, against rendering its
  text alone.
"""

from __future__ import annotations

import random
import statistics
import timeit
from collections.abc import Callable
from typing import Any

NUMBER = 20_000
ROUNDS = 5

MEMORY: dict[str, Any] = {
    "event": {"type": "text", "payload": {"text": "hello"}, "nlu": {"intent": {"name": "forget"}}},
    "user": {"nickname": "Ana"},
    "session": {"slots": {}},
    "temp": {"skill-choice-ret": "memory", "$r": 2, "skill-choice-invalid-count": 1},
    "bot": {},
    "workflow": {},
}
CONDITIONS = [
    "event.nlu.intent.name === 'forget'",
    "temp['skill-choice-ret'] == \"memory\"",
    "user.nickname !== undefined",
    "temp.$r > 0",
    "temp['skill-choice-invalid-count'] <= undefined",
]


def _by_hand(memory: dict[str, Any]) -> list[bool]:
    temp = memory["temp"]
    return [
        memory["event"]["nlu"]["intent"]["name"] == "forget",
        temp.get("skill-choice-ret") == "memory",
        "nickname" in memory["user"],
        temp.get("$r", 0) > 0,
        False,
    ]


def _per_call_us(function: Callable[[], object], number: int = NUMBER) -> float:
    """Median over rounds of the time per call, in microseconds."""
    times = timeit.repeat(function, number=number, repeat=ROUNDS)
    return statistics.median(times) / number * 1e6


def _line(label: str, value: float, baseline: float, baseline_label: str) -> None:
    print(f"  {label:<46} {value:8.2f} µs   {value / baseline:6.1f}x {baseline_label}")


def _conditions() -> None:
    from flowbot.runtime.conditions import compile_condition
    from flowbot.runtime.conditions import evaluate_condition

    def ours() -> None:
        for condition in CONDITIONS:
            evaluate_condition(condition, MEMORY)

    hand = _per_call_us(lambda: _by_hand(MEMORY))
    print(f"conditions ({len(CONDITIONS)} welcome-bot conditions per call)")
    print(f"  {'hand-written Python (baseline)':<46} {hand:8.2f} µs")
    _line("evaluate_condition, cached", _per_call_us(ours), hand, "the baseline")
    counter = iter(range(10**9))

    def parse_new() -> None:
        compile_condition(f"temp['skill-choice-ret'] == \"v{next(counter)}\" && user.nickname !== undefined")

    _line("first evaluation of a new condition (parse)", _per_call_us(parse_new, 2_000), hand, "the baseline")


def _mustache() -> None:
    from flowbot.runtime.templates import MustacheRenderer

    renderer = MustacheRenderer()
    template = "Welcome to Botpress, {{user.nickname}}! We spoke {{temp.$r}} times."
    baseline = _per_call_us(
        lambda: "Welcome to Botpress, {}! We spoke {} times.".format(
            MEMORY["user"]["nickname"], MEMORY["temp"]["$r"]
        )
    )
    print("Mustache")
    print(f"  {'str.format (baseline)':<46} {baseline:8.2f} µs")
    _line(
        "MustacheRenderer.render, cached",
        _per_call_us(lambda: renderer.render(template, MEMORY)),
        baseline,
        "str.format",
    )
    plain = "A text without any tag, as most content is."
    _line(
        "MustacheRenderer.render, no tag",
        _per_call_us(lambda: renderer.render(plain, MEMORY)),
        baseline,
        "str.format",
    )


def _jinja() -> None:
    import jinja2

    from flowbot.runtime.templates import JinjaRenderer

    renderer = JinjaRenderer()
    template = "Welcome, {{ user.nickname }}! We spoke {{ temp['$r'] }} times."
    compiled = jinja2.Environment().from_string(template)
    baseline = _per_call_us(lambda: compiled.render(MEMORY))
    print("Jinja2")
    print(f"  {'jinja2.Template.render, no sandbox (baseline)':<46} {baseline:8.2f} µs")
    cached = _per_call_us(lambda: renderer.render(template, MEMORY))
    _line("JinjaRenderer.render (sandbox, cached)", cached, baseline, "the baseline")
    native = _per_call_us(lambda: renderer.render_value("{{ temp['$r'] + 1 }}", MEMORY))
    _line("JinjaRenderer.render_value '{{ temp[\"$r\"] + 1 }}'", native, baseline, "the baseline")
    sandbox = jinja2.sandbox.ImmutableSandboxedEnvironment()
    uncached = _per_call_us(lambda: sandbox.from_string(template).render(MEMORY), 500)
    _line("compiling on every render (no cache)", uncached, baseline, "the baseline")


def _content() -> None:
    from flowbot.runtime.content import render_content
    from flowbot.runtime.templates import MustacheRenderer

    renderer = MustacheRenderer()
    rng = random.Random(1)
    form_data = {
        "text$en": "What would you like to know, {{user.nickname}}?",
        "choices$en": [
            {"title": "What is a Context?", "value": "context"},
            {"title": "Memory", "value": "memory"},
        ],
        "typing$en": True,
    }
    text = form_data["text$en"]
    baseline = _per_call_us(lambda: renderer.render(text, MEMORY))
    print("content")
    print(f"  {'rendering the element text alone (baseline)':<46} {baseline:8.2f} µs")
    args = {"skill": "choice"}
    element = _per_call_us(
        lambda: render_content("builtin_single-choice", form_data, args, MEMORY, renderer, "en", "en", rng)
    )
    _line("render_content, single-choice element", element, baseline, "the baseline")


def main() -> None:
    _conditions()
    _mustache()
    _jinja()
    _content()


if __name__ == "__main__":
    main()
