"""``Span``, ``Name``, ``Text`` and ``PathKey`` are named tuples (the IR of a 10,000-node bot
holds 112,000 spans, 38,000 names, 12,000 texts) that keep the interface of the pydantic models
they replaced: keyword construction, attributes, repr, immutability, ``Span.model_copy``, and
the dicts they dump as inside a pydantic model."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from flowbot.compiler import ir
from flowbot.compiler.diagnostics import Diagnostic
from flowbot.compiler.diagnostics import Note
from flowbot.compiler.diagnostics import Severity
from flowbot.compiler.diagnostics import Span

SPAN = Span(file="main.flow", line=3, column=5, end_line=3, end_column=9)
FIELDS = {"file": "main.flow", "line": 3, "column": 5, "end_line": 3, "end_column": 9}


def test_a_span_is_a_light_value() -> None:
    assert isinstance(SPAN, tuple) and tuple(SPAN) == ("main.flow", 3, 5, 3, 9)
    assert not hasattr(SPAN, "__dict__")  # no per-instance dict (nor pydantic's field set)
    assert SPAN == Span(**FIELDS) and hash(SPAN) == hash(Span(**FIELDS))
    assert repr(SPAN) == "Span(file='main.flow', line=3, column=5, end_line=3, end_column=9)"
    assert SPAN.sort_key == ("main.flow", 3, 5)


def test_a_span_is_immutable_and_copied_with_changes() -> None:
    with pytest.raises(AttributeError):
        SPAN.line = 4  # type: ignore[misc]
    assert SPAN.model_copy(update={"end_column": 12}) == Span(**{**FIELDS, "end_column": 12})
    assert SPAN.model_copy() is SPAN


def test_models_hold_spans_as_they_are_and_dump_them_as_dicts() -> None:
    note = Note(message="n", span=SPAN)
    diagnostic = Diagnostic(code="E101", severity=Severity.ERROR, message="m", span=SPAN, notes=[note])
    assert diagnostic.span is SPAN
    dumped = diagnostic.model_dump(mode="json")
    assert dumped["span"] == FIELDS and dumped["notes"][0]["span"] == FIELDS
    assert diagnostic.model_dump()["span"] == FIELDS
    name = ir.Name(value="x", span=SPAN)
    assert repr(name) == f"Name(value='x', span={SPAN!r})"
    target = ir.Target(kind="node", node=name, span=SPAN)
    assert target.node is name and target.span is SPAN
    node = {"value": "x", "span": FIELDS}
    assert target.model_dump(mode="json") == {"kind": "node", "flow": None, "node": node, "span": FIELDS}
    assert target.model_dump()["node"] == {"value": "x", "span": FIELDS}
    with pytest.raises(AttributeError):
        name.value = "y"  # type: ignore[misc]


def test_a_model_takes_only_a_span_for_a_span_and_a_name_for_a_name() -> None:
    with pytest.raises(ValidationError):
        ir.Target(kind="end", span=FIELDS)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ir.Target(kind="end", span=("main.flow", 3, 5, 3, 9))  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ir.Target(kind="node", node={"value": "x", "span": SPAN}, span=SPAN)  # type: ignore[arg-type]


def test_texts_and_path_keys_dump_as_their_models_did() -> None:
    text = ir.Text(value="hi", raw='"hi"', span=SPAN)
    message = ir.Message(texts=[text], span=SPAN)
    assert message.texts[0] is text
    assert message.model_dump()["texts"] == [{"value": "hi", "raw": '"hi"', "span": FIELDS}]
    path = ir.Path(scope=ir.Name(value="temp", span=SPAN), keys=[ir.PathKey(key=0, span=SPAN)], span=SPAN)
    assert path.model_dump(mode="json")["keys"] == [{"key": 0, "span": FIELDS}]
    assert repr(path.keys[0]) == f"PathKey(key=0, span={SPAN!r})"
    with pytest.raises(ValidationError):
        ir.Message(texts=[{"value": "hi", "raw": '"hi"', "span": SPAN}], span=SPAN)  # type: ignore[list-item]
