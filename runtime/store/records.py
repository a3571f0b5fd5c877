"""A conversation record as the stores keep it: JSON text.

Every turn reads its record from that text and writes it back, so both directions take the
fast path of orjson over plain dicts (several times faster than pydantic's JSON mode, whose
per-model serializers run in Python). Whatever the fast path cannot write exactly as pydantic
would (dates, sets, non-text keys, integers past 64 bits, objects of user code...) or read
(escaped lone surrogates, integers past 64 bits) goes through pydantic, as it always did.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from flowbot.runtime.state import ConversationRecord

# Values pydantic writes differently from orjson are refused by the fast path (``_refuse``):
# dates and dataclasses are handed to ``default`` instead of written, and so are subclasses of
# str, int, dict and list (pydantic writes an int subclass such as an enum by its value).
_FAST_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
)


# orjson reads an integer past 64 bits as a float: a run of 19 digits (even inside a string, or
# a long fraction) sends the text to pydantic, which keeps such integers exact.
_LONG_NUMBER = re.compile(r"\d{19}")


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is written by pydantic")


def _as_dict(record: ConversationRecord) -> dict[str, Any]:
    # The fields in declaration order, as model_dump_json writes them.
    return {
        "context": record.context.to_dict(),
        "session": record.session,
        "temp": record.temp,
        "user": record.user,
        "kv": record.kv,
        "context_expiry": record.context_expiry,
        "session_expiry": record.session_expiry,
        "timeouts": record.timeouts,
    }


def dump_record(record: ConversationRecord) -> str:
    try:
        return orjson.dumps(_as_dict(record), default=_refuse, option=_FAST_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        # user code may store values JSON cannot hold (dates, sets...): they are kept as their text
        return record.model_dump_json(fallback=str)


def load_record(text: str) -> ConversationRecord:
    if _LONG_NUMBER.search(text) is None:
        try:
            return ConversationRecord.model_validate(orjson.loads(text))
        except orjson.JSONDecodeError:
            pass
    return ConversationRecord.model_validate_json(text)
