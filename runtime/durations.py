"""Durations written as Botpress writes them in its config files: ``"5m"``, ``"30s"``, ``"2 hours"``.

Botpress parses them with the npm ``ms`` package: a number followed by an optional unit, where a
bare number means milliseconds. We accept the same forms and return seconds.
"""

from __future__ import annotations

import re

from flowbot.errors import FlowbotError

_UNITS = {
    "ms": 0.001, "msec": 0.001, "msecs": 0.001, "millisecond": 0.001, "milliseconds": 0.001,
    "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
    "w": 604800.0, "week": 604800.0, "weeks": 604800.0,
    "y": 31557600.0, "yr": 31557600.0, "yrs": 31557600.0, "year": 31557600.0, "years": 31557600.0,
}  # fmt: skip

_PATTERN = re.compile(r"^\s*(-?(?:\d+)?\.?\d+)\s*([a-z]*)\s*$", re.IGNORECASE)


class DurationError(FlowbotError):
    """A duration that ``ms`` would not understand either."""


def parse_duration(text: str | float) -> float:
    """Seconds in ``text`` (``"5m"`` -> 300.0). A bare number is milliseconds, as in Botpress."""
    if isinstance(text, bool):
        raise DurationError(f"invalid duration {text!r}")
    if isinstance(text, int | float):
        return float(text) / 1000.0
    match = _PATTERN.match(text)
    unit = match.group(2).lower() if match else ""
    if match is None or (unit and unit not in _UNITS):
        raise DurationError(
            f"invalid duration {text!r}: expected a number and a unit such as '30s', '5m', '2h' or '1d'"
        )
    return float(match.group(1)) * _UNITS.get(unit, 0.001)
