"""The turn's time in JavaScript's ``toISOString`` form, as flows see it (``replyDate``)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from flowbot.runtime.turn import iso_timestamp


def reference(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


@given(st.floats(min_value=-2e9, max_value=4e9, allow_nan=False))
def test_iso_timestamp_is_what_datetime_writes(moment: float) -> None:
    assert iso_timestamp(moment) == reference(moment)


def test_iso_timestamp_rounds_microseconds_before_truncating_to_milliseconds() -> None:
    assert iso_timestamp(1700000000.0) == "2023-11-14T22:13:20.000Z"
    assert iso_timestamp(1.9999996) == "1970-01-01T00:00:02.000Z"  # rounds up into the next second
    assert iso_timestamp(1700000000.9995) == reference(1700000000.9995)
    assert iso_timestamp(-0.5) == "1969-12-31T23:59:59.500Z"
