"""Writing a :class:`BotGraph` as Mermaid or Graphviz DOT text, and as SVG through Graphviz.

Mermaid is for documentation (GitHub and most wikis draw it); DOT and SVG come from Graphviz,
whose ``dot`` program does the layout (flowbot draws nothing itself). Unreachable nodes are drawn
red and dashed; Call API outcomes are green (success) and red (failure); flow calls are dashed.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from flowbot.errors import FlowbotError
from flowbot.graph.model import BotGraph
from flowbot.graph.model import GraphEdge
from flowbot.graph.model import GraphNode

DOT_TIMEOUT = 60.0  # seconds Graphviz may take to lay a graph out
_MERMAID_SHAPES = {
    "call": ("{{", "}}"),
    "ask": ("[[", "]]"),
    "fill": ("[[", "]]"),
    "skill": ("[[", "]]"),
    "end": ("((", "))"),
    "return": ("((", "))"),
    "catchall": (">", "]"),
    "missing": ("[", "]"),
}
_EDGE_COLORS = {"success": "#2e7d32", "failure": "#c62828"}


class GraphRenderError(FlowbotError):
    """The graph cannot be rendered (Graphviz is missing, or failed)."""


def _mermaid_ids(graph: BotGraph) -> dict[str, str]:
    ids: dict[str, str] = {}
    used: set[str] = set()
    for node in graph.nodes:
        base = "n_" + re.sub(r"[^A-Za-z0-9_]", "_", node.id)
        candidate, number = base, 2
        while candidate in used:
            candidate, number = f"{base}_{number}", number + 1
        used.add(candidate)
        ids[node.id] = candidate
    return ids


def _mermaid_text(text: str) -> str:
    # Mermaid's entity codes: quotes, angle brackets and braces would otherwise end or change a label
    for char, code in (
        ("#", "#35;"),
        ('"', "#quot;"),
        ("<", "#lt;"),
        (">", "#gt;"),
        ("{", "#123;"),
        ("}", "#125;"),
    ):
        text = text.replace(char, code) if char != "#" else re.sub(r"#(?=[a-z0-9]+;)", "#35;", text)
    return text


def _mermaid_node(node: GraphNode, node_id: str) -> str:
    label = _mermaid_text(node.name) + (f"<br/>{_mermaid_text(node.detail)}" if node.detail else "")
    opening, closing = ("([", "])") if node.start else _MERMAID_SHAPES.get(node.kind, ("(", ")"))
    return f'{node_id}{opening}"{label}"{closing}'


def _mermaid_edge(edge: GraphEdge, ids: dict[str, str]) -> str:
    arrow = "-.->" if edge.kind == "flow" else "-->"
    label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
    return f"{ids[edge.source]} {arrow}{label} {ids[edge.target]}"


def to_mermaid(graph: BotGraph) -> str:
    """A Mermaid ``flowchart``: one subgraph per flow."""
    ids = _mermaid_ids(graph)
    out = ["flowchart TD"]
    for flow in graph.flows:
        out.append(f'  subgraph f_{re.sub(r"[^A-Za-z0-9_]", "_", flow)}["flow {_mermaid_text(flow)}"]')
        out.extend(f"    {_mermaid_node(n, ids[n.id])}" for n in graph.nodes if n.flow == flow)
        out.append("  end")
    out.extend(f"  {_mermaid_node(n, ids[n.id])}" for n in graph.nodes if n.flow not in graph.flows)
    out.extend(f"  {_mermaid_edge(e, ids)}" for e in graph.edges)
    for index, edge in enumerate(graph.edges):
        if edge.kind in _EDGE_COLORS:
            out.append(
                f"  linkStyle {index} stroke:{_EDGE_COLORS[edge.kind]},color:{_EDGE_COLORS[edge.kind]}"
            )
    out.append("  classDef unreachable fill:#fff0f0,stroke:#c62828,stroke-dasharray:5 5,color:#c62828")
    out.append("  classDef missing fill:#ffebee,stroke:#c62828,color:#c62828")
    out.append("  classDef terminal fill:#eeeeee,stroke:#9e9e9e")
    for name, kinds in (("terminal", ("end", "return")), ("missing", ("missing",))):
        members = [ids[n.id] for n in graph.nodes if n.kind in kinds]
        if members:
            out.append(f"  class {','.join(members)} {name}")
    unreachable = [ids[n.id] for n in graph.unreachable]
    if unreachable:
        out.append(f"  class {','.join(unreachable)} unreachable")
    return "\n".join(out) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _dot_node(node: GraphNode) -> str:
    label = node.name + (f"\n{node.detail}" if node.detail else "")
    attrs = {"label": _dot_quote(label)}
    shapes = {"call": "hexagon", "end": "doublecircle", "return": "circle", "catchall": "note"}
    if node.kind in shapes:
        attrs["shape"] = shapes[node.kind]
    if node.kind in ("ask", "fill", "skill"):
        attrs["peripheries"] = "2"
    if node.kind in ("end", "return"):
        attrs.update(fillcolor='"#eeeeee"', fontsize="9")
    if node.start:
        attrs["penwidth"] = "2"
    if not node.reachable or node.kind == "missing":
        attrs.update(color='"#c62828"', fontcolor='"#c62828"', fillcolor='"#fff0f0"')
        attrs["style"] = '"rounded,dashed,filled"' if not node.reachable else '"filled"'
    return f"{_dot_quote(node.id)} [{', '.join(f'{k}={v}' for k, v in attrs.items())}];"


def _dot_edge(edge: GraphEdge) -> str:
    attrs = {}
    if edge.label:
        attrs["label"] = _dot_quote(edge.label)
    if edge.kind == "flow":
        attrs["style"] = "dashed"
    if edge.kind in _EDGE_COLORS:
        attrs.update(color=f'"{_EDGE_COLORS[edge.kind]}"', fontcolor=f'"{_EDGE_COLORS[edge.kind]}"')
    rendered = f" [{', '.join(f'{k}={v}' for k, v in attrs.items())}]" if attrs else ""
    return f"{_dot_quote(edge.source)} -> {_dot_quote(edge.target)}{rendered};"


def to_dot(graph: BotGraph) -> str:
    """Graphviz DOT: one cluster per flow."""
    out = [
        f"digraph {_dot_quote(graph.bot_id)} {{",
        '  graph [rankdir=TB, fontname="Helvetica", fontsize=12, nodesep=0.4];',
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for flow in graph.flows:
        out.append(f"  subgraph {_dot_quote('cluster_' + flow)} {{")
        out.append(f'    label={_dot_quote("flow " + flow)}; style="rounded"; color="#9e9e9e";')
        out.extend(f"    {_dot_node(n)}" for n in graph.nodes if n.flow == flow)
        out.append("  }")
    out.extend(f"  {_dot_node(n)}" for n in graph.nodes if n.flow not in graph.flows)
    out.extend(f"  {_dot_edge(e)}" for e in graph.edges)
    out.append("}")
    return "\n".join(out) + "\n"


def to_svg(graph: BotGraph, dot_program: str = "dot") -> str:
    """SVG drawn by Graphviz (``dot -Tsvg``); :class:`GraphRenderError` when it is not installed."""
    program = shutil.which(dot_program)
    if program is None:
        raise GraphRenderError(
            "SVG needs Graphviz's `dot` program, which is not installed. Install Graphviz "
            "(Debian/Ubuntu: `apt-get install graphviz`, or `make system-deps` in the flowbot checkout; "
            "macOS: `brew install graphviz`), or write --format dot or --format mermaid."
        )
    try:
        done = subprocess.run(
            [program, "-Tsvg"],
            input=to_dot(graph).encode("utf-8"),
            capture_output=True,
            timeout=DOT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GraphRenderError(f"Graphviz failed: {exc}") from None
    if done.returncode != 0:
        raise GraphRenderError(f"Graphviz failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout.decode("utf-8")
