"""JSON for what a bot produces (responses, memory, proactive messages), written as JavaScript's
``JSON.stringify`` writes it: NaN and the infinities become ``null``.

A bot's own code can put such values in memory or in a payload (a Python action doing
``float(text)`` on a user's "nan"); strict JSON cannot hold them, and Starlette's encoder then
raises, which would turn a user's message into a 500.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.responses import JSONResponse


def bot_json(value: Any) -> str:
    """``value`` as compact JSON, non-finite floats as ``null``."""
    try:
        return _dumps(value)
    except ValueError:  # only the rare answer that holds one pays for the walk
        return _dumps(_finite(value))


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


class BotJSONResponse(JSONResponse):
    """A JSON response whose content comes from a bot (see :func:`bot_json`)."""

    def render(self, content: Any) -> bytes:
        return bot_json(content).encode("utf-8")
