"""The entity shape of ``event.nlu.entities`` (botpress-v12.md §7.1)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field


class EntityMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sensitive: bool = False
    confidence: float
    provider: str  # "native" (system entities), "list" or "pattern"
    source: str  # the text as the user typed it
    start: int
    end: int
    raw: dict[str, Any] | None = None  # what the extractor saw, when it has more to say than ``source``


class EntityData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Any
    unit: str = ""
    extras: dict[str, Any] = Field(default_factory=dict)


class Entity(BaseModel):
    """``name`` is the entity's name (``time``, ``city``); ``type`` is ``system.time``,
    ``custom.list.city`` or ``custom.pattern.order_id``."""

    model_config = ConfigDict(extra="forbid")

    name: str
    type: str
    meta: EntityMeta
    data: EntityData

    def to_dict(self) -> dict[str, Any]:
        out = self.model_dump(mode="json")
        if out["meta"]["raw"] is None:
            del out["meta"]["raw"]
        return out

    @property
    def start(self) -> int:
        return self.meta.start

    @property
    def end(self) -> int:
        return self.meta.end


def system_entity(
    dim: str,
    text: str,
    start: int,
    end: int,
    value: Any,
    unit: str = "",
    extras: dict[str, Any] | None = None,
) -> Entity:
    """A rule-based system entity (confidence 1, as Botpress gives Duckling's results)."""
    return Entity(
        name=dim,
        type=f"system.{dim}",
        meta=EntityMeta(confidence=1.0, provider="native", source=text[start:end], start=start, end=end),
        data=EntityData(value=value, unit=unit, extras=extras or {}),
    )


def overlaps(a: Entity, b: Entity) -> bool:
    return a.start < b.end and b.start < a.end
