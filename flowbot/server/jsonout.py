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
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import Receive
from starlette.types import Scope
from starlette.types import Send

from flowbot.runtime.fastjson import exact_dumps
from flowbot.runtime.fastjson import finite


def bot_json_bytes(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON, non-finite floats as ``null``: by orjson when it writes
    ``value`` as ``json`` would, else by ``json``."""
    fast = exact_dumps(value)
    if fast is not None:
        return fast
    text = standard_bot_json(value)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in a body): written as an escape
        return standard_bot_json(value, ascii_only=True).encode("ascii")


def bot_json(value: Any) -> str:
    """:func:`bot_json_bytes` as text."""
    return bot_json_bytes(value).decode("utf-8")


def standard_bot_json(value: Any, *, ascii_only: bool = False) -> str:
    """What the fast path must equal: the standard ``json`` writer, non-finite floats as ``null``
    (``ascii_only``: every non-ASCII character escaped)."""
    try:
        return _dumps(value, ascii_only)
    except ValueError:  # only the rare answer that holds one pays for the walk
        return _dumps(finite(value), ascii_only)


def _dumps(value: Any, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only, allow_nan=False, separators=(",", ":"))


class BotJSONResponse(JSONResponse):
    """A JSON response whose content comes from a bot (see :func:`bot_json`)."""

    def render(self, content: Any) -> bytes:
        return bot_json_bytes(content)


class BotJSONAnswer:
    """What :class:`BotJSONResponse` sends (status, the same two headers, the body), for an answer
    built on every converse request: Starlette's ``Response.__init__`` and header logic cost more
    than writing the two messages."""

    __slots__ = ("body", "status_code")

    media_type = "application/json"

    def __init__(self, content: Any, status_code: int = 200) -> None:
        self.body = bot_json_bytes(content)
        self.status_code = status_code

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-length", str(len(self.body)).encode()), (b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})
