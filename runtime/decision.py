"""The decision engine (§8): QnA suggestions from the NLU intents, ranked, elected or dropped.

Every ``__qna__<id>`` intent of ``event.nlu.intents`` with an enabled QnA entry becomes a
suggestion (its answer rendered as ``#builtin_text``, plus a ``redirect`` payload for redirect
entries). The best suggestion at or above the threshold is elected, unless the user is in the
middle of a flow. An elected answer is sent instead of running the flows; an elected redirect
jumps to its flow/node and the dialog engine runs from there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from flowbot.runtime.bot import BotDefinition
from flowbot.runtime.flow import QnaEntry
from flowbot.runtime.turn import Turn

logger = logging.getLogger("flowbot.runtime")

QNA_PREFIX = "__qna__"
TEXT_RENDERER = "#builtin_text"

ElementRenderer = Callable[[str, dict[str, Any], Turn], list[dict[str, Any]]]


def default_decision() -> dict[str, Any]:
    """The Converse ``decision`` when no suggestion was elected and the flows run."""
    return {
        "decision": {"reason": "no suggestion matched", "status": "elected"},
        "confidence": 1,
        "payloads": [],
        "source": "decisionEngine",
        "sourceDetails": "execute default flow",
    }


def _js_number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass
class Election:
    """The outcome for one turn: the elected suggestion (if any), and what to do with it."""

    elected: dict[str, Any] | None = None
    payloads: list[dict[str, Any]] = field(default_factory=list)
    redirect: dict[str, Any] | None = None


class DecisionEngine:
    def __init__(
        self, bot: BotDefinition, render_element: ElementRenderer, min_confidence: float = 0.5
    ) -> None:
        self.bot = bot
        self.render_element = render_element
        self.min_confidence = min_confidence
        self._threshold_text = _js_number_text(min_confidence)  # in the reason of dropped suggestions
        self._qna: dict[str, QnaEntry] = {entry.intent_name: entry for entry in bot.qna}

    def suggest(self, turn: Turn) -> list[dict[str, Any]]:
        """QnA suggestions for the NLU intents of the turn (Botpress's ``qna.incoming``)."""
        suggestions: list[dict[str, Any]] = []
        for intent in turn.event.nlu.get("intents") or []:
            if not isinstance(intent, dict):
                continue
            entry = self._qna.get(intent.get("name") or "")
            if entry is None or not entry.data.enabled:
                continue
            payloads = self._answer(entry, turn) if "text" in entry.data.action else []
            if "redirect" in entry.data.action:
                payloads.append(
                    {"type": "redirect", "flow": entry.data.redirectFlow, "node": entry.data.redirectNode}
                )
            confidence = intent.get("confidence", 0)
            suggestions.append(
                {
                    "confidence": confidence,
                    "payloads": payloads,
                    "source": "qna",
                    "sourceDetails": entry.intent_name,
                }
            )
        return suggestions

    def _answer(self, entry: QnaEntry, turn: Turn) -> list[dict[str, Any]]:
        default = self.bot.config.defaultLanguage
        answers = entry.data.answers.get(turn.language) or entry.data.answers.get(default) or []
        if not answers:
            logger.warning(
                "bot %s: QnA %s has no answer in %s or %s", turn.bot_id, entry.id, turn.language, default
            )
            return []
        answer = answers[turn.rng.randrange(len(answers))]
        args: dict[str, Any] = {"collectFeedback": True}
        renderer = TEXT_RENDERER
        if isinstance(answer, str) and answer.startswith("#!"):
            renderer = answer
        else:
            args.update(text=answer, typing=True, markdown=True)
        return self.render_element(renderer, args, turn)

    def elect(self, suggestions: list[dict[str, Any]], *, mid_flow: bool) -> Election:
        """Rank the suggestions (each gets its ``decision``) and return the elected one, if any."""
        best: dict[str, Any] | None = None
        threshold = self._threshold_text
        for suggestion in sorted(suggestions, key=lambda s: -_confidence(s)):
            if _confidence(suggestion) < self.min_confidence:
                suggestion["decision"] = {"status": "dropped", "reason": f"confidence lower than {threshold}"}
            elif best is not None:
                suggestion["decision"] = {"status": "dropped", "reason": "best suggestion already elected"}
            else:
                best = suggestion
                suggestion["decision"] = {
                    "status": "elected",
                    "reason": "best remaining suggestion available",
                }
        if best is not None and mid_flow:
            best["decision"] = {
                "status": "dropped",
                "reason": "would have been elected, but already in the middle of a flow",
            }
            best = None
        if best is None:
            return Election()
        payloads = [p for p in best["payloads"] if p.get("type") != "redirect"]
        redirect = next((p for p in best["payloads"] if p.get("type") == "redirect"), None)
        if redirect is not None and not (redirect.get("flow") and redirect.get("node")):
            redirect = None
        return Election(elected=best, payloads=payloads, redirect=redirect)


def _confidence(suggestion: dict[str, Any]) -> float:
    value = suggestion.get("confidence")
    return float(value) if isinstance(value, int | float) else 0.0


def qna_turn_history(turn: Turn, elected: dict[str, Any], payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``session.lastMessages`` entry of an elected QnA answer."""
    message: dict[str, Any] = {
        "eventId": turn.event.get("id"),
        "replyDate": turn.iso_now(),
        "replySource": f"{elected.get('source')} {elected.get('sourceDetails')}",
        "incomingPreview": turn.event.get("preview"),
        "replyConfidence": elected.get("confidence"),
    }
    preview = next((p for p in payloads if p.get("text") is not None), None)
    if preview is not None:
        message["replyPreview"] = preview
    return message
