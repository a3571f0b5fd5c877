"""Flows and nodes → Botpress v12 flow JSON (contract §2): steps become instruction strings
(``say #!<element>``, ``builtin/setVariable {...}``, ``<action> {...}``, ``basic-skills/call_api
{...}``), steps after ``listen`` go to ``onReceive``, transitions become ``next`` entries with
JavaScript-style conditions, and questions become skill calls (:mod:`flowbot.compiler.skills`).

Flows are built as the JSON they are written as (keys in the order of the fields of
:class:`flowbot.runtime.flow.Flow` and :class:`~flowbot.runtime.flow.FlowNode`), not as those
models: building and dumping ten models per node cost more than the rest of emitting
(tests/compiler check that the runtime reads every emitted flow back).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from flowbot.compiler import ir
from flowbot.compiler.conditions import to_js
from flowbot.compiler.content import ContentStore
from flowbot.compiler.ids import IdRegistry
from flowbot.compiler.skills import SkillFlow
from flowbot.compiler.skills import SlotInfo
from flowbot.compiler.skills import choice_skill
from flowbot.compiler.skills import compact
from flowbot.compiler.skills import slot_skill
from flowbot.compiler.symbols import Symbols
from flowbot.compiler.walk import TRANSITION_KINDS

JsonDict = dict[str, Any]


class EmittedFlows(BaseModel):
    """Every flow of the bot (its JSON), keyed by file name (``main.flow.json``,
    ``skills/choice-1a2b3c.flow.json``)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    flows: dict[str, JsonDict] = Field(default_factory=dict)
    skills: set[str] = Field(default_factory=set)


def target_ref(target: ir.Target) -> str:
    """A target as Botpress writes it: ``node``, ``x.flow.json[#node]``, ``#[node]``, ``##[node]``, ``END``."""
    node = target.node.value if target.node is not None else ""
    if target.kind == "node":
        return node
    if target.kind == "flow":
        assert target.flow is not None
        return f"{target.flow.value}.flow.json" + (f"#{node}" if node else "")
    if target.kind == "return":
        return f"#{node}"
    if target.kind == "return_again":
        return f"##{node}"
    return "END"


def value_json(value: ir.Value) -> Any:
    """A value as JSON: strings (templates included) stay strings."""
    if isinstance(value, ir.StringValue):
        return value.text.value
    if isinstance(value, ir.TemplateValue):
        return value.source
    if isinstance(value, (ir.NumberValue, ir.BoolValue)):
        return value.value
    if isinstance(value, ir.NullValue):
        return None
    if isinstance(value, ir.ListValue):
        return [value_json(v) for v in value.items]
    return {pair.key.value: value_json(pair.value) for pair in value.pairs}


class FlowEmitter:
    """Emits the flows of one bot; owns the id registry and the content store of the build."""

    def __init__(self, symbols: Symbols, ids: IdRegistry, content: ContentStore) -> None:
        self.symbols = symbols
        self.ids = ids
        self.content = content

    def emit(self) -> EmittedFlows:
        out = EmittedFlows()
        for name, decl in self.symbols.flows.items():
            nodes = [self._node(decl, node, out) for node in self.symbols.nodes[name].values()]
            catch_all = {"next": [self._transition(t) for t in decl.catch_all]} if decl.catch_all else {}
            flow: JsonDict = {"version": "0.0.1", "catchAll": catch_all, "startNode": self.symbols.start_node(name)}
            flow["nodes"] = nodes
            if decl.description is not None:
                flow["description"] = decl.description.value
            out.flows[decl.file_name] = flow
        return out

    def _transition(self, transition: ir.Transition) -> JsonDict:
        return {"condition": to_js(transition.condition), "node": target_ref(transition.target)}

    def _node(self, flow: ir.FlowDecl, node: ir.NodeDecl, out: EmittedFlows) -> JsonDict:
        source = {"file": node.name.span.file, "line": node.span.line, "column": node.span.column}
        where = (flow.name.value, node.name.value)
        steps: list[ir.Step] = []
        next_: list[JsonDict] = []
        for item in node.body:  # by kind, not isinstance: see walk.py
            if item.kind in TRANSITION_KINDS:
                next_.append(self._transition(item))  # type: ignore[arg-type]
            else:
                steps.append(item)  # type: ignore[arg-type]
        for step in steps:
            if step.kind in ir.SKILL_KINDS:
                generated = self._skill(step, where, source)  # type: ignore[arg-type]
                out.flows[generated.flow_name] = generated.flow
                out.skills.add(generated.flow_name)
                return generated.node
        on_enter: list[str] = []
        on_receive: list[str] | None = None
        current = on_enter
        for index, step in enumerate(steps):
            kind = step.kind
            if kind == "listen":
                on_receive = current = []
                continue
            if kind == "call":
                instruction, next_ = self._call(step, where)  # type: ignore[arg-type]
                current.append(instruction)
                continue
            current.extend(self._instructions(step, (*where, str(index))))
        return {
            "id": self.ids.node_id(*where), "name": node.name.value, "type": "standard", "onEnter": on_enter,
            "onReceive": on_receive, "next": next_, "source": source,
        }

    def _instructions(self, step: ir.Step, where: tuple[str, ...]) -> list[str]:
        if step.kind in ir.SAY_KINDS:
            return [f"say #!{self.content.for_step(step, where)}"]
        if isinstance(step, (ir.SetStep, ir.UnsetStep)):
            value = value_json(step.value) if isinstance(step, ir.SetStep) else "null"
            args = {
                "type": step.path.scope.value,
                "name": ".".join(str(k.key) for k in step.path.keys),
                "value": value,
            }
            return [f"builtin/setVariable {compact(args)}"]
        if isinstance(step, ir.RunStep):
            args = {arg.name.value: value_json(arg.value) for arg in step.args}
            return [f"{step.action.value} {compact(args)}"]
        assert isinstance(step, ir.ContextStep)
        names = ",".join(n.value for n in step.names)
        if step.op == "add":
            ttl = step.ttl if step.ttl is not None else 1
            return [f"builtin/appendContext {compact({'contexts': names, 'ttl': str(ttl)})}"]
        if step.op == "remove":
            return [f"builtin/removeContext {compact({'contexts': names})}"]
        return ["builtin/resetContext {}"]

    def _call(self, step: ir.CallStep, where: tuple[str, str]) -> tuple[str, list[JsonDict]]:
        rid = self.ids.random_id("call_api", *where)
        headers = {}
        if step.headers is not None:
            for pair in step.headers.pairs:
                value = value_json(pair.value)
                headers[pair.key.value] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        body: str | None = None
        if step.body is not None:
            raw = value_json(step.body)
            body = raw if isinstance(raw, str) or raw is None else json.dumps(raw, ensure_ascii=False)
        memory, variable = ("temp", "response")
        if step.save is not None and step.save.keys:
            memory, variable = step.save.scope.value, str(step.save.keys[0].key)
        args: dict[str, Any] = {
            "randomId": rid,
            "url": step.url.value,
            "method": step.method.value.lower(),
            "body": body,
            "headers": headers,
            "memory": memory,
            "variable": variable,
        }
        if step.timeout is not None:
            args["timeout"] = int(step.timeout) if float(step.timeout).is_integer() else step.timeout
        assert step.on_success is not None and step.on_failure is not None
        next_ = [
            {"condition": f"temp.valid_{rid}", "node": target_ref(step.on_success), "caption": "On success"},
            {"condition": f"!temp.valid_{rid}", "node": target_ref(step.on_failure), "caption": "On failure"},
        ]
        return f"basic-skills/call_api {compact(args)}", next_

    def _skill(self, step: ir.AskStep | ir.FillStep, where: tuple[str, str], source: JsonDict) -> SkillFlow:
        if isinstance(step, ir.AskStep):
            assert step.on_failure is not None
            targets = {o.value: target_ref(o.target) for o in step.options if o.target is not None}
            return choice_skill(step, where, targets, target_ref(step.on_failure), self.ids, self.content, source)
        assert step.on_filled is not None and step.on_not_found is not None
        filled = target_ref(step.on_filled)
        already = target_ref(step.on_already_filled) if step.on_already_filled is not None else filled
        outcomes = (filled, target_ref(step.on_not_found), already)
        return slot_skill(step, where, self._slot_info(step), outcomes, self.ids, self.content, source)

    def _slot_info(self, step: ir.FillStep) -> SlotInfo:
        owners = self.symbols.slots[step.slot.value]
        if step.intent is not None:
            owners = [(i, s) for i, s in owners if i.name.value == step.intent.value]
        intent, slot = owners[0]
        return SlotInfo(intent=intent.name.value, slot=slot.name.value, entities=[e.value for e in slot.entities])
