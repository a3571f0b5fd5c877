"""The bot's own entities: lists (values with synonyms, exact or fuzzy) and patterns (regexes).

List matching slides windows of whole tokens over the utterance. A window matches a value exactly
(case-insensitive unless ``matchCase``) with confidence 1, or, when the entity's ``fuzzy`` tolerance
is below 1 and the window has at least 4 characters, fuzzily: the mean of the normalised Levenshtein
and Jaro similarities (as Botpress computes it) must reach the tolerance, and is the confidence.
Overlapping matches of one entity keep the best (confidence, then length).

Patterns run with the ``regex`` engine and a time limit, so that a pathological pattern costs a
bounded time on a turn and is then skipped (and logged) instead of hanging it.
"""

from __future__ import annotations

import logging
from collections import defaultdict

import regex
from rapidfuzz import process
from rapidfuzz.distance import Jaro
from rapidfuzz.distance import Levenshtein

from flowbot.errors import FlowbotError
from flowbot.runtime.flow import EntityDefinition
from flowbot.runtime.nlu.entities.model import Entity
from flowbot.runtime.nlu.entities.model import EntityData
from flowbot.runtime.nlu.entities.model import EntityMeta
from flowbot.runtime.nlu.tokens import Token
from flowbot.runtime.nlu.tokens import tokenize

log = logging.getLogger(__name__)

PATTERN_TIMEOUT = 0.05  # seconds per pattern and utterance
MIN_FUZZY_CHARS = 4


class EntityDefinitionError(FlowbotError):
    """An entity file the NLU cannot use (e.g. a pattern that is not a valid regular expression)."""


class _ListEntity:
    def __init__(self, definition: EntityDefinition) -> None:
        self.name = definition.name
        self.sensitive = bool(definition.sensitive)
        self.match_case = bool(definition.matchCase)
        tolerance = 1.0 if definition.fuzzy is None else float(definition.fuzzy)
        self.fuzzy = tolerance if tolerance < 1.0 else None
        self.exact: dict[str, tuple[str, str]] = {}  # key -> (canonical value, synonym)
        self.by_length: dict[int, list[tuple[str, str, str]]] = defaultdict(
            list
        )  # tokens -> [(key, value, synonym)]
        for occurrence in definition.occurrences:
            for synonym in [occurrence.name, *occurrence.synonyms]:
                words = [t.text for t in tokenize(synonym)]
                if not words:
                    continue
                key = self.key(" ".join(words))
                self.exact.setdefault(key, (occurrence.name, synonym))
                self.by_length[len(words)].append((key, occurrence.name, synonym))
        self.candidates = [c for size in sorted(self.by_length) for c in self.by_length[size]]
        self.keys = [c[0] for c in self.candidates]

    def key(self, text: str) -> str:
        return text if self.match_case else text.casefold()

    def lengths(self) -> set[int]:
        sizes = set(self.by_length)
        if self.fuzzy is not None:
            sizes |= {n + d for n in sizes for d in (-1, 1) if n + d > 0}
        return sizes

    def best(self, key: str) -> tuple[float, str, str] | None:
        hit = self.exact.get(key)
        if hit is not None:
            return 1.0, hit[0], hit[1]
        if self.fuzzy is None or len(key.replace(" ", "")) < MIN_FUZZY_CHARS:
            return None
        candidates, keys = self.candidates, self.keys
        # mean(lev, jaro) >= tol needs lev >= 2*tol - 1, since jaro <= 1: a cheap first cut in C.
        found = process.extract(
            key,
            keys,
            scorer=Levenshtein.normalized_similarity,
            score_cutoff=max(0.0, 2 * self.fuzzy - 1),
            limit=5,
        )
        best = None
        for _, lev, index in found:
            score = round((lev + Jaro.normalized_similarity(key, keys[index])) / 2, 2)
            if score >= self.fuzzy and (best is None or score > best[0]):
                best = (score, candidates[index][1], candidates[index][2])
        return best


def _windows(tokens: list[Token], size: int) -> list[tuple[int, int]]:
    words = [i for i, t in enumerate(tokens) if t.is_word]
    out = []
    for first in words:
        last = first + size - 1
        if last < len(tokens) and tokens[last].is_word:
            out.append((first, last))
    return out


class ListExtractor:
    def __init__(self, definitions: list[EntityDefinition]) -> None:
        self.entities = [_ListEntity(d) for d in definitions if d.type == "list"]

    def extract(self, text: str, tokens: list[Token]) -> list[Entity]:
        found: list[Entity] = []
        for entity in self.entities:
            candidates = []
            for size in sorted(entity.lengths()):
                for first, last in _windows(tokens, size):
                    start, end = tokens[first].start, tokens[last].end
                    key = entity.key(" ".join(t.text for t in tokens[first : last + 1]))
                    hit = entity.best(key)
                    if hit is not None:
                        candidates.append((hit, start, end))
            candidates.sort(key=lambda c: (-c[0][0], -(c[2] - c[1]), c[1]))
            kept: list[tuple[int, int]] = []
            for (score, value, synonym), start, end in candidates:
                if all(end <= s or start >= e for s, e in kept):
                    kept.append((start, end))
                    found.append(_list_entity(entity, text, start, end, score, value, synonym))
        return found


def _list_entity(
    entity: _ListEntity, text: str, start: int, end: int, score: float, value: str, synonym: str
) -> Entity:
    return Entity(
        name=entity.name,
        type=f"custom.list.{entity.name}",
        meta=EntityMeta(
            sensitive=entity.sensitive,
            confidence=score,
            provider="list",
            source=text[start:end],
            start=start,
            end=end,
        ),
        data=EntityData(value=value, unit="", extras={"occurrence": synonym}),
    )


class PatternExtractor:
    def __init__(self, definitions: list[EntityDefinition]) -> None:
        self.patterns = []
        for d in definitions:
            if d.type != "pattern":
                continue
            if not d.pattern:
                raise EntityDefinitionError(
                    f"entities/{d.name}.json: a pattern entity needs a non-empty 'pattern'"
                )
            flags = regex.V0 if d.matchCase else regex.V0 | regex.IGNORECASE
            try:
                compiled = regex.compile(d.pattern, flags)
            except regex.error as exc:
                raise EntityDefinitionError(
                    f"entities/{d.name}.json: invalid pattern {d.pattern!r}: {exc}"
                ) from exc
            self.patterns.append((d.name, bool(d.sensitive), compiled))

    def extract(self, text: str) -> list[Entity]:
        found = []
        for name, sensitive, compiled in self.patterns:
            try:
                matches = list(compiled.finditer(text, timeout=PATTERN_TIMEOUT))
            except TimeoutError:
                log.warning(
                    "pattern entity %r took longer than %ss on an utterance: skipped", name, PATTERN_TIMEOUT
                )
                continue
            for m in matches:
                if m.end() > m.start():
                    found.append(
                        Entity(
                            name=name,
                            type=f"custom.pattern.{name}",
                            meta=EntityMeta(
                                sensitive=sensitive,
                                confidence=1.0,
                                provider="pattern",
                                source=m.group(),
                                start=m.start(),
                                end=m.end(),
                            ),
                            data=EntityData(value=m.group(), unit=""),
                        )
                    )
        return found
