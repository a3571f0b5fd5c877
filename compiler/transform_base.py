"""The transformer's base: positions, leaves (names, strings, numbers) and block settings.

Never raises (Lark would wrap the exception in ``VisitError``): problems seen while building
(an invalid escape, a duplicate setting, a fractional retry count) are appended to
``self.diagnostics`` and the IR is built anyway.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Iterable
from typing import NamedTuple

from lark import Token
from lark import Tree

from flowbot.compiler import ir
from flowbot.compiler.diagnostics import Diagnostic
from flowbot.compiler.diagnostics import Note
from flowbot.compiler.diagnostics import Span
from flowbot.compiler.messages import diag
from flowbot.compiler.strings import decode
from flowbot.compiler.strings import span_at


class Setting(NamedTuple):
    """One line of a block (``retries 2``): gathered by the block's rule."""

    key: str
    value: Any
    span: Span


class Place(NamedTuple):
    """Where a rule's text is: from its first token to its last (keywords included, line ends not)."""

    line: int
    column: int
    end_line: int
    end_column: int


# Tokens that carry a value and reach the rule methods; every other token (keywords, punctuation,
# line structure) only counts for positions. The parser keeps all tokens (``keep_all_tokens``)
# so that a rule's position starts at its keyword.
VALUE_TERMINALS = frozenset(
    {"NAME", "NUMBER", "DURATION", "STRING", "LONG_STRING", "TEMPLATE", "FREE_TEXT", "COMPARE"}
)
LAYOUT_TERMINALS = frozenset({"_NL", "_INDENT", "_DEDENT"})
new_tuple = tuple.__new__  # Span(...), Name(...) without the Python frame of a named tuple's __new__
# Deeper trees come from pathological input (`not not not ...`, lists in lists...): refused
# with a diagnostic rather than risking Python's recursion limit in later passes.
MAX_NESTING = 100


class BuilderBase:
    """Helpers shared by the rule methods; ``file`` is the path of the file being built.

    :meth:`transform` calls the method named after each tree node's rule with ``(place, children)``
    (children transformed first, keyword and punctuation tokens left out). It computes positions
    itself, as Lark's ``propagate_positions`` would but for a third of the cost, is iterative (a
    deeply nested condition must not exhaust the stack), and avoids ``lark.Transformer``'s
    per-call wrappers.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.diagnostics: list[Diagnostic] = []

    def transform(self, tree: Tree[Token]) -> Any:
        """The IR of ``tree``, or None when it nests deeper than :data:`MAX_NESTING` (reported)."""
        order: list[tuple[Tree[Token], int]] = []
        stack = [(tree, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_NESTING:
                self.diagnostics.append(diag("E122", self._deepest_span(node), limit=MAX_NESTING))
                return None
            order.append((node, depth))
            stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
        return self._build(node for node, _ in order)

    def _deepest_span(self, node: Tree[Token]) -> Span:
        token = next(node.scan_values(lambda v: isinstance(v, Token) and bool(v.line)), None)
        return self._tok_span(token) if token is not None else self._span(None)

    def _build(self, order: Iterable[Tree[Token]]) -> Any:
        # The hot loop of the compiler: kept flat, with local names, on purpose.
        results: dict[int, Any] = {}
        places: dict[int, Place | None] = {}
        pop_result, pop_place = results.pop, places.pop
        values, layout = VALUE_TERMINALS, LAYOUT_TERMINALS
        top: Tree[Token] | None = None
        for node in reversed(list(order)):
            top = node
            children: list[Any] = []
            first: Any = None  # a Token or a Place: both have line, column, end_line, end_column
            last: Any = None
            for child in node.children:
                if isinstance(child, Tree):
                    key = id(child)
                    children.append(pop_result(key))
                    place = pop_place(key)
                    if place is not None:
                        if first is None:
                            first = place
                        last = place
                    continue
                kind = child.type
                if kind in values:
                    children.append(child)
                elif kind in layout:
                    continue
                if child.line:
                    if first is None:
                        first = child
                    last = child
            here = None
            if first is not None:
                here = Place(first.line, first.column or 1, last.end_line or last.line, last.end_column or 1)
            places[id(node)] = here
            results[id(node)] = getattr(self, node.data)(here, children)
        return results[id(top)]

    # ------------------------------------------------------------ positions and leaves

    # Spans and names are most of the IR (a 10,000-node bot has 112,000 spans, 38,000 names):
    # both are named tuples, made by ``tuple.__new__`` (without the Python frame of their __new__).
    def _span(self, place: Place | None) -> Span:
        if place is None:
            return Span(file=self.file, line=1, column=1, end_line=1, end_column=2)
        return new_tuple(Span, (self.file, *place))

    def _tok_span(self, token: Token) -> Span:
        line = token.line or 1
        column = token.column or 1
        end_line, end_column = token.end_line or line, token.end_column or column + len(token)
        return new_tuple(Span, (self.file, line, column, end_line, end_column))

    def _name(self, token: Token) -> ir.Name:
        return new_tuple(ir.Name, (token.value, self._tok_span(token)))

    def _text(self, token: Token) -> ir.Text:
        raw = str(token)
        span = self._tok_span(token)
        value, bad = decode(raw)
        if bad is not None:
            self.diagnostics.append(diag("E006", span_at(raw, span, bad.offset, len(bad.escape)), escape=bad.escape))
        return new_tuple(ir.Text, (value, raw, span))

    def _number(self, token: Token) -> int | float:
        text = str(token)
        if "." in text or "e" in text or "E" in text:
            number = float(text)
            return int(number) if number.is_integer() and abs(number) < 2**53 else number
        return int(text)

    def _count(self, token: Token, what: str, low: int = 0, high: int | None = None) -> int:
        """A whole number in [low, high]; reports E115 and returns a clamped value otherwise."""
        number = self._number(token)
        ok = isinstance(number, int) and number >= low and (high is None or number <= high)
        if not ok:
            expected = f"a whole number from {low} to {high}" if high is not None else f"a whole number, at least {low}"
            self.diagnostics.append(diag("E115", self._tok_span(token), what=what, value=str(token), expected=expected))
            number = max(low, int(number)) if high is None else min(max(low, int(number)), high)
        return int(number)

    def _gather(self, items: list[Any], what: str) -> dict[str, Setting]:
        """Block settings by key; a second occurrence of a key is reported (E103)."""
        found: dict[str, Setting] = {}
        for item in items:
            if not isinstance(item, Setting):
                continue
            if item.key in found:
                first = found[item.key]
                self.diagnostics.append(
                    diag(
                        "E103",
                        item.span,
                        kind="setting",
                        name=item.key,
                        where=f" in {what}",
                        notes=[Note(message="first set here", span=first.span)],
                    )
                )
                continue
            found[item.key] = item
        return found

    @staticmethod
    def _value_of(found: dict[str, Setting], key: str, default: Any = None) -> Any:
        return found[key].value if key in found else default
