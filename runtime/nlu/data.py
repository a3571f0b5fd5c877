"""What the NLU learns from: a bot's intents, QnA questions, entities and NLU settings.

Everything here is plain data read from a :class:`BotDefinition`; its hash decides whether a saved
model is still up to date (:func:`data_hash`).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import ValidationError
from pydantic import field_validator

from flowbot.errors import FlowbotError
from flowbot.runtime.bot import BotDefinition
from flowbot.runtime.flow import EntityDefinition
from flowbot.runtime.flow import IntentDefinition

# Bumped whenever training changes what a model contains: older saved models are then retrained.
TRAINING_VERSION = 2
# ``[New York](city)``: the text of a slot value, then the slot's name.
_ANNOTATION = re.compile(r"\[([^\[\]]+?)\]\(([^()\s]+?)\)")


class NluConfigError(FlowbotError):
    """The ``nlu`` section of bot.config.json is invalid."""


class NluConfig(BaseModel):
    """The ``nlu`` keys of bot.config.json (flowbot extension), all optional.

    - ``oosThreshold``: the intent confidence under which the answer is ``none`` (0 < x < 1).
      Without it, the threshold learned at training time applies (it maps to confidence 0.5).
    - ``oosMaxInScopeLoss``: when learning that threshold for a context of 4 intents or more, the
      largest share of held-out in-scope utterances it may reject (default 0.05).
    - ``timezone``: IANA zone in which dates and times are understood (default ``UTC``).
    - ``phoneRegion``: region of phone numbers written without a country code (default ``US``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    oosThreshold: float | None = Field(default=None, gt=0.0, lt=1.0)
    oosMaxInScopeLoss: float = Field(default=0.05, ge=0.0, le=0.5)
    timezone: str = "UTC"
    phoneRegion: str = "US"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo
        from zoneinfo import ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as 'Europe/Paris')"
            ) from exc
        return value


def nlu_config(raw: dict[str, Any]) -> NluConfig:
    try:
        return NluConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"nlu.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise NluConfigError(f"bot.config.json: {problems}") from exc


class SlotSpan(BaseModel):
    model_config = ConfigDict(frozen=True)

    slot: str
    start: int
    end: int


class Example(BaseModel):
    """One training utterance, annotations removed, with the character spans of its slot values."""

    model_config = ConfigDict(frozen=True)

    text: str
    intent: str
    spans: tuple[SlotSpan, ...] = ()


class SlotInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    entities: tuple[str, ...]


class IntentInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    contexts: tuple[str, ...]
    slots: tuple[SlotInfo, ...] = ()


class TrainingData(BaseModel):
    default_language: str
    languages: list[str]
    intents: list[IntentInfo]
    examples: dict[str, list[Example]]  # language -> examples
    entities: list[EntityDefinition]
    config: NluConfig

    @property
    def is_empty(self) -> bool:
        return not self.intents and not self.entities


def parse_annotated(utterance: str) -> tuple[str, tuple[SlotSpan, ...]]:
    """``"fly to [Paris](city)"`` -> ``("fly to Paris", (SlotSpan("city", 7, 12),))``."""
    text, spans, last = [], [], 0
    length = 0
    for match in _ANNOTATION.finditer(utterance):
        before = utterance[last : match.start()]
        text.append(before)
        length += len(before)
        value = match.group(1)
        spans.append(SlotSpan(slot=match.group(2), start=length, end=length + len(value)))
        text.append(value)
        length += len(value)
        last = match.end()
    text.append(utterance[last:])
    return "".join(text), tuple(spans)


def _intent_definitions(bot: BotDefinition) -> list[IntentDefinition]:
    """The bot's intents plus one ``__qna__<id>`` intent per enabled QnA entry (unless its intent
    file exists, as Botpress writes one); intents of disabled QnA entries are left out."""
    intents = {i.name: i for i in bot.intents}
    for entry in bot.qna:
        name = entry.intent_name
        if not entry.data.enabled:
            intents.pop(name, None)
        elif name not in intents:
            intents[name] = IntentDefinition(
                name=name, utterances=entry.data.questions, contexts=entry.data.contexts
            )
    return [intents[name] for name in sorted(intents)]


def training_data(bot: BotDefinition) -> TrainingData:
    languages = list(dict.fromkeys(bot.languages))
    intents, examples = [], {lang: [] for lang in languages}
    for definition in _intent_definitions(bot):
        contexts = tuple(dict.fromkeys(definition.contexts or ["global"]))
        slots = tuple(SlotInfo(name=s.name, entities=tuple(s.entities)) for s in definition.slots)
        intents.append(IntentInfo(name=definition.name, contexts=contexts, slots=slots))
        for lang in languages:
            seen = set()
            for raw in definition.utterances.get(lang, []):
                text, spans = parse_annotated(raw.strip())
                if text.strip() and text not in seen:
                    seen.add(text)
                    examples[lang].append(Example(text=text, intent=definition.name, spans=spans))
    return TrainingData(
        default_language=bot.config.defaultLanguage,
        languages=languages,
        intents=intents,
        examples=examples,
        entities=sorted(bot.entities, key=lambda e: e.name),
        config=nlu_config(bot.config.nlu),
    )


def data_hash(data: TrainingData, seed: int) -> str:
    """A digest of everything training reads, the seed and the training version."""
    payload = {
        "version": TRAINING_VERSION,
        "seed": seed,
        "data": data.model_dump(mode="json"),
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
