"""Records as the stores keep them: the fast JSON path (orjson) writes and reads exactly what
pydantic's JSON mode does, and hands pydantic whatever it cannot."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import json
import uuid
from typing import Any

import pytest

from flowbot.runtime.state import ConversationRecord
from flowbot.runtime.state import DialogContext
from flowbot.runtime.state import Instruction
from flowbot.runtime.store.records import dump_record
from flowbot.runtime.store.records import load_record


class Color(enum.Enum):
    RED = "red"


class Level(int):
    pass


@dataclasses.dataclass
class Point:
    x: int = 1


class Opaque:
    def __str__(self) -> str:
        return "opaque!"


VALUES: list[Any] = [
    1, 1.5, 0.1 + 0.2, 1e16, 1e-7, -0.0, float("nan"), float("inf"), True, None, "é\u2028", "\ud800",
    2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 2**70, [1, [2]], (1, 2), {1, 2},
    frozenset([3]), {1: "a"}, {"a": {"b": [None]}}, b"bytes", uuid.UUID(int=5), Color.RED, Level(3),
    decimal.Decimal("1.50"), Point(), Opaque(), datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
    datetime.date(2024, 1, 2), datetime.time(1, 2), datetime.timedelta(seconds=3),
]  # fmt: skip


def record_holding(value: Any) -> ConversationRecord:
    queue = [Instruction(type="on-enter", fn="say #!x", args={"v": value}), Instruction(type="wait")]
    return ConversationRecord(
        context=DialogContext(currentFlow="main.flow.json", currentNode="n", queue=queue, hasJumped=True),
        session={"lastMessages": [{"v": value}]},
        temp={"v": value},
        user={"v": value},
        kv={"n": 1},
        context_expiry=1795665045.3466394,
        session_expiry=1795665345,
        timeouts=2,
    )


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__ + ":" + repr(v)[:20])
def test_a_record_is_written_and_read_as_pydantic_does(value: Any) -> None:
    record = record_holding(value)
    try:
        expected = record.model_dump_json(fallback=str)
    except Exception:  # a lone surrogate has no UTF-8 form: written escaped, read back as it was
        assert "\\ud800" in dump_record(record) or "\\udc00" in dump_record(record)
        assert load_record(dump_record(record)) == record
        return
    assert json.loads(dump_record(record)) == json.loads(expected)
    loaded = load_record(expected)
    assert loaded == ConversationRecord.model_validate_json(expected)
    assert type(loaded.user["v"]) is type(ConversationRecord.model_validate_json(expected).user["v"])


def test_plain_records_take_the_fast_path_to_the_same_text() -> None:
    record = record_holding({"text": "hi", "n": 3, "ok": True, "f": 0.25})
    assert dump_record(record) == record.model_dump_json(fallback=str)
    assert load_record(dump_record(record)) == record
