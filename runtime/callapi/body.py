"""Response bodies as the flow sees them: JSON when the text parses as JSON, else the text.

This is what axios does for Botpress (its default ``transformResponse`` tries ``JSON.parse`` on
every string, whatever the content type), so bots written for Botpress find the same values.
"""

from __future__ import annotations

import asyncio
import codecs
import json
from typing import Any

# Decoding a large body takes milliseconds; past this size it runs in a worker thread so that
# other conversations are not held up.
_THREAD_THRESHOLD = 64 * 1024


def _reject_constant(name: str) -> Any:
    # JSON.parse refuses NaN and Infinity, and they could not be stored as JSON anyway.
    raise ValueError(f"{name} is not JSON")


# Built once: json.loads with an argument builds a new decoder on every call (~10 µs).
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def decode_text(text: str) -> Any:
    """The JSON value of ``text``, or ``text`` itself when it is not JSON (``""`` stays ``""``)."""
    try:
        return _DECODER.decode(text)
    except ValueError:
        return text


def is_json(text: str) -> bool:
    try:
        _DECODER.decode(text)
    except ValueError:
        return False
    return True


def _charset(name: str | None) -> str:
    if name:
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            return "utf-8-sig"
        # A UTF-8 body may start with a byte order mark, which JSON.parse would also skip.
        return "utf-8-sig" if codec == "utf-8" else codec
    return "utf-8-sig"


def decode_bytes(data: bytes, charset: str | None = None) -> Any:
    """Decodes with the response's charset (UTF-8 when absent or unknown); bad bytes become U+FFFD."""
    return decode_text(data.decode(_charset(charset), errors="replace"))


async def decode_body(data: bytes, charset: str | None = None) -> Any:
    if len(data) > _THREAD_THRESHOLD:
        return await asyncio.to_thread(decode_bytes, data, charset)
    return decode_bytes(data, charset)
