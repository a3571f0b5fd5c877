"""Slots of the elected intent (``event.nlu.slots``), from its slot definitions and entities.

An entity fills the slot that accepts its entity name. When several slots of one intent accept the
same entity name ("from [Paris](origin) to [Rome](destination)", both ``city``), a tagger trained on
the annotated utterances decides: a multinomial logistic regression over token features (the word,
its neighbours, its shape and the entities on it) labelling each token with an ``intent/slot`` or
``O``. Slots accepting ``any`` take the span the tagger labels, as typed.

The tagger is saved as arrays (weights, bias) and JSON (feature names, labels).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel
from pydantic import ConfigDict

from flowbot.runtime.nlu.data import Example
from flowbot.runtime.nlu.data import IntentInfo
from flowbot.runtime.nlu.entities.model import Entity
from flowbot.runtime.nlu.tokens import Token
from flowbot.runtime.nlu.tokens import tokenize

OUTSIDE = "O"


def _shape(word: str) -> str:
    if word.isdigit():
        return "digits"
    if word.isupper():
        return "upper"
    if word[:1].isupper():
        return "title"
    return "lower" if word.isalpha() else "mixed"


def token_features(tokens: Sequence[Token], entities: Sequence[Entity]) -> list[list[str]]:
    words = [t.text.casefold() for t in tokens]
    out = []
    for i, tok in enumerate(tokens):
        feats = ["bias", f"w={words[i]}", f"suf={words[i][-3:]}", f"shape={_shape(tok.text)}"]
        for d in (-2, -1, 1, 2):
            j = i + d
            feats.append(f"w{d:+d}={words[j] if 0 <= j < len(words) else ('<s>' if j < 0 else '</s>')}")
        for e in entities:
            if e.start <= tok.start and tok.end <= e.end:
                feats.append(f"ent={e.name}")
                feats.append(f"ent={e.name}:{'B' if tok.start == e.start else 'I'}")
            elif e.end <= tok.start and i > 0 and tokens[i - 1].end == e.end:
                feats.append(f"after_ent={e.name}")
        out.append(feats)
    return out


class SlotTagger:
    def __init__(
        self, features: list[str], labels: list[str], coef: np.ndarray, intercept: np.ndarray
    ) -> None:
        self.features = features
        self.index = {f: i for i, f in enumerate(features)}
        self.labels = labels
        self.coef = coef  # features x labels
        self.intercept = intercept

    def probabilities(self, feats: list[list[str]], allowed: list[str]) -> list[dict[str, float]]:
        """Per token, the probability of each allowed label (softmax restricted to them)."""
        cols = [self.labels.index(lab) for lab in allowed if lab in self.labels]
        names = [self.labels[c] for c in cols]
        out = []
        for token_feats in feats:
            rows = [self.index[f] for f in token_feats if f in self.index]
            z = self.coef[rows][:, cols].sum(axis=0) + self.intercept[cols]
            p = np.exp(z - z.max())
            p /= p.sum()
            out.append(dict(zip(names, (float(x) for x in p))))
        return out


class TaggerMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    features: list[str]
    labels: list[str]


def tagger_parts(tagger: SlotTagger, prefix: str) -> tuple[TaggerMeta, dict[str, np.ndarray]]:
    arrays = {
        f"{prefix}coef": tagger.coef.astype(np.float32),
        f"{prefix}intercept": tagger.intercept.astype(np.float32),
    }
    return TaggerMeta(features=tagger.features, labels=tagger.labels), arrays


def tagger_from_parts(meta: TaggerMeta, arrays: dict[str, np.ndarray], prefix: str) -> SlotTagger:
    coef, intercept = arrays[f"{prefix}coef"], arrays[f"{prefix}intercept"]
    if coef.shape != (len(meta.features), len(meta.labels)) or intercept.shape != (len(meta.labels),):
        raise ValueError(f"slot tagger weights have shape {coef.shape}/{intercept.shape}")
    return SlotTagger(meta.features, meta.labels, coef.astype(np.float32), intercept.astype(np.float64))


def _label(intent: str, slot: str) -> str:
    return f"{intent}/{slot}"


def train_tagger(examples: Sequence[Example], entities_of: Any, seed: int = 0) -> SlotTagger | None:
    """A tagger from the annotated examples; None when no example is annotated."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    rows, labels = [], []
    for ex in examples:
        if not ex.spans:
            continue
        tokens = tokenize(ex.text)
        for tok, feats in zip(tokens, token_features(tokens, entities_of(ex.text))):
            label = next(
                (_label(ex.intent, s.slot) for s in ex.spans if s.start <= tok.start and tok.end <= s.end),
                OUTSIDE,
            )
            rows.append(dict.fromkeys(feats, 1.0))
            labels.append(label)
    if len(set(labels)) < 2:
        return None
    vectorizer = DictVectorizer(sort=True)
    matrix = vectorizer.fit_transform(rows)
    model = LogisticRegression(C=10.0, max_iter=2000, random_state=seed)
    model.fit(matrix, labels)
    coef, intercept = model.coef_, model.intercept_
    if len(model.classes_) == 2:  # binary: scikit-learn keeps one row, for the second class
        coef, intercept = (
            np.vstack([-coef[0] / 2, coef[0] / 2]),
            np.array([-intercept[0] / 2, intercept[0] / 2]),
        )
    return SlotTagger(
        list(vectorizer.get_feature_names_out()),
        [str(c) for c in model.classes_],
        np.ascontiguousarray(coef.T, dtype=np.float32),
        intercept.astype(np.float32).astype(np.float64),
    )


def _slot(
    name: str, entity: Entity | None, text: str, start: int, end: int, confidence: float
) -> dict[str, Any]:
    return {
        "name": name,
        "value": entity.data.value if entity else text[start:end],
        "source": text[start:end],
        "entity": entity.to_dict() if entity else None,
        "confidence": round(confidence, 4),
        "start": start,
        "end": end,
    }


def _mean(probs: list[dict[str, float]], tokens: Sequence[Token], start: int, end: int, label: str) -> float:
    values = [p.get(label, 0.0) for p, t in zip(probs, tokens) if start <= t.start and t.end <= end]
    return sum(values) / len(values) if values else 0.0


def fill_slots(
    intent: IntentInfo, text: str, entities: list[Entity], tagger: SlotTagger | None
) -> dict[str, Any]:
    if not intent.slots:
        return {}
    tokens = tokenize(text)
    probs: list[dict[str, float]] = []
    if tagger is not None:
        allowed = [OUTSIDE] + [_label(intent.name, s.name) for s in intent.slots]
        probs = tagger.probabilities(token_features(tokens, entities), allowed)
    pairs = []  # (score, entity index, slot name)
    for k, entity in enumerate(entities):
        accepting = [s for s in intent.slots if entity.name in s.entities]
        for slot in accepting:
            if len(accepting) == 1 or not probs:
                score = entity.meta.confidence - k * 1e-6  # the first mention wins a tie
            else:
                score = _mean(probs, tokens, entity.start, entity.end, _label(intent.name, slot.name))
            pairs.append((score, k, slot.name))
    filled: dict[str, Any] = {}
    used: set[int] = set()
    for score, k, name in sorted(pairs, key=lambda p: (-p[0], p[1])):
        if name not in filled and k not in used:
            used.add(k)
            e = entities[k]
            filled[name] = _slot(name, e, text, e.start, e.end, max(score, 0.0))
    for slot in intent.slots:
        if slot.name not in filled and "any" in slot.entities and probs:
            span = _tagged_span(probs, tokens, _label(intent.name, slot.name))
            if span is not None:
                filled[slot.name] = _slot(slot.name, None, text, *span)
    return filled


def _tagged_span(
    probs: list[dict[str, float]], tokens: Sequence[Token], label: str
) -> tuple[int, int, float] | None:
    best, current = None, None
    for p, tok in zip(probs, tokens):
        if max(p, key=p.__getitem__) == label:
            current = (
                (current[0], tok.end, current[2] + [p[label]])
                if current
                else (tok.start, tok.end, [p[label]])
            )
        elif current:
            best = max(best, current, key=lambda c: math.fsum(c[2]) / len(c[2])) if best else current
            current = None
    if current:
        best = max(best, current, key=lambda c: math.fsum(c[2]) / len(c[2])) if best else current
    return None if best is None else (best[0], best[1], math.fsum(best[2]) / len(best[2]))
