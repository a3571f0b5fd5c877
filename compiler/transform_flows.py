"""Transformer rules of flows, nodes, steps and targets (see transform.py)."""

from __future__ import annotations

from typing import Any

from lark import Token

from flowbot.compiler import ir
from flowbot.compiler.transform_base import Place
from flowbot.compiler.transform_base import Setting
from flowbot.compiler.transform_values import ValueRules


# The commonest rules make their models by the validators directly, without the Python frame of
# ``BaseModel.__init__`` (the same models: ``__init__`` calls these validators).
_new_node = ir.NodeDecl.__pydantic_validator__.validate_python
_new_transition = ir.Transition.__pydantic_validator__.validate_python
_new_target = ir.Target.__pydantic_validator__.validate_python


def _flags(items: list[Any]) -> set[str]:
    return {item for item in items if isinstance(item, str)}


class FlowRules(ValueRules):
    # ------------------------------------------------------------ flows and nodes

    def flow_decl(self, meta: Place, children: list[Any]) -> ir.FlowDecl:
        name, *items = children
        found = self._gather([i for i in items if isinstance(i, Setting)], f"flow `{name.value}`")
        return ir.FlowDecl(
            name=name,
            start=self._value_of(found, "start"),
            description=self._value_of(found, "description"),
            catch_all=[i for i in items if isinstance(i, ir.Transition)],
            nodes=[i for i in items if isinstance(i, ir.NodeDecl)],
            span=self._span(meta),
        )

    def flow_name(self, meta: Place, children: list[Token]) -> ir.Name:
        return ir.Name(value="/".join(str(t) for t in children), span=self._span(meta))

    def flow_start(self, meta: Place, children: list[Token]) -> Setting:
        return Setting("start", self._name(children[0]), self._span(meta))

    def flow_description(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("description", children[0], self._span(meta))

    def node_decl(self, meta: Place, children: list[Any]) -> ir.NodeDecl:
        name, *body = children
        return _new_node({"name": self._name(name), "body": body, "span": self._span(meta)})

    # ------------------------------------------------------------ transitions and targets

    def when(self, meta: Place, children: list[Any]) -> ir.Transition:
        return _new_transition(
            {"kind": "when", "condition": children[0], "target": children[1], "span": self._span(meta)}
        )

    def else_(self, meta: Place, children: list[Any]) -> ir.Transition:
        return _new_transition({"kind": "else", "target": children[0], "span": self._span(meta)})

    def goto(self, meta: Place, children: list[Any]) -> ir.Transition:
        return _new_transition({"kind": "goto", "target": children[0], "span": self._span(meta)})

    def node_target(self, meta: Place, children: list[Token]) -> ir.Target:
        name = self._name(children[0])
        return _new_target({"kind": "node", "node": name, "span": name.span})  # the rule is the name: one span

    def flow_target(self, meta: Place, children: list[Any]) -> ir.Target:
        flow, *rest = children
        node = rest[0] if rest else None
        return ir.Target(
            kind="flow", flow=flow, node=self._name(node) if node is not None else None, span=self._span(meta)
        )

    def return_target(self, meta: Place, children: list[Any]) -> ir.Target:
        node = children[0] if children else None
        return ir.Target(kind="return", node=self._name(node) if node is not None else None, span=self._span(meta))

    def return_again_target(self, meta: Place, children: list[Any]) -> ir.Target:
        node = children[0] if children else None
        return ir.Target(
            kind="return_again", node=self._name(node) if node is not None else None, span=self._span(meta)
        )

    def end_target(self, meta: Place, children: list[Any]) -> ir.Target:
        return ir.Target(kind="end", span=self._span(meta))

    # ------------------------------------------------------------ say

    def texts(self, meta: Place, children: list[ir.Text]) -> list[ir.Text]:
        return children

    def string(self, meta: Place, children: list[Token]) -> ir.Text:
        return self._text(children[0])

    def markdown(self, meta: Place, children: list[Any]) -> str:
        return "markdown"

    def typing(self, meta: Place, children: list[Any]) -> str:
        return "typing"

    def _message(self, meta: Place, texts: list[ir.Text], items: list[Any]) -> ir.Message:
        flags = _flags(items)
        return ir.Message(texts=texts, markdown="markdown" in flags, typing="typing" in flags, span=self._span(meta))

    def say_text(self, meta: Place, children: list[Any]) -> ir.SayText:
        texts, *items = children
        options = [i for i in items if isinstance(i, ir.Option)]
        message = self._message(meta, texts, items)
        return ir.SayText(message=message, options=options, span=message.span)  # same place: one span

    def option_value(self, meta: Place, children: list[Any]) -> ir.Name:
        child = children[0]
        if isinstance(child, ir.Text):
            return ir.Name(value=child.value, span=child.span)
        return self._name(child)

    def say_option(self, meta: Place, children: list[Any]) -> ir.Option:
        value, title = children
        return ir.Option(value=value.value, value_span=value.span, title=title, span=self._span(meta))

    def say_image(self, meta: Place, children: list[Any]) -> ir.SayImage:
        url, *items = children
        found = self._gather([i for i in items if isinstance(i, Setting)], "the image")
        return ir.SayImage(
            url=url, title=self._value_of(found, "title"), typing="typing" in _flags(items), span=self._span(meta)
        )

    def image_title(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("title", children[0], self._span(meta))

    def say_card(self, meta: Place, children: list[Any]) -> ir.SayCard:
        return ir.SayCard(card=children[0], span=self._span(meta))

    def card(self, meta: Place, children: list[Any]) -> ir.Card:
        return children[0]

    def card_body(self, meta: Place, children: list[Any]) -> ir.Card:
        title, *items = children
        found = self._gather([i for i in items if isinstance(i, Setting)], "the card")
        return ir.Card(
            title=title,
            subtitle=self._value_of(found, "subtitle"),
            image=self._value_of(found, "image"),
            buttons=[i for i in items if isinstance(i, ir.Button)],
            typing="typing" in _flags(items),
            span=self._span(meta),
        )

    def card_subtitle(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("subtitle", children[0], self._span(meta))

    def card_image(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("image", children[0], self._span(meta))

    def button_say(self, meta: Place, children: list[Any]) -> ir.Button:
        return ir.Button(action="say", title=children[0], value=children[1], span=self._span(meta))

    def button_url(self, meta: Place, children: list[Any]) -> ir.Button:
        return ir.Button(action="url", title=children[0], value=children[1], span=self._span(meta))

    def button_postback(self, meta: Place, children: list[Any]) -> ir.Button:
        return ir.Button(action="postback", title=children[0], value=children[1], span=self._span(meta))

    def say_carousel(self, meta: Place, children: list[Any]) -> ir.SayCarousel:
        cards = [c for c in children if isinstance(c, ir.Card)]
        return ir.SayCarousel(cards=cards, typing="typing" in _flags(children), span=self._span(meta))

    # ------------------------------------------------------------ listen, memory, actions, contexts

    def listen(self, meta: Place, children: list[Any]) -> ir.Listen:
        return ir.Listen(span=self._span(meta))

    def set(self, meta: Place, children: list[Any]) -> ir.SetStep:
        return ir.SetStep(path=children[0], value=self._as_value(children[1]), span=self._span(meta))

    def unset(self, meta: Place, children: list[Any]) -> ir.UnsetStep:
        return ir.UnsetStep(path=children[0], span=self._span(meta))

    def run(self, meta: Place, children: list[Any]) -> ir.RunStep:
        action, *args = children
        return ir.RunStep(action=action, args=[a for a in args if isinstance(a, ir.Arg)], span=self._span(meta))

    def action_name(self, meta: Place, children: list[Token]) -> ir.Name:
        return ir.Name(value="/".join(str(t) for t in children), span=self._span(meta))

    def arg(self, meta: Place, children: list[Any]) -> ir.Arg:
        return ir.Arg(name=self._name(children[0]), value=self._as_value(children[1]))

    def context_add(self, meta: Place, children: list[Any]) -> ir.ContextStep:
        names = [self._name(t) for t in children if isinstance(t, Token)]
        ttl = next((c for c in children if isinstance(c, int)), None)
        return ir.ContextStep(op="add", names=names, ttl=ttl, span=self._span(meta))

    def context_ttl(self, meta: Place, children: list[Token]) -> int:
        return self._count(children[0], "number of turns")

    def context_remove(self, meta: Place, children: list[Token]) -> ir.ContextStep:
        return ir.ContextStep(op="remove", names=[self._name(t) for t in children], span=self._span(meta))

    def context_reset(self, meta: Place, children: list[Any]) -> ir.ContextStep:
        return ir.ContextStep(op="reset", span=self._span(meta))

    # ------------------------------------------------------------ call, ask, fill

    def call(self, meta: Place, children: list[Any]) -> ir.CallStep:
        method, url, *items = children
        found = self._gather(items, "`call`")
        timeout = self._value_of(found, "timeout")
        return ir.CallStep(
            method=self._name(method),
            url=url,
            headers=self._value_of(found, "headers"),
            body=self._value_of(found, "body"),
            timeout=timeout.seconds if timeout is not None else None,
            save=self._value_of(found, "save"),
            on_success=self._value_of(found, "on_success"),
            on_failure=self._value_of(found, "on_failure"),
            span=self._span(meta),
        )

    def call_headers(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("headers", children[0], self._span(meta))

    def call_body(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("body", self._as_value(children[0]), self._span(meta))

    def call_timeout(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("timeout", children[0], self._span(meta))

    def call_save(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("save", children[0], self._span(meta))

    def on_success(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("on_success", children[0], self._span(meta))

    def on_failure(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("on_failure", children[0], self._span(meta))

    def on_filled(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("on_filled", children[0], self._span(meta))

    def on_already_filled(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("on_already_filled", children[0], self._span(meta))

    def on_not_found(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("on_not_found", children[0], self._span(meta))

    def retries(self, meta: Place, children: list[Token]) -> Setting:
        return Setting("retries", self._count(children[0], "number of retries", 0, 10), self._span(meta))

    def ask(self, meta: Place, children: list[Any]) -> ir.AskStep:
        texts, *items = children
        found = self._gather(items, "`ask`")
        return ir.AskStep(
            message=self._message(meta, texts, items),
            options=[i for i in items if isinstance(i, ir.Option)],
            retries=self._value_of(found, "retries"),
            invalid=self._value_of(found, "invalid"),
            repeat=self._value_of(found, "repeat", False),
            save=self._value_of(found, "save"),
            on_failure=self._value_of(found, "on_failure"),
            span=self._span(meta),
        )

    def ask_option(self, meta: Place, children: list[Any]) -> ir.Option:
        value, title, *rest = children
        return ir.Option(
            value=value.value,
            value_span=value.span,
            title=title,
            synonyms=[r for r in rest if isinstance(r, ir.Text)],
            target=rest[-1],
            span=self._span(meta),
        )

    def ask_invalid(self, meta: Place, children: list[Any]) -> Setting:
        texts, *flags = children
        return Setting("invalid", self._message(meta, texts, flags), self._span(meta))

    def ask_repeat(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("repeat", True, self._span(meta))

    def ask_save(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("save", children[0], self._span(meta))

    def fill(self, meta: Place, children: list[Any]) -> ir.FillStep:
        names = [c for c in children if isinstance(c, Token)]
        items = [c for c in children if not isinstance(c, Token)]
        intent = self._name(names[0]) if len(names) == 2 else None
        slot = self._name(names[-1])
        found = self._gather(items, "`fill`")
        return ir.FillStep(
            intent=intent,
            slot=slot,
            ask=self._value_of(found, "ask"),
            retry=self._value_of(found, "retry"),
            retries=self._value_of(found, "retries"),
            expire_after=self._value_of(found, "expire_after"),
            validate_action=self._value_of(found, "validate"),
            on_filled=self._value_of(found, "on_filled"),
            on_already_filled=self._value_of(found, "on_already_filled"),
            on_not_found=self._value_of(found, "on_not_found"),
            span=self._span(meta),
        )

    def fill_ask(self, meta: Place, children: list[Any]) -> Setting:
        texts, *flags = children
        return Setting("ask", self._message(meta, texts, flags), self._span(meta))

    def fill_retry(self, meta: Place, children: list[Any]) -> Setting:
        texts, *flags = children
        return Setting("retry", self._message(meta, texts, flags), self._span(meta))

    def fill_expiry(self, meta: Place, children: list[Token]) -> Setting:
        return Setting("expire_after", self._count(children[0], "number of turns", 1), self._span(meta))

    def fill_validate(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("validate", children[0], self._span(meta))
