"""The IR's leaves: names and strings with their spans, values, memory paths and conditions.

Part of the intermediate representation (:mod:`flowbot.compiler.ir` re-exports everything).
"""

from __future__ import annotations

from typing import Annotated
from typing import Literal
from typing import NamedTuple

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from flowbot.compiler.diagnostics import Span
from flowbot.compiler.diagnostics import held_as_instance


class IrModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


@held_as_instance
class Name(NamedTuple):
    """A name as written, and where. A named tuple, as :class:`Span` is (38,000 of them in a
    10,000-node bot): made without validation, it is given a ``str`` and a ``Span``."""

    value: str
    span: Span


@held_as_instance
class Text(NamedTuple):
    """A string of the source: ``value`` is decoded, ``raw`` is the token as written (with quotes)
    so that positions inside it can be found again (template errors). A named tuple, as
    :class:`Name`."""

    value: str
    raw: str
    span: Span


class FreeText(IrModel):
    """A line of free text (utterance, QnA question or answer, entity value)."""

    value: str
    span: Span


# ------------------------------------------------------------------ values


class StringValue(IrModel):
    kind: Literal["string"] = "string"
    text: Text

    @property
    def span(self) -> Span:
        return self.text.span


class TemplateValue(IrModel):
    """An unquoted ``{{ expression }}``: stored as the template string (the runtime keeps its
    native value)."""

    kind: Literal["template"] = "template"
    source: str
    span: Span


class NumberValue(IrModel):
    kind: Literal["number"] = "number"
    value: int | float
    span: Span


class BoolValue(IrModel):
    kind: Literal["bool"] = "bool"
    value: bool
    span: Span


class NullValue(IrModel):
    kind: Literal["null"] = "null"
    span: Span


class ListValue(IrModel):
    kind: Literal["list"] = "list"
    items: list[Value]
    span: Span


class Pair(IrModel):
    key: Text
    value: Value


class ObjectValue(IrModel):
    kind: Literal["object"] = "object"
    pairs: list[Pair]
    span: Span


Value = Annotated[
    StringValue | TemplateValue | NumberValue | BoolValue | NullValue | ListValue | ObjectValue,
    Field(discriminator="kind"),
]


# ------------------------------------------------------------------ memory paths and conditions


@held_as_instance
class PathKey(NamedTuple):
    """A key of a memory path (a named tuple, as :class:`Name`)."""

    key: str | int
    span: Span


class Path(IrModel):
    """``scope.key.key[0]``: a memory path. ``scope`` is checked against the known scopes."""

    scope: Name
    keys: list[PathKey]
    span: Span


class PathOperand(IrModel):
    kind: Literal["path"] = "path"
    path: Path


class LiteralOperand(IrModel):
    kind: Literal["literal"] = "literal"
    value: str | int | float | bool | None
    span: Span


class NumberCall(IrModel):
    kind: Literal["number_call"] = "number_call"
    operand: Operand
    span: Span


Operand = Annotated[PathOperand | LiteralOperand | NumberCall, Field(discriminator="kind")]


class IntentCond(IrModel):
    kind: Literal["intent"] = "intent"
    name: Name


class SlotCond(IrModel):
    kind: Literal["slot"] = "slot"
    name: Name


class Compare(IrModel):
    kind: Literal["compare"] = "compare"
    left: Operand
    op: str
    right: Operand


class IsSet(IrModel):
    kind: Literal["is_set"] = "is_set"
    operand: Operand
    negated: bool


class Contains(IrModel):
    kind: Literal["contains"] = "contains"
    left: Operand
    right: Operand


class Truthy(IrModel):
    kind: Literal["truthy"] = "truthy"
    operand: Operand


class Not(IrModel):
    kind: Literal["not"] = "not"
    operand: Condition


class And(IrModel):
    kind: Literal["and"] = "and"
    items: list[Condition]


class Or(IrModel):
    kind: Literal["or"] = "or"
    items: list[Condition]


Condition = Annotated[
    IntentCond | SlotCond | Compare | IsSet | Contains | Truthy | Not | And | Or,
    Field(discriminator="kind"),
]


for _model in list(globals().values()):
    if isinstance(_model, type) and issubclass(_model, BaseModel) and _model is not BaseModel:
        _model.model_rebuild()
