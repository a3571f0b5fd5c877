"""Flow-graph checks: the shape of each node (step order, one wait, skills alone, call last,
every outcome wired), start nodes, a way out of every node, loops that never wait, and what
nothing leads to (unreachable nodes, flows never entered).

Every pass is linear in the number of nodes and transitions (loops use Tarjan's algorithm).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator

from flowbot.compiler import ir
from flowbot.compiler.diagnostics import Diagnostic
from flowbot.compiler.messages import diag
from flowbot.compiler.symbols import SPECIAL_FLOWS
from flowbot.compiler.symbols import Symbols
from flowbot.compiler.walk import TRANSITION_KINDS
from flowbot.compiler.walk import node_targets
from flowbot.compiler.walk import node_waits

_STEP_WORDS = {
    "say_text": "say", "say_image": "say image", "say_card": "say card", "say_carousel": "say carousel",
    "listen": "listen", "set": "set", "unset": "unset", "run": "run", "context": "context",
    "call": "call", "ask": "ask", "fill": "fill",
}
_OUTCOMES = {
    "call": ("on_success", "on_failure"),
    "ask": ("on_failure",),
    "fill": ("on_filled", "on_not_found"),
}
_OUTCOME_HINTS = {
    "on_success": "say where to go when the request succeeds (status below 400)",
    "on_failure": "say where to go on failure (`on_failure -> end` to end the conversation)",
    "on_filled": "say where to go once the slot is filled",
    "on_not_found": "say where to go when the user never gives a value",
}


def check_graph(program: ir.Program, symbols: Symbols) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    bot_span = program.bot.span if program.bot else None
    if "main" not in symbols.flows:
        out.append(diag("E202", bot_span))
    for flow in symbols.flows.values():
        out.extend(_check_start(flow, symbols))
        for node in symbols.nodes[flow.name.value].values():
            out.extend(_check_node_shape(node))
        out.extend(_check_loops(flow, symbols))
    out.extend(_check_reachability(program, symbols))
    return out


def _check_start(flow: ir.FlowDecl, symbols: Symbols) -> Iterator[Diagnostic]:
    name = flow.name.value
    if not flow.nodes:
        yield diag("E201", flow.name.span, flow=name, label="the flow has no nodes", hint="add `node entry` with its steps")
    elif flow.start is not None and flow.start.value not in symbols.nodes[name]:
        yield diag(
            "E201",
            flow.start.span,
            flow=name,
            label=f"no node `{flow.start.value}` in this flow",
            hint="`start <node>` names one of the flow's nodes (without it, the first node starts the flow)",
        )


def _check_node_shape(node: ir.NodeDecl) -> Iterator[Diagnostic]:
    yield from _check_order(node)
    steps = node.steps
    transitions = node.transitions
    for index, step in enumerate(steps):
        if step.kind in ("ask", "fill") and (len(steps) > 1 or transitions):
            yield diag(
                "E207",
                step.span,
                step=step.kind,
                node=node.name.value,
                hint=f"`{step.kind}` is a question with its own outcomes: move the other steps to a node before it",
            )
        if step.kind == "call":
            if index != len(steps) - 1:
                yield diag(
                    "E208", steps[index + 1].span, message="`call` must be the last step of its node",
                    label="step after `call`", hint="move this step to the nodes that `on_success` and `on_failure` lead to",
                )
            for transition in transitions:
                yield diag(
                    "E208", transition.span, message="a node with `call` leaves through `on_success` and `on_failure`",
                    label="transition in a `call` node", hint="put this transition in the node that `on_success` leads to",
                )
        if isinstance(step, ir.FillStep) and step.ask is None:
            yield diag("E211", step.span)
        for outcome in _OUTCOMES.get(step.kind, ()):
            if getattr(step, outcome) is None:
                yield diag("E210", step.span, step=step.kind, outcome=outcome, hint=_OUTCOME_HINTS[outcome])
    if not transitions and not any(s.kind in _OUTCOMES for s in steps):
        yield diag("E203", node.name.span, node=node.name.value)
    elif transitions and all(t.condition is not None for t in transitions):
        yield diag("W004", transitions[-1].span, node=node.name.value)


def _check_order(node: ir.NodeDecl) -> Iterator[Diagnostic]:
    seen_transition = False
    unconditional = False
    listens = 0
    for item in node.body:
        if item.kind in TRANSITION_KINDS:  # by kind, not isinstance: see walk.py
            assert isinstance(item, ir.Transition)
            if unconditional:
                yield diag("E209", item.span)
            seen_transition = True
            unconditional = unconditional or item.condition is None
            continue
        if seen_transition:
            yield diag("E205", item.span, step=_STEP_WORDS[item.kind])
        if item.kind == "listen":
            listens += 1
            if listens == 2:
                yield diag("E206", item.span, node=node.name.value)


def _local_edges(flow: ir.FlowDecl, node: ir.NodeDecl, symbols: Symbols) -> list[str]:
    """Nodes of the same flow that ``node`` can go to within a turn (catch-all included)."""
    name = flow.name.value
    nodes = symbols.nodes[name]
    edges = []
    for target in node_targets(node):
        if target.kind == "node" and target.node is not None and target.node.value in nodes:
            edges.append(target.node.value)
        elif target.kind == "flow" and target.flow is not None and target.flow.value == name:
            start = target.node.value if target.node is not None else symbols.start_node(name)
            if start in nodes:
                edges.append(start)
    for transition in flow.catch_all:
        # The runtime skips a flow-wide transition that targets the current node.
        target = transition.target
        if target.kind == "node" and target.node is not None and target.node.value != node.name.value \
                and target.node.value in nodes:
            edges.append(target.node.value)
    return edges


def _check_loops(flow: ir.FlowDecl, symbols: Symbols) -> Iterator[Diagnostic]:
    nodes = symbols.nodes[flow.name.value]
    moving = {name for name, node in nodes.items() if not node_waits(node)}
    graph = {name: [t for t in _local_edges(flow, nodes[name], symbols) if t in moving] for name in moving}
    order = {name: index for index, name in enumerate(nodes)}
    for component in _strongly_connected(graph, sorted(moving, key=order.__getitem__)):
        first = min(component, key=order.__getitem__)
        if len(component) == 1 and first not in graph[first]:
            continue
        cycle = _cycle_from(first, graph, set(component))
        yield diag("E204", nodes[first].name.span, cycle=" → ".join(cycle))


def _strongly_connected(graph: dict[str, list[str]], roots: list[str]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (a 10,000-node flow must not hit the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in roots:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = graph[node]
            if child < len(successors):
                work.append((node, child + 1))
                succ = successors[child]
                if succ not in index:
                    work.append((succ, 0))
                elif succ in on_stack:
                    low[node] = min(low[node], index[succ])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _cycle_from(start: str, graph: dict[str, list[str]], members: set[str]) -> list[str]:
    """A shortest cycle through ``start`` inside one strongly connected component."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for succ in graph[node]:
                if succ not in members:
                    continue
                if succ == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if succ not in previous:
                    previous[succ] = node
                    following.append(succ)
        frontier = following
    return [start, start]


def _check_reachability(program: ir.Program, symbols: Symbols) -> Iterator[Diagnostic]:
    callers = symbols.callers
    seen: set[tuple[str, str]] = set()
    work: list[tuple[str, str]] = []

    def visit(flow: str, node: str | None) -> None:
        if node is not None and node in symbols.nodes.get(flow, {}) and (flow, node) not in seen:
            seen.add((flow, node))
            work.append((flow, node))

    for special in SPECIAL_FLOWS:
        visit(special, symbols.start_node(special))
    for qna in symbols.qnas.values():
        if qna.redirect is not None and qna.redirect.flow is not None:
            flow = qna.redirect.flow.value
            visit(flow, qna.redirect.node.value if qna.redirect.node else symbols.start_node(flow))
    entered: set[str] = set()
    while work:
        flow, node = work.pop()
        if flow not in entered:
            entered.add(flow)
            for transition in symbols.flows[flow].catch_all:
                _follow(transition.target, flow, callers, symbols, visit)
        for target in node_targets(symbols.nodes[flow][node]):
            _follow(target, flow, callers, symbols, visit)
    for name, flow in symbols.flows.items():
        if name not in entered:
            if name not in SPECIAL_FLOWS:
                yield diag("W003", flow.name.span, name=name)
            continue
        for node_name, node in symbols.nodes[name].items():
            if (name, node_name) not in seen:
                yield diag("W001", node.name.span, node=node_name)


Visit = Callable[[str, str | None], None]


def _follow(target: ir.Target, flow: str, callers: dict[str, set[str]], symbols: Symbols, visit: Visit) -> None:
    """Visit the node(s) a target leads to (a return leads to the named node of every caller)."""
    if target.kind == "node" and target.node is not None:
        visit(flow, target.node.value)
    elif target.kind == "flow" and target.flow is not None:
        other = target.flow.value
        visit(other, target.node.value if target.node is not None else symbols.start_node(other))
    elif target.kind in ("return", "return_again") and target.node is not None:
        for caller in callers.get(flow, ()):
            visit(caller, target.node.value)
