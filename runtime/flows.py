"""Flow lookup and instruction queues, precomputed once per bot (``InstructionsQueueBuilder``, §2.1).

A node's queue is ``[catchAll.next (only after a jump)] + onEnter + [wait + catchAll.onReceive +
onReceive, when onReceive is not null] + catchAll.next (minus self-targets) + next``. The pieces
are built once per node and concatenated per visit, so a turn allocates no instruction objects.
"""

from __future__ import annotations

from typing import Any

from flowbot.errors import FlowbotError
from flowbot.runtime.bot import FLOW_SUFFIX
from flowbot.runtime.bot import BotDefinition
from flowbot.runtime.flow import Flow
from flowbot.runtime.flow import FlowNode
from flowbot.runtime.flow import Transition
from flowbot.runtime.state import WAIT
from flowbot.runtime.state import Instruction


class FlowError(FlowbotError):
    """A flow or node that does not exist, or a transition that cannot be followed."""

    def __init__(self, message: str, bot_id: str, flow: str | None = None, node: str | None = None) -> None:
        self.bot_id = bot_id
        self.flow = flow
        self.node = node
        super().__init__(message)


def _transitions(items: list[Transition]) -> list[Instruction]:
    return [Instruction(type="transition", fn=t.condition, node=t.node) for t in items]


class _NodeQueues:
    __slots__ = ("jump_prefix", "on_enter", "on_receive", "transitions")

    def __init__(self, flow: Flow, node: FlowNode) -> None:
        catch_all_next = flow.catchAll.next or []
        self.jump_prefix = _transitions(catch_all_next)
        self.on_enter = [Instruction(type="on-enter", fn=fn) for fn in node.onEnter or []]
        content = (node.model_extra or {}).get("content")
        if node.type == "say_something" and isinstance(content, dict):
            # oneflow "say something" nodes render their own content after onEnter/onReceive
            fn = f"say @{content.get('contentType', '')}"
            self.on_enter = [
                *self.on_enter,
                Instruction(type="on-enter", fn=fn, args=content.get("formData") or {}),
            ]
        self.on_receive: list[Instruction] | None = None
        if node.onReceive is not None:
            received = [*(flow.catchAll.onReceive or []), *node.onReceive]
            self.on_receive = [WAIT, *(Instruction(type="on-receive", fn=fn) for fn in received)]
        # catchAll transitions back to this very node are dropped: they would loop forever
        own = [t for t in catch_all_next if t.node != node.name]
        self.transitions = _transitions([*own, *node.next])


class FlowEntry:
    """One flow of a bot with its nodes by name and the precomputed queue pieces of each node."""

    def __init__(self, name: str, flow: Flow) -> None:
        self.name = name
        self.flow = flow
        self.nodes: dict[str, FlowNode] = {}
        for node in flow.nodes:
            self.nodes.setdefault(node.name, node)
        self._queues: dict[str, _NodeQueues] = {}

    @property
    def start_node(self) -> str | None:
        return self.flow.startNode

    @property
    def is_skill(self) -> bool:
        return self.name.startswith("skills/")

    def extra(self, key: str) -> Any:
        return (self.flow.model_extra or {}).get(key)

    def _pieces(self, node: FlowNode) -> _NodeQueues:
        pieces = self._queues.get(node.name)
        if pieces is None:
            pieces = self._queues[node.name] = _NodeQueues(self.flow, node)
        return pieces

    def build_queue(
        self, node: FlowNode, *, has_jumped: bool = False, only_transitions: bool = False
    ) -> list[Instruction]:
        pieces = self._pieces(node)
        queue: list[Instruction] = list(pieces.jump_prefix) if has_jumped else []
        if not only_transitions:
            queue.extend(pieces.on_enter)
            if pieces.on_receive is not None:
                queue.extend(pieces.on_receive)
        queue.extend(pieces.transitions)
        return queue


class FlowIndex:
    """The flows of one bot, looked up as Botpress does: case-insensitive, ``.flow.json`` optional."""

    def __init__(self, bot: BotDefinition) -> None:
        self.bot_id = bot.bot_id
        self._by_lower: dict[str, FlowEntry] = {}
        self._by_name: dict[str, FlowEntry] = {}
        for name, flow in bot.flows.items():
            entry = self._by_lower.setdefault(name.lower(), FlowEntry(name, flow))
            self._by_name.setdefault(name, entry)

    def find_flow(self, name: str | None) -> FlowEntry:
        exact = self._by_name.get(name) if name else None  # the usual case, on every instruction
        if exact is not None:
            return exact
        if not name:
            raise FlowError("Could not find any flow.", self.bot_id, name)
        wanted = name if name.endswith(FLOW_SUFFIX) else name + FLOW_SUFFIX
        entry = self._by_lower.get(wanted.lower())
        if entry is None:
            raise FlowError(f"Flow not found: {name}", self.bot_id, name)
        return entry

    def get_flow(self, name: str | None) -> FlowEntry | None:
        try:
            return self.find_flow(name)
        except FlowError:
            return None

    def find_node(self, flow: FlowEntry, name: str | None) -> FlowNode:
        node = flow.nodes.get(name) if name is not None else None
        if node is None:
            raise FlowError(f"Node not found: {name}", self.bot_id, flow.name, name)
        return node

    def get_node(self, flow: FlowEntry | None, name: str | None) -> FlowNode | None:
        if flow is None or name is None:
            return None
        return flow.nodes.get(name)
