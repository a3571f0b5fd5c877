"""JSON for what a bot produces (responses, memory, proactive messages), written as JavaScript's
``JSON.stringify`` writes it: NaN and the infinities become ``null``.

A bot's own code can put such values in memory or in a payload (a Python action doing
``float(text)`` on a user's "nan"); strict JSON cannot hold them, and Starlette's encoder then
raises, which would turn a user's message into a 500.

Answers are written by orjson (several times faster than ``json``, and it writes non-finite floats
as ``null`` itself); what orjson cannot write as ``json`` does (non-text keys, integers past 64
bits, subclasses of str/int/dict/list, dates...) goes through ``json``, as it always did.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
from starlette.responses import JSONResponse

# Subclasses, dates and dataclasses are handed to ``default`` (which refuses them) instead of
# written by orjson, so that ``json`` writes them exactly as before (or refuses them as before).
_FAST_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def bot_json(value: Any) -> str:
    """``value`` as compact JSON, non-finite floats as ``null``."""
    try:
        return _dumps(value)
    except ValueError:  # only the rare answer that holds one pays for the walk
        return _dumps(_finite(value))


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is written by json")


def bot_json_bytes(value: Any) -> bytes:
    """:func:`bot_json` as UTF-8, by orjson when it can write ``value`` as ``json`` would."""
    try:
        return orjson.dumps(value, default=_refuse, option=_FAST_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is one
        return bot_json(value).encode("utf-8")


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
        return bot_json_bytes(content)
