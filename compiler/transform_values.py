"""Transformer rules of conditions, memory paths and values (see transform.py)."""

from __future__ import annotations

from typing import Any

from lark import Token

from flowbot.compiler import ir
from flowbot.compiler.transform_base import BuilderBase
from flowbot.compiler.transform_base import Place


class ValueRules(BuilderBase):
    # ------------------------------------------------------------ conditions

    def _operand(self, item: Any) -> Any:
        return ir.PathOperand(path=item) if isinstance(item, ir.Path) else item

    def cmp_cond(self, meta: Place, children: list[Any]) -> Any:
        return children[0]  # `( condition )`: the parentheses only group

    def or_cond(self, meta: Place, children: list[Any]) -> ir.Or:
        return ir.Or(items=children)

    def and_cond(self, meta: Place, children: list[Any]) -> ir.And:
        return ir.And(items=children)

    def not_cond(self, meta: Place, children: list[Any]) -> ir.Not:
        return ir.Not(operand=children[0])

    def compare(self, meta: Place, children: list[Any]) -> ir.Compare:
        left, op, right = children
        return ir.Compare(left=self._operand(left), op=str(op), right=self._operand(right))

    def is_set(self, meta: Place, children: list[Any]) -> ir.IsSet:
        return ir.IsSet(operand=self._operand(children[0]), negated=False)

    def is_not_set(self, meta: Place, children: list[Any]) -> ir.IsSet:
        return ir.IsSet(operand=self._operand(children[0]), negated=True)

    def contains(self, meta: Place, children: list[Any]) -> ir.Contains:
        return ir.Contains(left=self._operand(children[0]), right=self._operand(children[1]))

    def intent_cond(self, meta: Place, children: list[Token]) -> ir.IntentCond:
        return ir.IntentCond(name=self._name(children[0]))

    def slot_cond(self, meta: Place, children: list[Token]) -> ir.SlotCond:
        return ir.SlotCond(name=self._name(children[0]))

    def truthy(self, meta: Place, children: list[Any]) -> ir.Truthy:
        return ir.Truthy(operand=self._operand(children[0]))

    def string_lit(self, meta: Place, children: list[Token]) -> ir.LiteralOperand:
        text = self._text(children[0])
        return ir.LiteralOperand(value=text.value, span=text.span)

    def number_lit(self, meta: Place, children: list[Token]) -> ir.LiteralOperand:
        return ir.LiteralOperand(value=self._number(children[0]), span=self._tok_span(children[0]))

    def true_lit(self, meta: Place, children: list[Any]) -> ir.LiteralOperand:
        return ir.LiteralOperand(value=True, span=self._span(meta))

    def false_lit(self, meta: Place, children: list[Any]) -> ir.LiteralOperand:
        return ir.LiteralOperand(value=False, span=self._span(meta))

    def null_lit(self, meta: Place, children: list[Any]) -> ir.LiteralOperand:
        return ir.LiteralOperand(value=None, span=self._span(meta))

    def number_call(self, meta: Place, children: list[Any]) -> ir.NumberCall:
        return ir.NumberCall(operand=self._operand(children[0]), span=self._span(meta))

    def path(self, meta: Place, children: list[Token]) -> ir.Path:
        scope, *keys = children
        path_keys = []
        for token in keys:
            key: str | int
            if token.type == "STRING":
                key = self._text(token).value
            elif token.type == "NUMBER":
                key = self._count(token, "list index")
            else:
                key = str(token)
            path_keys.append(ir.PathKey(key=key, span=self._tok_span(token)))
        return ir.Path(scope=self._name(scope), keys=path_keys, span=self._span(meta))

    # ------------------------------------------------------------ values

    def _as_value(self, item: Any) -> Any:
        return ir.StringValue(text=item) if isinstance(item, ir.Text) else item

    def number_value(self, meta: Place, children: list[Token]) -> ir.NumberValue:
        return ir.NumberValue(value=self._number(children[0]), span=self._tok_span(children[0]))

    def true_value(self, meta: Place, children: list[Any]) -> ir.BoolValue:
        return ir.BoolValue(value=True, span=self._span(meta))

    def false_value(self, meta: Place, children: list[Any]) -> ir.BoolValue:
        return ir.BoolValue(value=False, span=self._span(meta))

    def null_value(self, meta: Place, children: list[Any]) -> ir.NullValue:
        return ir.NullValue(span=self._span(meta))

    def template_value(self, meta: Place, children: list[Token]) -> ir.TemplateValue:
        return ir.TemplateValue(source=str(children[0]), span=self._tok_span(children[0]))

    def list_value(self, meta: Place, children: list[Any]) -> ir.ListValue:
        items = [self._as_value(c) for c in children if c is not None]
        return ir.ListValue(items=items, span=self._span(meta))

    def object_value(self, meta: Place, children: list[Any]) -> ir.ObjectValue:
        return ir.ObjectValue(pairs=[c for c in children if c is not None], span=self._span(meta))

    def pair(self, meta: Place, children: list[Any]) -> ir.Pair:
        return ir.Pair(key=self._text(children[0]), value=self._as_value(children[1]))
