"""``.ui.json`` layouts: positions for the graph editor, computed from the flow graph.

A layered layout: a node's column is its distance (in transitions) from the start node, its row
its order of discovery in that column; nodes nothing leads to go in a last column. Links
connect ``out<i>`` (the i-th transition) to the target node. Generated skill flows get empty
positions, as Botpress writes them (the editor lays them out itself).
"""

from __future__ import annotations

from collections import deque

from flowbot.runtime.flow import Flow
from flowbot.runtime.flow import FlowUi
from flowbot.runtime.flow import UiLink
from flowbot.runtime.flow import UiNode
from flowbot.runtime.flow import UiPosition

X0, Y0, DX, DY = 100, 100, 350, 200


def _layers(flow: Flow) -> dict[str, int]:
    names = {node.name for node in flow.nodes}
    successors = {node.name: [t.node for t in node.next if t.node in names] for node in flow.nodes}
    depth: dict[str, int] = {}
    if flow.startNode in names:
        depth[flow.startNode] = 0
        queue = deque([flow.startNode])
        while queue:
            current = queue.popleft()
            for succ in successors[current]:
                if succ not in depth:
                    depth[succ] = depth[current] + 1
                    queue.append(succ)
    last = max(depth.values(), default=-1) + 1
    for node in flow.nodes:
        depth.setdefault(node.name, last)
    return depth


def layout(flow: Flow) -> FlowUi:
    depth = _layers(flow)
    rows: dict[int, int] = {}
    order = sorted(flow.nodes, key=lambda n: depth[n.name])  # stable: source order within a column
    positions: dict[str, UiPosition] = {}
    for node in order:
        column = depth[node.name]
        row = rows.get(column, 0)
        rows[column] = row + 1
        positions[node.id] = UiPosition(x=X0 + column * DX, y=Y0 + row * DY)
    nodes = [UiNode(id=node.id, position=positions[node.id]) for node in flow.nodes]
    ids = {node.name: node.id for node in flow.nodes}
    links = [
        UiLink(source=node.id, sourcePort=f"out{index}", target=ids[t.node], points=[])
        for node in flow.nodes
        for index, t in enumerate(node.next)
        if t.node in ids
    ]
    return FlowUi(nodes=nodes, links=links)


def skill_layout(flow: Flow) -> FlowUi:
    return FlowUi(nodes=[UiNode(id=node.id, position=UiPosition()) for node in flow.nodes])
