"""A trained NLU model and its prediction: ``event.nlu`` for one message."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from typing import Literal

import numpy as np
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import ValidationError

from flowbot.runtime.flow import EntityDefinition
from flowbot.runtime.nlu.classifier import ClassifierMeta
from flowbot.runtime.nlu.classifier import IntentClassifier
from flowbot.runtime.nlu.classifier import classifier_from_parts
from flowbot.runtime.nlu.classifier import classifier_parts
from flowbot.runtime.nlu.data import IntentInfo
from flowbot.runtime.nlu.data import NluConfig
from flowbot.runtime.nlu.election import GLOBAL
from flowbot.runtime.nlu.election import NONE
from flowbot.runtime.nlu.election import elect
from flowbot.runtime.nlu.entities import EntityExtractor
from flowbot.runtime.nlu.language import NOT_AVAILABLE
from flowbot.runtime.nlu.language import LanguageDetector
from flowbot.runtime.nlu.slots import SlotTagger
from flowbot.runtime.nlu.slots import TaggerMeta
from flowbot.runtime.nlu.slots import fill_slots
from flowbot.runtime.nlu.slots import tagger_from_parts
from flowbot.runtime.nlu.slots import tagger_parts
from flowbot.runtime.nlu.storage import ARRAYS_FILE
from flowbot.runtime.nlu.storage import META_FILE
from flowbot.runtime.nlu.storage import NluModelError
from flowbot.runtime.nlu.storage import read_arrays
from flowbot.runtime.nlu.storage import read_meta
from flowbot.runtime.nlu.storage import replace_dir
from flowbot.runtime.nlu.storage import write_arrays
from flowbot.runtime.nlu.storage import write_meta
from flowbot.runtime.nlu.tokens import exact_key

log = logging.getLogger(__name__)

FORMAT = "flowbot-nlu"
FORMAT_VERSION = 1
# Longer messages are understood from their beginning: it bounds the cost of a turn.
MAX_TEXT = 4096


def default_nlu(
    included_contexts: list[str] | None = None, language: str = NOT_AVAILABLE, errored: bool = False
) -> dict[str, Any]:
    """What ``event.nlu`` holds when the NLU does not run (Botpress's ``Event()`` defaults)."""
    return {
        "entities": [],
        "language": language,
        "ambiguous": False,
        "slots": {},
        "intent": {"name": NONE, "confidence": 1, "context": GLOBAL},
        "intents": [],
        "errored": errored,
        "includedContexts": list(included_contexts) if included_contexts else [GLOBAL],
        "ms": 0,
    }


class LanguageMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contexts: list[str] = []  # arrays of the classifier of contexts[i] are under "<lang>/contexts/<i>/"
    classifiers: list[ClassifierMeta] = []
    exact: dict[str, list[str]] = {}
    tagger: TaggerMeta | None = None


class ModelMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["flowbot-nlu"]
    version: Literal[1]
    data_hash: str
    seed: int
    default_language: str
    languages: list[str]
    intents: list[IntentInfo]
    entities: list[EntityDefinition]
    config: NluConfig
    per_language: dict[str, LanguageMeta]


class LanguageModel:
    def __init__(
        self, classifiers: dict[str, IntentClassifier], exact: dict[str, list[str]], tagger: SlotTagger | None
    ) -> None:
        self.classifiers = classifiers  # context -> classifier of its intents
        self.exact = exact
        self.tagger = tagger

    def vocabulary(self) -> set[str]:
        return {w for clf in self.classifiers.values() for w in clf.blocks[0].vocabulary if " " not in w}


class NluModel:
    """Build it with :func:`flowbot.runtime.nlu.train_nlu`, or :meth:`load` a saved one."""

    def __init__(
        self,
        meta: ModelMeta,
        languages: dict[str, LanguageModel],
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.meta = meta
        self.languages = languages
        self.intents = {i.name: i for i in meta.intents}
        self.entities = EntityExtractor(meta.entities, meta.config.timezone, meta.config.phoneRegion, clock)
        self.detector = LanguageDetector(
            meta.languages, {lang: lm.vocabulary() for lang, lm in languages.items()}
        )

    @property
    def data_hash(self) -> str:
        return self.meta.data_hash

    @property
    def is_empty(self) -> bool:
        return not self.meta.intents and not self.meta.entities

    def use_clock(self, clock: Callable[[], datetime]) -> None:
        """Dates are understood relative to ``clock()`` (tests pass a fixed one)."""
        self.entities.temporal.clock = clock

    def warm_up(self) -> None:
        self.entities.warm_up(self.meta.languages)

    # -- prediction -------------------------------------------------------------------------------

    def predict(
        self, text: str, included_contexts: list[str] | None, language: str | None = None
    ) -> dict[str, Any]:
        """``event.nlu`` for ``text``. Never raises: a failure gives ``errored: true`` and defaults."""
        started = time.perf_counter()
        try:
            if self.is_empty:
                return default_nlu(included_contexts)
            return self._predict(str(text or "")[:MAX_TEXT], included_contexts or [GLOBAL], language, started)
        except Exception:  # the turn must go on whatever the NLU does
            log.exception("NLU prediction failed for a message of %d characters", len(text or ""))
            out = default_nlu(included_contexts, self._fallback_language(language), errored=True)
            out["ms"] = _elapsed(started)
            return out

    def _fallback_language(self, language: str | None) -> str:
        return language if language in self.languages else self.meta.default_language

    def _language(self, text: str, language: str | None) -> tuple[str, str | None]:
        """The language used, and the one detected (None for a one-language bot: nothing to detect,
        and the identifier's 100 MB are not worth loading for it)."""
        if len(self.meta.languages) < 2:
            return self.meta.default_language if not self.meta.languages else self.meta.languages[0], None
        detected, _ = self.detector.detect(text)
        used = detected if detected in self.languages else self._fallback_language(language)
        return used, detected

    def _predict(
        self, text: str, included: list[str], language: str | None, started: float
    ) -> dict[str, Any]:
        used, detected = self._language(text, language)
        entities = self.entities.extract(text, used)
        lm = self.languages.get(used)
        confidences = self._confidences(lm, text) if lm else {}
        election = elect(confidences, self.meta.intents, included, self.meta.config.oosThreshold or 0.5)
        elected = self.intents.get(election.intent["name"])
        slots = fill_slots(elected, text, entities, lm.tagger if lm else None) if elected else {}
        out = {
            "entities": [e.to_dict() for e in entities],
            "language": used,
            "ambiguous": election.ambiguous,
            "slots": slots,
            "intent": election.intent,
            "intents": election.intents,
            "errored": False,
            "includedContexts": election.included_contexts,
            "ms": _elapsed(started),
        }
        if detected is not None:
            out["detectedLanguage"] = detected
        return out

    def _confidences(self, lm: LanguageModel, text: str) -> dict[str, dict[str, float]]:
        """Per context, the confidence of each of its intents."""
        exact = lm.exact.get(exact_key(text), [])
        out: dict[str, dict[str, float]] = {}
        for context, clf in lm.classifiers.items():
            conf = clf.confidences(clf.scores(text))
            scores = {label: float(c) for label, c in zip(clf.labels, conf) if label in self.intents}
            for name in exact:
                if name in scores:
                    scores[name] = 1.0  # a training utterance, typed again: no doubt about it
            out[context] = scores
        return out

    # -- persistence ------------------------------------------------------------------------------

    def save(self, directory: Path | str) -> None:
        """Write ``model.json`` + ``arrays.npz`` into ``directory`` (replaced atomically)."""
        arrays: dict[str, np.ndarray] = {}
        meta = self.meta.model_copy(deep=True)
        for lang, lm in self.languages.items():
            lang_meta = LanguageMeta(exact=lm.exact, contexts=list(lm.classifiers))
            for index, clf in enumerate(lm.classifiers.values()):
                clf_meta, parts = classifier_parts(clf, f"{lang}/contexts/{index}/")
                lang_meta.classifiers.append(clf_meta)
                arrays.update(parts)
            if lm.tagger is not None:
                lang_meta.tagger, parts = tagger_parts(lm.tagger, f"{lang}/slots/")
                arrays.update(parts)
            meta.per_language[lang] = lang_meta

        def fill(folder: Path) -> None:
            write_meta(folder / META_FILE, meta.model_dump(mode="json"))
            write_arrays(folder / ARRAYS_FILE, arrays)

        replace_dir(Path(directory), fill)

    @classmethod
    def load(cls, directory: Path | str, clock: Callable[[], datetime] | None = None) -> NluModel:
        """Read a saved model. Raises :class:`NluModelError` when it is missing or unreadable."""
        directory = Path(directory)
        meta = read_model_meta(directory)
        arrays = read_arrays(directory / ARRAYS_FILE) if (directory / ARRAYS_FILE).exists() else {}
        languages = {}
        try:
            for lang, lang_meta in meta.per_language.items():
                if len(lang_meta.contexts) != len(lang_meta.classifiers):
                    raise ValueError(
                        f"{len(lang_meta.contexts)} contexts but {len(lang_meta.classifiers)} classifiers"
                    )
                classifiers = {
                    ctx: classifier_from_parts(lang, clf_meta, arrays, f"{lang}/contexts/{index}/")
                    for index, (ctx, clf_meta) in enumerate(zip(lang_meta.contexts, lang_meta.classifiers))
                }
                tagger = None
                if lang_meta.tagger is not None:
                    tagger = tagger_from_parts(lang_meta.tagger, arrays, f"{lang}/slots/")
                languages[lang] = LanguageModel(classifiers, lang_meta.exact, tagger)
        except (KeyError, ValueError) as exc:
            raise NluModelError(
                f"{directory}: the NLU model is inconsistent ({exc}); rebuild the bot"
            ) from exc
        return cls(meta, languages, clock)


def read_model_meta(directory: Path) -> ModelMeta:
    raw = read_meta(directory / META_FILE)
    if raw.get("format") != FORMAT or raw.get("version") != FORMAT_VERSION:
        raise NluModelError(
            f"{directory}: not a flowbot NLU model of format version {FORMAT_VERSION} "
            f"(found {raw.get('format')!r} version {raw.get('version')!r}); rebuild the bot"
        )
    try:
        return ModelMeta.model_validate(raw)
    except ValidationError as exc:
        raise NluModelError(f"{directory}: invalid NLU model metadata: {exc.errors()[0]['msg']}") from exc


def _elapsed(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
