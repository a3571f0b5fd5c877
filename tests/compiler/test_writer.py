"""The JSON writer: orjson's bytes are exactly json.dumps(indent=2, ensure_ascii=False)'s, or it
steps aside (None) and the standard encoder writes the file."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from flowbot.compiler.writer import fast_json_bytes
from flowbot.compiler.writer import json_text

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(alphabet=st.characters(codec="utf-8"))
    | st.text(alphabet=st.characters())  # lone surrogates included
)
_JSON = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
_SAFE_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x == 0 or abs(x) >= 1e-4)
    | st.text(alphabet=st.characters(codec="utf-8"))
)
_SAFE_JSON = st.recursive(
    _SAFE_SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_fast_bytes_are_the_reference_bytes_or_none(data: Any) -> None:
    fast = fast_json_bytes(data)
    if fast is not None:
        assert fast == json_text(data).encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(_SAFE_JSON)
def test_fast_path_takes_what_it_can_write_exactly(data: Any) -> None:
    assert fast_json_bytes(data) == json_text(data).encode("utf-8")


def test_floats_python_writes_otherwise_take_the_standard_encoder() -> None:
    for number in (1e-05, 9.99e-05, float("inf"), float("-inf"), float("nan")):
        assert fast_json_bytes({"x": [number]}) is None
    plain = {"x": [0.0001, 0.8, 1e22, -0.0, 0.0]}
    assert fast_json_bytes(plain) == json_text(plain).encode()


def test_what_orjson_refuses_takes_the_standard_encoder() -> None:
    assert fast_json_bytes([2**64]) is None
    assert fast_json_bytes({"text": "\ud800"}) is None
    assert fast_json_bytes({1: "a"}) is None
