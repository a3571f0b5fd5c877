"""orjson where it writes what the standard writers would, and only there.

orjson is several times faster than ``json`` and pydantic's JSON mode, but writes some values its
own way (subclasses of str/int/dict/list, dates, dataclasses) and refuses others (non-text keys,
integers past 64 bits). :func:`exact_dumps` hands those back to the caller, who writes them as
before; the stored records and the Converse answers both take this path.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

# Subclasses, dates and dataclasses are passed to ``default`` (which refuses them) instead of
# being written by orjson's own rules (pydantic writes an int subclass such as an enum by value).
_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is left to the standard writer")


def exact_dumps(value: Any) -> bytes | None:
    """``value`` as compact UTF-8 JSON (NaN and infinities as ``null``), or ``None`` when orjson
    would write it differently from ``json``/pydantic or cannot write it."""
    try:
        return orjson.dumps(value, default=_refuse, option=_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is one
        return None


def finite(value: Any) -> Any:
    """``value`` with NaN and the infinities (in dicts, lists and tuples) replaced by ``None``: what
    JavaScript's JSON.stringify writes for them, for the standard writer (which refuses them)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value
