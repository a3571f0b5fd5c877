"""Name checks: every target, intent, slot, entity, action, memory scope and context a bot
refers to exists (with a did-you-mean when a close name does); reserved names are refused."""

from __future__ import annotations

import re
from collections.abc import Iterator

from flowbot.compiler import ir
from flowbot.compiler.diagnostics import Diagnostic
from flowbot.compiler.diagnostics import Span
from flowbot.compiler.messages import backticks
from flowbot.compiler.messages import diag
from flowbot.compiler.messages import did_you_mean
from flowbot.compiler.symbols import SYSTEM_ENTITIES
from flowbot.compiler.symbols import Symbols
from flowbot.compiler.walk import condition_parts
from flowbot.compiler.walk import TRANSITION_KINDS
from flowbot.compiler.walk import node_targets

READ_SCOPES = ("bot", "user", "session", "temp", "event")
WRITE_SCOPES = ("bot", "user", "session", "temp")
RESERVED_NODE_NAMES = ("end", "return", "flow", "END")
_ANNOTATION = re.compile(r"\[([^\]\n]*)\]\(([^)\n]*)\)")


def check_names(program: ir.Program, symbols: Symbols) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    callers = symbols.callers
    for flow in symbols.flows.values():
        out.extend(_check_flow_name(flow))
        for transition in flow.catch_all:
            out.extend(_check_target(transition.target, flow.name.value, symbols, callers))
            out.extend(_check_condition(transition.condition, symbols))
        for node in symbols.nodes[flow.name.value].values():
            out.extend(_check_node(node, flow.name.value, symbols, callers))
    for intent in symbols.intents.values():
        out.extend(_check_intent(intent, symbols))
    for qna in symbols.qnas.values():
        if qna.redirect is not None:
            out.extend(_check_target(qna.redirect, "", symbols, callers))
        if not qna.questions:
            out.append(diag("E212", qna.name.span, name=qna.name.value, problem="no question (`q: ...`)"))
        elif not qna.answers and qna.redirect is None:
            out.append(diag("E212", qna.name.span, name=qna.name.value, problem="no answer (`a: ...`) and no redirect"))
    return out


def _check_flow_name(flow: ir.FlowDecl) -> Iterator[Diagnostic]:
    if flow.name.value.split("/")[0] == "skills":
        yield diag("E118", flow.name.span, name="skills", kind="flow folder", reserved="`skills/` (generated skill flows)")


def _check_node(node: ir.NodeDecl, flow: str, symbols: Symbols, callers: dict[str, set[str]]) -> Iterator[Diagnostic]:
    if node.name.value in RESERVED_NODE_NAMES:
        yield diag("E118", node.name.span, name=node.name.value, kind="node", reserved=backticks(RESERVED_NODE_NAMES))
    for target in node_targets(node):
        yield from _check_target(target, flow, symbols, callers)
    for item in node.body:
        if item.kind in TRANSITION_KINDS:
            yield from _check_condition(item.condition, symbols)  # type: ignore[union-attr]
        else:
            yield from _check_step(item, symbols)  # type: ignore[arg-type]


def _unknown_node(name: ir.Name, flow: str, symbols: Symbols) -> Diagnostic:
    return diag("E101", name.span, name=name.value, flow=flow, hint=did_you_mean(name.value, symbols.nodes.get(flow, {})))


def _check_target(target: ir.Target, flow: str, symbols: Symbols, callers: dict[str, set[str]]) -> Iterator[Diagnostic]:
    if target.kind == "node" and target.node is not None:
        if target.node.value not in symbols.nodes.get(flow, {}):
            yield _unknown_node(target.node, flow, symbols)
    elif target.kind == "flow" and target.flow is not None:
        name = target.flow.value
        if name not in symbols.flows:
            yield diag("E102", target.flow.span, name=name, hint=did_you_mean(name, symbols.flows))
        elif target.node is not None and target.node.value not in symbols.nodes[name]:
            yield _unknown_node(target.node, name, symbols)
    elif target.kind in ("return", "return_again") and target.node is not None:
        calling = sorted(callers.get(flow, ()))
        if calling and not any(target.node.value in symbols.nodes.get(c, {}) for c in calling):
            candidates = [n for c in calling for n in symbols.nodes.get(c, {})]
            yield diag(
                "E101",
                target.node.span,
                name=target.node.value,
                flow=" or ".join(calling),
                hint=did_you_mean(target.node.value, candidates),
            )


def _check_path(path: ir.Path, symbols: Symbols, scopes: tuple[str, ...] = READ_SCOPES) -> Iterator[Diagnostic]:
    scope = path.scope.value
    if scope == "event" and "event" not in scopes:
        yield diag("E119", path.scope.span)
    elif scope not in scopes:
        yield diag("E104", path.scope.span, name=scope, scopes=backticks(scopes), hint=did_you_mean(scope, scopes))
    elif scope == "session" and len(path.keys) >= 2 and path.keys[0].key == "slots":
        slot = path.keys[1]
        if isinstance(slot.key, str) and slot.key not in symbols.slots:
            yield diag("E107", slot.span, name=slot.key, hint=did_you_mean(slot.key, symbols.slots))


def _check_condition(cond: ir.Condition | None, symbols: Symbols) -> Iterator[Diagnostic]:
    if cond is None:
        return
    for part in condition_parts(cond):
        if isinstance(part, ir.IntentCond):
            name = part.name.value
            if name != "none" and name not in symbols.intents:
                yield diag("E105", part.name.span, name=name, hint=did_you_mean(name, [*symbols.intents, "none"]))
        elif isinstance(part, ir.SlotCond):
            if part.name.value not in symbols.slots:
                yield diag("E107", part.name.span, name=part.name.value, hint=did_you_mean(part.name.value, symbols.slots))
        else:
            yield from _check_path(part, symbols)


def _check_write_path(path: ir.Path, symbols: Symbols) -> Iterator[Diagnostic]:
    yield from _check_path(path, symbols, WRITE_SCOPES)
    if not path.keys:
        yield diag(
            "E115",
            path.span,
            what="memory path",
            value=path.scope.value,
            expected="a variable after the scope, e.g. `temp.answer`",
        )


def _check_action(name: ir.Name, symbols: Symbols) -> Iterator[Diagnostic]:
    if not symbols.action_exists(name.value):
        known = [*symbols.actions, "builtin/setVariable", "builtin/appendContext", "builtin/removeContext"]
        yield diag("E108", name.span, name=name.value, hint=did_you_mean(name.value, known))


def _check_step(step: ir.Step, symbols: Symbols) -> Iterator[Diagnostic]:
    kind = step.kind  # by kind, not isinstance: see walk.py
    if kind in ("set", "unset"):
        assert isinstance(step, (ir.SetStep, ir.UnsetStep))
        yield from _check_write_path(step.path, symbols)
    elif kind == "run":
        assert isinstance(step, ir.RunStep)
        yield from _check_action(step.action, symbols)
    elif kind == "call" and step.save is not None:  # type: ignore[union-attr]
        assert isinstance(step, ir.CallStep) and step.save is not None
        yield from _check_path(step.save, symbols, WRITE_SCOPES)
        if len(step.save.keys) != 1 or not isinstance(step.save.keys[0].key, str):
            yield diag("E120", step.save.span)
    elif kind == "ask":
        assert isinstance(step, ir.AskStep)
        yield from _duplicate_options(step.options)
        if step.save is not None:
            yield from _check_write_path(step.save, symbols)
    elif kind == "fill":
        assert isinstance(step, ir.FillStep)
        yield from _check_fill(step, symbols)
    elif kind == "context":
        assert isinstance(step, ir.ContextStep)
        for name in step.names:
            if name.value not in symbols.contexts and name.value != "global":
                yield diag("W006", name.span, name=name.value)


def _duplicate_options(options: list[ir.Option]) -> Iterator[Diagnostic]:
    seen: dict[str, Span] = {}
    for option in options:
        if option.value in seen:
            yield diag("E103", option.value_span, kind="option", name=option.value, where=" in this `ask`")
        seen.setdefault(option.value, option.value_span)


def _check_fill(step: ir.FillStep, symbols: Symbols) -> Iterator[Diagnostic]:
    if step.validate_action is not None:
        yield from _check_action(step.validate_action, symbols)
    slot = step.slot.value
    if step.intent is not None:
        intent = symbols.intents.get(step.intent.value)
        if intent is None:
            yield diag("E105", step.intent.span, name=step.intent.value, hint=did_you_mean(step.intent.value, symbols.intents))
        elif slot not in {s.name.value for s in intent.slots}:
            yield diag(
                "E107",
                step.slot.span,
                name=slot,
                hint=did_you_mean(slot, [s.name.value for s in intent.slots]),
                label=f"intent `{intent.name.value}` declares no slot `{slot}`",
            )
        return
    owners = symbols.slots.get(slot, [])
    if not owners:
        yield diag("E107", step.slot.span, name=slot, hint=did_you_mean(slot, symbols.slots))
    elif len(owners) > 1:
        yield diag("E114", step.slot.span, name=slot, intents=backticks((i.name.value for i, _ in owners), "and"))


def _check_intent(intent: ir.IntentDecl, symbols: Symbols) -> Iterator[Diagnostic]:
    if intent.name.value == "none":
        yield diag("E118", intent.name.span, name="none", kind="intent", reserved="`none` (the intent of no match)")
    for slot in intent.slots:
        for entity in slot.entities:
            if entity.value not in symbols.entities and entity.value not in SYSTEM_ENTITIES:
                yield diag(
                    "E106",
                    entity.span,
                    name=entity.value,
                    system=", ".join(SYSTEM_ENTITIES[:5]) + "...",
                    hint=did_you_mean(entity.value, symbols.entities, SYSTEM_ENTITIES),
                )
    declared = {s.name.value for s in intent.slots}
    for utterance in intent.utterances:
        for match in _ANNOTATION.finditer(utterance.value):
            if match.group(2) not in declared:
                column = utterance.span.column + match.start(2)
                span = Span(
                    file=utterance.span.file, line=utterance.span.line, column=column,
                    end_line=utterance.span.line, end_column=column + len(match.group(2)),
                )
                hint = did_you_mean(match.group(2), declared) or f"declare it: `slot {match.group(2)}: <entity>`"
                label = f"intent `{intent.name.value}` declares no slot `{match.group(2)}`"
                yield diag("E107", span, name=match.group(2), hint=hint, label=label)
    count = len(intent.utterances)
    if count < 3:
        yield diag("W002", intent.name.span, name=intent.name.value, count=count, plural="" if count == 1 else "s")
