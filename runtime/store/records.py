"""A conversation record as the stores keep it: JSON text.

Every turn reads its record from that text and writes it back. Writing takes the fast path of
orjson over plain dicts: pydantic's JSON mode runs the per-model serializers (``to_dict`` of the
context and its instructions) in Python, and took twice as long. Whatever the fast path cannot
write exactly as pydantic would (dates, sets, non-text keys, integers past 64 bits, objects of
user code...) goes through pydantic, as it always did. Reading stays pydantic's: orjson then
``model_validate`` measured barely faster, and orjson reads integers past 64 bits as floats.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError

from flowbot.runtime.fastjson import exact_dumps
from flowbot.runtime.state import ConversationRecord


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
    fast = exact_dumps(_as_dict(record))
    if fast is not None:
        return fast.decode()
    # user code may store values JSON cannot hold (dates, sets...): they are kept as their text
    try:
        return record.model_dump_json(fallback=str)
    except PydanticSerializationError:
        # A lone surrogate (a JSON body may escape one: "\ud800") has no UTF-8 form: such a
        # record is written with escapes, as JavaScript's JSON.stringify writes it.
        return json.dumps(record.model_dump(), ensure_ascii=True, default=str)


def load_record(text: str) -> ConversationRecord:
    try:
        return ConversationRecord.model_validate_json(text)
    except ValidationError:
        # pydantic's JSON reader refuses an escaped lone surrogate; json reads it (and a record
        # that is really invalid fails here again)
        return ConversationRecord.model_validate(json.loads(text))
