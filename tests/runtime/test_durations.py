"""Botpress-style durations (``ms`` package forms)."""

from __future__ import annotations

import pytest

from flowbot.runtime.durations import DurationError
from flowbot.runtime.durations import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("5m", 300.0),
        ("30s", 30.0),
        ("2h", 7200.0),
        ("1d", 86400.0),
        ("1 week", 604800.0),
        ("1.5 hours", 5400.0),
        ("500ms", 0.5),
        ("2000", 2.0),
        (1500, 1.5),
        ("10 Minutes", 600.0),
    ],
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "5 parsecs", "m5", True])
def test_invalid_durations_say_what_is_expected(text: str | bool) -> None:
    with pytest.raises(DurationError, match="invalid duration"):
        parse_duration(text)
