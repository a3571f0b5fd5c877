"""Electing the intent among the included contexts (botpress-v12.md §7.2).

- The included contexts are those of the request that the bot's intents use; when none is, all of
  the bot's contexts are (as Botpress falls back).
- Each context has its own classifier, so an intent's confidence depends on the context; a
  context's confidence is the best confidence of its intents; the most confident included context
  is elected (ties go to the first included).
- In it, ``none`` competes with the context's intents with the out-of-scope confidence
  ``oos = t * (1 - best) / (1 - t)`` (capped at 1), where ``t`` is the out-of-scope threshold on
  intent confidences: ``none`` wins exactly when the best intent's confidence is below ``t`` (a tie
  goes to the intent). With the learned threshold, ``t`` is 0.5 and ``oos = 1 - best``.
- ``intents`` is the top two of that competition rescaled to sum to 1, ``intent`` the first.
- ``ambiguous``: every rescaled confidence within 0.1 of 1/n (or all but a leading ``none``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from flowbot.runtime.nlu.data import IntentInfo

NONE = "none"
GLOBAL = "global"


class Election(BaseModel):
    intent: dict[str, Any]
    intents: list[dict[str, Any]]
    ambiguous: bool
    included_contexts: list[str]


def available_contexts(included: list[str], all_contexts: list[str]) -> list[str]:
    known = [c for c in dict.fromkeys(included) if c in all_contexts]
    return known or list(all_contexts)


def _scale(items: list[tuple[str, float]]) -> list[tuple[str, float]]:
    total = sum(conf for _, conf in items)
    if total <= 0:
        return [(name, 1.0 / len(items)) for name, _ in items]
    return [(name, conf / total) for name, conf in items]


def is_ambiguous(scaled: list[tuple[str, float]]) -> bool:
    if len(scaled) < 2:
        return False
    center = 1.0 / len(scaled)
    in_range = lambda values: all(center - 0.1 <= v <= center + 0.1 for v in values)  # noqa: E731
    values = [c for _, c in scaled]
    return in_range(values) or (scaled[0][0] == NONE and in_range(values[1:]))


def elect(
    confidences: dict[str, dict[str, float]],
    intents: list[IntentInfo],
    included: list[str],
    oos_threshold: float = 0.5,
) -> Election:
    """``confidences``: per context, the confidence of each intent of that context."""
    all_contexts = sorted({c for i in intents for c in i.contexts}) or [GLOBAL]
    contexts = available_contexts(included, all_contexts)
    members_of = {
        ctx: [(i.name, confidences.get(ctx, {}).get(i.name, 0.0)) for i in intents if ctx in i.contexts]
        for ctx in contexts
    }
    best_by_context = {ctx: max((conf for _, conf in members_of[ctx]), default=0.0) for ctx in contexts}
    context = max(contexts, key=lambda c: best_by_context[c])  # max keeps the first of equals
    members = members_of[context]
    best = best_by_context[context]
    oos = 1.0 if oos_threshold >= 1.0 else min(1.0, oos_threshold * (1.0 - best) / (1.0 - oos_threshold))
    ranked = sorted([*members, (NONE, oos)], key=lambda item: (-item[1], item[0] == NONE, item[0]))[:2]
    scaled = _scale(ranked)
    listed = [{"name": name, "confidence": round(conf, 4), "context": context} for name, conf in scaled]
    return Election(
        intent=listed[0], intents=listed, ambiguous=is_ambiguous(scaled), included_contexts=contexts
    )
