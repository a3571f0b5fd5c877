"""Lark tree → IR: one transformer method per grammar rule (or alias), named after it.

:class:`IrBuilder` builds the :class:`~flowbot.compiler.ir.FileIr` of one file. This module holds
the rules of the file, the bot and the NLU declarations; :mod:`transform_flows` those of flows,
nodes, steps and targets; :mod:`transform_values` those of conditions and values; and
:mod:`transform_base` the tree walk that computes positions. Block items (``retries 2``, ``on_failure -> x``...) come up
as :class:`~flowbot.compiler.transform_base.Setting` values that the enclosing rule gathers.
"""

from __future__ import annotations

from typing import Any

from lark import Token

from flowbot.compiler import ir
from flowbot.compiler.messages import diag
from flowbot.compiler.transform_base import Place
from flowbot.compiler.transform_base import Setting
from flowbot.compiler.transform_flows import FlowRules

_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_FUZZY_WORDS = {"strict": 1.0, "medium": 0.8, "loose": 0.65}


class IrBuilder(FlowRules):
    """Builds the :class:`~flowbot.compiler.ir.FileIr` of one file; see the module docstring."""

    # ------------------------------------------------------------ file

    def start(self, meta: Place, children: list[Any]) -> ir.FileIr:
        return ir.FileIr(
            file=self.file,
            bots=[c for c in children if isinstance(c, ir.BotDecl)],
            flows=[c for c in children if isinstance(c, ir.FlowDecl)],
            intents=[c for c in children if isinstance(c, ir.IntentDecl)],
            entities=[c for c in children if isinstance(c, ir.EntityDecl)],
            qnas=[c for c in children if isinstance(c, ir.QnaDecl)],
        )

    # ------------------------------------------------------------ bot

    def bot_decl(self, meta: Place, children: list[Any]) -> ir.BotDecl:
        name, title, *settings = children
        found = self._gather(settings, "the bot")
        return ir.BotDecl(
            id=self._name(name),
            title=title,
            languages=self._value_of(found, "language", []),
            description=self._value_of(found, "description"),
            version=self._value_of(found, "version"),
            timeout=self._value_of(found, "timeout"),
            session_timeout=self._value_of(found, "session_timeout"),
            api_timeout=self._value_of(found, "api timeout"),
            api_allow=self._value_of(found, "api allow", []),
            api_deny=self._value_of(found, "api deny", []),
            api_max_response=self._value_of(found, "api max_response"),
            span=self._span(meta),
        )

    def bot_language(self, meta: Place, children: list[Token]) -> Setting:
        return Setting("language", [self._name(t) for t in children], self._span(meta))

    def bot_description(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("description", children[0], self._span(meta))

    def bot_version(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("version", children[0], self._span(meta))

    def bot_timeout(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("timeout", children[0], self._span(meta))

    def bot_session_timeout(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("session_timeout", children[0], self._span(meta))

    def api_timeout(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("api timeout", children[0], self._span(meta))

    def api_allow(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("api allow", children, self._span(meta))

    def api_deny(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("api deny", children, self._span(meta))

    def api_max_response(self, meta: Place, children: list[Token]) -> Setting:
        return Setting("api max_response", self._count(children[0], "response size limit", 1), self._span(meta))

    def duration(self, meta: Place, children: list[Token]) -> ir.Duration:
        token = children[0]
        text = str(token)
        if token.type == "DURATION":
            unit = "ms" if text.endswith("ms") else text[-1]
            seconds = float(text[: -len(unit)]) * _DURATION_UNITS[unit]
        else:
            seconds = float(text)
        if seconds <= 0:
            self.diagnostics.append(
                diag("E115", self._tok_span(token), what="duration", value=text, expected="a positive duration")
            )
        return ir.Duration(text=text, seconds=seconds, span=self._tok_span(token))

    # ------------------------------------------------------------ intents, entities, QnA

    def intent_decl(self, meta: Place, children: list[Any]) -> ir.IntentDecl:
        name, *items = children
        contexts = [c for item in items if isinstance(item, Setting) for c in item.value]
        return ir.IntentDecl(
            name=self._name(name),
            utterances=[i for i in items if isinstance(i, ir.FreeText)],
            slots=[i for i in items if isinstance(i, ir.SlotDecl)],
            contexts=contexts,
            span=self._span(meta),
        )

    def utterance(self, meta: Place, children: list[Token]) -> ir.FreeText:
        return self._free_text(children[0])

    def _free_text(self, token: Token) -> ir.FreeText:
        text = str(token).rstrip()
        span = self._tok_span(token)
        return ir.FreeText(value=text, span=span.model_copy(update={"end_column": span.column + len(text)}))

    def intent_slot(self, meta: Place, children: list[Token]) -> ir.SlotDecl:
        name, *entities = children
        return ir.SlotDecl(name=self._name(name), entities=[self._name(e) for e in entities], span=self._span(meta))

    def contexts(self, meta: Place, children: list[Token]) -> Setting:
        return Setting("contexts", [self._name(t) for t in children], self._span(meta))

    def list_entity(self, meta: Place, children: list[Any]) -> ir.EntityDecl:
        name, *items = children
        found = self._gather([i for i in items if isinstance(i, Setting)], f"entity `{name}`")
        return ir.EntityDecl(
            name=self._name(name),
            type="list",
            occurrences=[i for i in items if isinstance(i, ir.Occurrence)],
            fuzzy=self._value_of(found, "fuzzy", 0.8),
            sensitive=self._value_of(found, "sensitive", False),
            span=self._span(meta),
        )

    def fuzzy(self, meta: Place, children: list[Token]) -> Setting:
        token = children[0]
        span = self._tok_span(token)
        if token.type == "NAME":
            if str(token) in _FUZZY_WORDS:
                return Setting("fuzzy", _FUZZY_WORDS[str(token)], span)
            value: float = -1.0
        else:
            value = float(self._number(token))
        if not 0.0 < value <= 1.0:
            self.diagnostics.append(
                diag(
                    "E115",
                    span,
                    what="fuzziness",
                    value=str(token),
                    expected="a number in (0, 1], or `strict` (1), `medium` (0.8), `loose` (0.65)",
                )
            )
            value = 0.8
        return Setting("fuzzy", value, span)

    def sensitive(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("sensitive", True, self._span(meta))

    def match_case(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("match_case", True, self._span(meta))

    def occurrence(self, meta: Place, children: list[Token]) -> ir.Occurrence:
        free = self._free_text(children[0])
        value, _, rest = free.value.partition(":")
        synonyms = [s.strip() for s in rest.split(",") if s.strip()]
        return ir.Occurrence(value=value.strip(), synonyms=synonyms, span=free.span)

    def example(self, meta: Place, children: list[ir.Text]) -> Setting:
        return Setting("examples", children, self._span(meta))

    def pattern_entity(self, meta: Place, children: list[Any]) -> ir.EntityDecl:
        name, pattern, *items = children
        settings = [i for i in items if isinstance(i, Setting)]
        found = self._gather([s for s in settings if s.key != "examples"], f"entity `{name}`")
        return ir.EntityDecl(
            name=self._name(name),
            type="pattern",
            pattern=pattern,
            examples=[text for s in settings if s.key == "examples" for text in s.value],
            match_case=self._value_of(found, "match_case", False),
            sensitive=self._value_of(found, "sensitive", False),
            span=self._span(meta),
        )

    def qna_decl(self, meta: Place, children: list[Any]) -> ir.QnaDecl:
        name, *items = children
        settings = [i for i in items if isinstance(i, Setting)]
        found = self._gather([s for s in settings if s.key in ("redirect", "disabled")], f"QnA `{name}`")
        return ir.QnaDecl(
            name=self._name(name),
            questions=[i.value for i in settings if i.key == "question"],
            answers=[i.value for i in settings if i.key == "answer"],
            contexts=[c for s in settings if s.key == "contexts" for c in s.value],
            redirect=self._value_of(found, "redirect"),
            enabled=not self._value_of(found, "disabled", False),
            span=self._span(meta),
        )

    def question(self, meta: Place, children: list[Token]) -> Setting:
        return Setting("question", self._free_text(children[0]), self._span(meta))

    def answer(self, meta: Place, children: list[Token]) -> Setting:
        return Setting("answer", self._free_text(children[0]), self._span(meta))

    def qna_redirect(self, meta: Place, children: list[Any]) -> Setting:
        flow, *rest = children
        node = rest[0] if rest else None
        target = ir.Target(
            kind="flow", flow=flow, node=self._name(node) if node is not None else None, span=self._span(meta)
        )
        return Setting("redirect", target, self._span(meta))

    def qna_disabled(self, meta: Place, children: list[Any]) -> Setting:
        return Setting("disabled", True, self._span(meta))
