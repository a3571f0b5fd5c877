"""Response body decoding: JSON when it parses (as axios does), else the text."""

from __future__ import annotations

import json

import pytest

from flowbot.runtime.callapi.body import decode_body
from flowbot.runtime.callapi.body import decode_bytes


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (b'{"a": [1, 2.5, null, true]}', {"a": [1, 2.5, None, True]}),
        (b"42", 42),
        (b'"quoted"', "quoted"),
        (b"null", None),
        (b"  [1]\n", [1]),
        (b"", ""),
        (b"   ", "   "),
        (b"hello", "hello"),
        (b"Infinity", "Infinity"),
        (b"{'single': 1}", "{'single': 1}"),
        (b'\xef\xbb\xbf{"bom": 1}', {"bom": 1}),
    ],
)
def test_decode(raw: bytes, value: object) -> None:
    assert decode_bytes(raw) == value


def test_unknown_charset_falls_back_to_utf8() -> None:
    assert decode_bytes("été".encode(), "x-no-such-charset") == "été"
    assert decode_bytes("été".encode("cp1252"), "windows-1252") == "été"


async def test_large_bodies_decode_the_same_off_the_loop() -> None:
    payload = {"items": [{"id": i, "name": f"item {i}"} for i in range(5000)]}
    raw = json.dumps(payload).encode()
    assert len(raw) > 64 * 1024
    assert await decode_body(raw) == payload
