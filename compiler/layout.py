"""``.ui.json`` layouts: positions for the graph editor, computed from the flow graph.

A layered layout: a node's column is its distance (in transitions) from the start node, its row
its order of discovery in that column; nodes nothing leads to go in a last column. Links
connect ``out<i>`` (the i-th transition) to the target node. Generated skill flows get empty
positions, as Botpress writes them (the editor lays them out itself).

Flows and layouts are their JSON (:class:`flowbot.runtime.flow.Flow` and
:class:`~flowbot.runtime.flow.FlowUi` as written), see :mod:`flowbot.compiler.emit_flows`.
"""

from __future__ import annotations

from collections import deque
from typing import Any

X0, Y0, DX, DY = 100, 100, 350, 200

JsonDict = dict[str, Any]


def _layers(flow: JsonDict) -> dict[str, int]:
    nodes = flow["nodes"]
    names = {node["name"] for node in nodes}
    successors = {node["name"]: [t["node"] for t in node["next"] if t["node"] in names] for node in nodes}
    depth: dict[str, int] = {}
    start = flow["startNode"]
    if start in names:
        depth[start] = 0
        queue = deque([start])
        while queue:
            current = queue.popleft()
            for succ in successors[current]:
                if succ not in depth:
                    depth[succ] = depth[current] + 1
                    queue.append(succ)
    last = max(depth.values(), default=-1) + 1
    for node in nodes:
        depth.setdefault(node["name"], last)
    return depth


def layout(flow: JsonDict) -> JsonDict:
    """The ``.ui.json`` of a flow: ``{"nodes": [{"id", "position": {"x", "y"}}], "links": [...]}``."""
    nodes = flow["nodes"]
    depth = _layers(flow)
    rows: dict[int, int] = {}
    order = sorted(nodes, key=lambda n: depth[n["name"]])  # stable: source order within a column
    positions: dict[str, JsonDict] = {}
    for node in order:
        column = depth[node["name"]]
        row = rows.get(column, 0)
        rows[column] = row + 1
        positions[node["id"]] = {"x": X0 + column * DX, "y": Y0 + row * DY}
    ids = {node["name"]: node["id"] for node in nodes}
    links = [
        {"source": node["id"], "sourcePort": f"out{index}", "target": ids[t["node"]], "points": []}
        for node in nodes
        for index, t in enumerate(node["next"])
        if t["node"] in ids
    ]
    placed = [{"id": node["id"], "position": positions[node["id"]]} for node in nodes]
    return {"nodes": placed, "links": links}


def skill_layout(flow: JsonDict) -> JsonDict:
    return {"nodes": [{"id": node["id"], "position": {}} for node in flow["nodes"]]}
