"""The bot's symbol tables (flows, nodes, intents, entities, slots, QnA, actions), built once
from the IR, with the duplicate-name diagnostics. The first declaration of a name wins."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from flowbot.compiler import ir
from flowbot.compiler.diagnostics import Diagnostic
from flowbot.compiler.diagnostics import Note
from flowbot.compiler.messages import diag
from flowbot.compiler.walk import callers_of

SYSTEM_ENTITIES = (
    "any",
    "amountOfMoney",
    "distance",
    "duration",
    "email",
    "number",
    "ordinal",
    "phoneNumber",
    "quantity",
    "temperature",
    "time",
    "url",
    "volume",
)
BUILTIN_ACTIONS = (
    "builtin/appendContext",
    "builtin/incrementNumberOfConversations",
    "builtin/removeContext",
    "builtin/resetContext",
    "builtin/resetSession",
    "builtin/setVariable",
)
SPECIAL_FLOWS = ("main", "error", "timeout", "conversation_end")
HOOKS = ("before_incoming", "after_incoming", "before_outgoing", "after_event_processed")

T = TypeVar("T")


class Symbols(BaseModel):
    """Lookup tables of a :class:`~flowbot.compiler.ir.Program`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    flows: dict[str, ir.FlowDecl] = Field(default_factory=dict)
    nodes: dict[str, dict[str, ir.NodeDecl]] = Field(default_factory=dict)
    intents: dict[str, ir.IntentDecl] = Field(default_factory=dict)
    entities: dict[str, ir.EntityDecl] = Field(default_factory=dict)
    qnas: dict[str, ir.QnaDecl] = Field(default_factory=dict)
    slots: dict[str, list[tuple[ir.IntentDecl, ir.SlotDecl]]] = Field(default_factory=dict)
    actions: dict[str, ir.CodeFile] = Field(default_factory=dict)
    contexts: set[str] = Field(default_factory=set)
    callers: dict[str, set[str]] = Field(default_factory=dict)  # flow -> the flows that enter it

    def start_node(self, flow: str) -> str | None:
        """The name of the flow's start node: ``start <node>``, else its first node."""
        decl = self.flows.get(flow)
        if decl is None:
            return None
        if decl.start is not None:
            return decl.start.value if decl.start.value in self.nodes.get(flow, {}) else None
        return decl.nodes[0].name.value if decl.nodes else None

    def action_exists(self, name: str) -> bool:
        return name in self.actions or name in BUILTIN_ACTIONS


def _unique(items: Iterable[T], key: str, kind: str, out: list[Diagnostic], where: str = "") -> dict[str, T]:
    """Index ``items`` by ``item.<key>.value``; later duplicates are reported (E103)."""
    table: dict[str, T] = {}
    for item in items:
        name: ir.Name = getattr(item, key)
        if name.value in table:
            first: ir.Name = getattr(table[name.value], key)
            out.append(
                diag(
                    "E103",
                    name.span,
                    kind=kind,
                    name=name.value,
                    where=where,
                    notes=[Note(message="first defined here", span=first.span)],
                )
            )
            continue
        table[name.value] = item
    return table


def build_symbols(program: ir.Program) -> tuple[Symbols, list[Diagnostic]]:
    out: list[Diagnostic] = []
    symbols = Symbols()
    _unique(program.bots, "id", "bot declaration", out)
    symbols.flows = _unique(program.flows, "name", "flow", out)
    for name, flow in symbols.flows.items():
        symbols.nodes[name] = _unique(flow.nodes, "name", "node", out, f" in flow `{name}`")
    symbols.intents = _unique(program.intents, "name", "intent", out)
    symbols.entities = _unique(program.entities, "name", "entity", out)
    symbols.qnas = _unique(program.qnas, "name", "QnA", out)
    for intent in symbols.intents.values():
        for slot in _unique(intent.slots, "name", "slot", out, f" in intent `{intent.name.value}`").values():
            symbols.slots.setdefault(slot.name.value, []).append((intent, slot))
        symbols.contexts.update(c.value for c in intent.contexts)
    for qna in symbols.qnas.values():
        symbols.contexts.update(c.value for c in qna.contexts)
    symbols.actions = {code.name: code for code in program.actions}
    symbols.callers = callers_of(program)
    return symbols, out
