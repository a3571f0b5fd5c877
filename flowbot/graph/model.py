"""A bot's flows as a graph: nodes, transitions with readable conditions, and what is reachable.

Built from the loaded bot folder (compiled or Botpress), so that it shows what runs. Generated
skill flows (``skills/*``) are folded into the node that calls them (an ``ask`` or a ``fill``),
whose outcomes are its edges. Every flow gets an ``end`` terminal (the conversation ends) and, when
a node returns to its caller, a ``return`` terminal.
"""

from __future__ import annotations

import json
import re
from collections import deque
from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from flowbot.runtime.bot import BotDefinition
from flowbot.runtime.flow import Flow
from flowbot.runtime.flow import FlowNode
from flowbot.runtime.flow import Transition

NodeKind = Literal["node", "listen", "ask", "fill", "skill", "call", "catchall", "end", "return", "missing"]
EdgeKind = Literal["next", "flow", "success", "failure", "return", "end"]
SKILLS = "skills/"
SUFFIX = ".flow.json"
ENTRY_FLOWS = ("main", "error", "timeout", "conversation_end")  # the runtime enters these by itself
_INTENT = re.compile(r"""^event\.nlu\.intent\.name\s*===?\s*['"]([^'"]+)['"]$""")
_CALL_OK = re.compile(r"^temp\.valid(_[a-z0-9]+)?$")
_CALL_FAILED = re.compile(r"^!\s*temp\.valid(_[a-z0-9]+)?$")
_CHOICE = re.compile(r"""^temp\[['"]skill-choice-ret(-[a-z0-9]+)?['"]\]\s*===?\s*['"]([^'"]*)['"]$""")
_SLOT = {
    'temp.extracted == "true"': "filled",
    'temp.notExtracted == "true"': "not found",
    'temp.alreadyExtracted == "true"': "already filled",
}
LABEL_LIMIT = 60


class GraphNode(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str  # "<flow>/<node>" (flow names as written: "main", not "main.flow.json")
    flow: str
    name: str
    kind: NodeKind
    detail: str = ""  # a second line: the Call API request, the skill...
    start: bool = False
    reachable: bool = True


class GraphEdge(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: str
    target: str
    label: str = ""
    kind: EdgeKind = "next"


class BotGraph(BaseModel):
    bot_id: str
    flows: list[str]
    nodes: list[GraphNode] = Field(default_factory=list)
    edges: list[GraphEdge] = Field(default_factory=list)

    def node(self, node_id: str) -> GraphNode | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    @property
    def unreachable(self) -> list[GraphNode]:
        return [n for n in self.nodes if not n.reachable]


def flow_name(stored: str) -> str:
    return stored.removesuffix(SUFFIX)


def condition_label(transition: Transition) -> tuple[str, EdgeKind]:
    """A transition's condition in words, and its kind (Call API outcomes are kinds of their own)."""
    condition = transition.condition.strip()
    if _CALL_OK.match(condition):
        return "on success", "success"
    if _CALL_FAILED.match(condition):
        return "on failure", "failure"
    if condition in ("true", "") or condition == "always":
        caption = (transition.caption or "").strip()
        return ("on failure" if caption.lower() == "on failure" else ""), "next"
    if condition in _SLOT:
        return _SLOT[condition], "next"
    if match := _INTENT.match(condition):
        return f"intent {match.group(1)}", "next"
    if match := _CHOICE.match(condition):
        return f"choice {match.group(2)}", "next"
    short = condition if len(condition) <= LABEL_LIMIT else condition[: LABEL_LIMIT - 1] + "…"
    return short, "next"


def _call_detail(node: FlowNode) -> str | None:
    for instruction in node.onEnter or []:
        name, _, raw = instruction.partition(" ")
        if name == "basic-skills/call_api":
            try:
                args = json.loads(raw) if raw.strip() else {}
            except json.JSONDecodeError:
                args = {}
            method = str(args.get("method") or "get").upper() if isinstance(args, dict) else "GET"
            url = str(args.get("url", "")) if isinstance(args, dict) else ""
            return f"{method} {url}"
    return None


def _kind(node: FlowNode) -> tuple[NodeKind, str]:
    if node.type == "skill-call":
        skill = (node.skill or "").lower()
        return (
            ("ask", "ask")
            if skill == "choice"
            else ("fill", "fill a slot")
            if skill == "slot"
            else ("skill", node.skill or "")
        )
    detail = _call_detail(node)
    if detail is not None:
        return "call", detail
    return ("listen", "listens") if node.onReceive is not None else ("node", "")


class _Builder:
    def __init__(self, bot: BotDefinition) -> None:
        self.bot = bot
        self.nodes: dict[str, GraphNode] = {}
        self.edges: dict[tuple[str, str, str], list[str]] = {}

    def add_flow(self, stored: str, flow: Flow) -> None:
        name = flow_name(stored)
        for node in flow.nodes:
            kind, detail = _kind(node)
            node_id = f"{name}/{node.name}"
            self.nodes[node_id] = GraphNode(
                id=node_id,
                flow=name,
                name=node.name,
                kind=kind,
                detail=detail,
                start=node.name == flow.startNode,
            )
        for node in flow.nodes:
            for transition in node.next:
                self.add_edge(f"{name}/{node.name}", name, flow, transition)
        for transition in flow.catchAll.next or []:
            source = f"{name}/*"
            self.nodes.setdefault(source, GraphNode(id=source, flow=name, name="any node", kind="catchall"))
            self.add_edge(source, name, flow, transition)

    def terminal(self, flow: str, kind: NodeKind, name: str) -> str:
        node_id = f"{flow}/{name.upper()}"
        self.nodes.setdefault(node_id, GraphNode(id=node_id, flow=flow, name=name, kind=kind))
        return node_id

    def resolve(self, name: str, flow: Flow, target: str) -> tuple[str, EdgeKind | None, str]:
        """The node id of a transition's target, an edge kind it imposes, and a label to add."""
        if target in ("END", ""):
            return self.terminal(name, "end", "end"), "end", ""
        if target.startswith("#"):
            back = target.lstrip("#")
            return self.terminal(name, "return", "return"), "return", f"return to {back}" if back else ""
        if SUFFIX in target:
            flow_part, _, node_part = target.partition("#")
            stored = self.bot.find_flow(flow_part)
            if stored is None:
                return self.missing(target), "flow", ""
            other = self.bot.flows[stored]
            node_name = node_part or other.startNode or ""
            if not any(n.name == node_name for n in other.nodes):
                return self.missing(target), "flow", ""
            return f"{flow_name(stored)}/{node_name}", "flow", ""
        if not any(n.name == target for n in flow.nodes):
            return self.missing(f"{name}/{target}"), None, ""
        return f"{name}/{target}", None, ""

    def missing(self, what: str) -> str:
        node_id = f"?{what}"
        self.nodes.setdefault(
            node_id, GraphNode(id=node_id, flow="", name=f"{what} (missing)", kind="missing")
        )
        return node_id

    def add_edge(self, source: str, name: str, flow: Flow, transition: Transition) -> None:
        label, kind = condition_label(transition)
        target, imposed, extra = self.resolve(name, flow, transition.node)
        if imposed is not None and kind == "next":
            kind = imposed
        text = " ".join(part for part in (label, extra) if part)
        labels = self.edges.setdefault((source, target, kind), [])
        if text not in labels:
            labels.append(text)

    def edge_list(self) -> list[GraphEdge]:
        return [
            GraphEdge(source=s, target=t, kind=k, label=" / ".join(label for label in labels if label))  # type: ignore[arg-type]
            for (s, t, k), labels in self.edges.items()
        ]


def _roots(bot: BotDefinition) -> list[str]:
    roots = []
    for name in ENTRY_FLOWS:
        stored = bot.find_flow(name)
        if stored is not None and bot.flows[stored].startNode:
            roots.append(f"{name}/{bot.flows[stored].startNode}")
    for entry in bot.qna:
        stored = bot.find_flow(entry.data.redirectFlow) if entry.data.redirectFlow else None
        if stored is not None and entry.data.action != "text":
            node = entry.data.redirectNode or bot.flows[stored].startNode or ""
            roots.append(f"{flow_name(stored)}/{node}")
    return roots


def _reachable(nodes: dict[str, GraphNode], edges: list[GraphEdge], roots: list[str]) -> set[str]:
    adjacent: dict[str, list[str]] = {}
    for edge in edges:
        adjacent.setdefault(edge.source, []).append(edge.target)
    seen: set[str] = set()
    queue = deque(root for root in roots if root in nodes)
    while queue:
        current = queue.popleft()
        if current in seen:
            continue
        seen.add(current)
        queue.extend(adjacent.get(current, []))
        catch_all = f"{nodes[current].flow}/*"
        if catch_all in nodes and nodes[current].kind != "catchall":
            queue.append(catch_all)  # a flow's catch-all transitions apply at each of its nodes
    return seen


def build_graph(bot: BotDefinition, only_flow: str | None = None) -> BotGraph:
    """The graph of the bot's flows (skill flows folded into their callers); with ``only_flow``,
    that flow's nodes and where its edges lead. Raises KeyError for an unknown flow."""
    builder = _Builder(bot)
    # main first: it is where conversations start
    flows = sorted(
        (s for s in bot.flows if not s.startswith(SKILLS)), key=lambda s: (s != "main.flow.json", s)
    )
    for stored in flows:
        builder.add_flow(stored, bot.flows[stored])
    edges = builder.edge_list()
    seen = _reachable(builder.nodes, edges, _roots(bot))
    nodes = [
        node.model_copy(
            update={"reachable": node.id in seen or node.kind in ("end", "return", "missing", "catchall")}
        )
        for node in builder.nodes.values()
    ]
    names = [flow_name(stored) for stored in flows]
    if only_flow is not None:
        wanted = bot.find_flow(only_flow)
        if wanted is None or wanted.startswith(SKILLS):
            raise KeyError(only_flow)
        name = flow_name(wanted)
        edges = [edge for edge in edges if edge.source.startswith(f"{name}/")]
        keep = {edge.target for edge in edges} | {n.id for n in nodes if n.flow == name}
        nodes = [node for node in nodes if node.id in keep]
        names = [n for n in names if n == name or any(node.flow == n for node in nodes)]
    return BotGraph(bot_id=bot.bot_id, flows=names, nodes=nodes, edges=edges)
