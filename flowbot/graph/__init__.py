"""``bot graph``: a bot's flows as a graph (Mermaid, Graphviz DOT, SVG). See docs/graph.md."""

from __future__ import annotations

from flowbot.graph.model import BotGraph
from flowbot.graph.model import GraphEdge
from flowbot.graph.model import GraphNode
from flowbot.graph.model import build_graph
from flowbot.graph.render import GraphRenderError
from flowbot.graph.render import to_dot
from flowbot.graph.render import to_mermaid
from flowbot.graph.render import to_svg

__all__ = [
    "BotGraph",
    "GraphEdge",
    "GraphNode",
    "GraphRenderError",
    "build_graph",
    "to_dot",
    "to_mermaid",
    "to_svg",
]
