"""Walking the IR: the targets a node can go to, the parts of a condition, the templated strings
of a step. The checks and the emitters share these, so that they agree on what a node holds."""

from __future__ import annotations

from collections.abc import Iterator

from flowbot.compiler import ir


# Dispatch on ``kind`` (every step and transition has one) rather than isinstance: pydantic's
# models are ABCs, whose isinstance is slow when it fails, and these walks run for every node.
TRANSITION_KINDS = frozenset({"when", "else", "goto"})
_OUTCOME_KINDS = frozenset({"call", "ask", "fill"})
_WAIT_KINDS = frozenset({"listen", "ask", "fill"})


def step_targets(step: ir.Step) -> Iterator[ir.Target]:
    """The outcome targets of a step (call, ask, fill); other steps have none."""
    kind = step.kind
    if kind == "call":
        assert isinstance(step, ir.CallStep)
        yield from (t for t in (step.on_success, step.on_failure) if t is not None)
    elif kind == "ask":
        assert isinstance(step, ir.AskStep)
        yield from (o.target for o in step.options if o.target is not None)
        if step.on_failure is not None:
            yield step.on_failure
    elif kind == "fill":
        assert isinstance(step, ir.FillStep)
        yield from (t for t in (step.on_filled, step.on_already_filled, step.on_not_found) if t is not None)


def node_targets(node: ir.NodeDecl) -> list[ir.Target]:
    """Every target of a node: its transitions' and its steps' outcomes, in source order."""
    targets = []
    for item in node.body:
        kind = item.kind
        if kind in TRANSITION_KINDS:
            targets.append(item.target)  # type: ignore[union-attr]
        elif kind in _OUTCOME_KINDS:
            targets.extend(step_targets(item))  # type: ignore[arg-type]
    return targets


def callers_of(program: ir.Program) -> dict[str, set[str]]:
    """Flow name -> the flows that enter it (``-> flow <name>``); kept in the symbols."""
    callers: dict[str, set[str]] = {}
    for flow in program.flows:
        targets = [t for node in flow.nodes for t in node_targets(node)] + [t.target for t in flow.catch_all]
        for target in targets:
            if target.kind == "flow" and target.flow is not None:
                callers.setdefault(target.flow.value, set()).add(flow.name.value)
    return callers


def node_waits(node: ir.NodeDecl) -> bool:
    """Does the node wait for the user (``listen``, or a question skill)?"""
    return any(item.kind in _WAIT_KINDS for item in node.body)


def operand_paths(operand: ir.Operand) -> Iterator[ir.Path]:
    if isinstance(operand, ir.PathOperand):
        yield operand.path
    elif isinstance(operand, ir.NumberCall):
        yield from operand_paths(operand.operand)


def condition_parts(cond: ir.Condition) -> Iterator[ir.IntentCond | ir.SlotCond | ir.Path]:
    """The intents, slots and memory paths a condition reads."""
    if isinstance(cond, (ir.IntentCond, ir.SlotCond)):
        yield cond
    elif isinstance(cond, (ir.Compare, ir.Contains)):
        yield from operand_paths(cond.left)
        yield from operand_paths(cond.right)
    elif isinstance(cond, (ir.IsSet, ir.Truthy)):
        yield from operand_paths(cond.operand)
    elif isinstance(cond, ir.Not):
        yield from condition_parts(cond.operand)
    elif isinstance(cond, (ir.And, ir.Or)):
        for item in cond.items:
            yield from condition_parts(item)


def value_templates(value: ir.Value) -> Iterator[ir.Text | ir.TemplateValue]:
    """The strings of a value (each one a template)."""
    if isinstance(value, ir.StringValue):
        yield value.text
    elif isinstance(value, ir.TemplateValue):
        yield value
    elif isinstance(value, ir.ListValue):
        for item in value.items:
            yield from value_templates(item)
    elif isinstance(value, ir.ObjectValue):
        for pair in value.pairs:
            yield from value_templates(pair.value)


def _top_level(value: ir.Value) -> Iterator[ir.Text | ir.TemplateValue]:
    """Only a top-level string of a `set` value or an action argument is rendered; strings inside
    lists and objects are stored as written (contract §2)."""
    if isinstance(value, ir.StringValue):
        yield value.text
    elif isinstance(value, ir.TemplateValue):
        yield value


def _message_texts(message: ir.Message | None) -> Iterator[ir.Text]:
    if message is not None:
        yield from message.texts


def _card_texts(card: ir.Card) -> Iterator[ir.Text]:
    yield card.title
    yield from (t for t in (card.subtitle, card.image) if t is not None)
    for button in card.buttons:
        yield button.title
        yield button.value


def step_templates(step: ir.Step) -> Iterator[ir.Text | ir.TemplateValue]:
    """Every string of a step that the runtime renders as a template."""
    kind = step.kind
    if kind == "say_text":
        assert isinstance(step, ir.SayText)
        yield from _message_texts(step.message)
        yield from (o.title for o in step.options)
    elif kind == "say_image":
        assert isinstance(step, ir.SayImage)
        yield step.url
        if step.title is not None:
            yield step.title
    elif kind == "say_card":
        assert isinstance(step, ir.SayCard)
        yield from _card_texts(step.card)
    elif kind == "say_carousel":
        assert isinstance(step, ir.SayCarousel)
        for card in step.cards:
            yield from _card_texts(card)
    elif kind == "set":
        assert isinstance(step, ir.SetStep)
        yield from _top_level(step.value)
    elif kind == "run":
        assert isinstance(step, ir.RunStep)
        for arg in step.args:
            yield from _top_level(arg.value)
    elif kind == "call":
        assert isinstance(step, ir.CallStep)
        yield step.url
        for value in (step.headers, step.body):
            if value is not None:
                yield from value_templates(value)
    elif kind == "ask":
        assert isinstance(step, ir.AskStep)
        yield from _message_texts(step.message)
        yield from (o.title for o in step.options)
        yield from _message_texts(step.invalid)
    elif kind == "fill":
        assert isinstance(step, ir.FillStep)
        yield from _message_texts(step.ask)
        yield from _message_texts(step.retry)
