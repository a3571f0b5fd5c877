"""The dialog state of one conversation, in the shapes Botpress v12 stores and returns (§2.3).

``context`` says where the user is in the flows (and what is left to run of the current node);
``session``, ``temp``, ``user`` and ``bot`` are the memory scopes flows read and write. Memory
scopes are plain dicts on purpose: they hold whatever the bot author stores, they are handed to
user code (Python actions and hooks) to mutate, and they leave through the Converse API as is.
"""

from __future__ import annotations

from typing import Any
from typing import Literal
from typing import NamedTuple

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import field_validator
from pydantic import model_serializer

LAST_MESSAGES_KEPT = 5

InstructionType = Literal["on-enter", "on-receive", "transition", "wait"]


def _compact(model: BaseModel, names: tuple[str, ...]) -> dict[str, Any]:
    """The set fields of a model, as Botpress's JSON writes them (undefined keys left out)."""
    values = model.__dict__
    return {name: values[name] for name in names if values[name] is not None}


class Instruction(BaseModel):
    """One entry of a node's instruction queue: ``{"type": "on-enter", "fn": "say #!x"}``,
    ``{"type": "transition", "fn": "<condition>", "node": "<target>"}`` or ``{"type": "wait"}``."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: InstructionType
    fn: str | None = None
    node: str | None = None
    args: Any = None  # only for oneflow ``say @<type>`` instructions (the node's formData)

    @model_serializer(mode="plain")
    def to_dict(self) -> dict[str, Any]:
        return _compact(self, ("type", "fn", "node", "args"))


WAIT = Instruction(type="wait")


class JumpPoint(BaseModel):
    """Where to come back to when a subflow returns (``#``): the calling flow and node."""

    model_config = ConfigDict(extra="ignore")

    flow: str | None = None
    node: str | None = None
    used: bool | None = None
    executeNode: bool | None = None

    @model_serializer(mode="plain")
    def to_dict(self) -> dict[str, Any]:
        return _compact(self, ("flow", "node", "used", "executeNode"))


class DialogContext(BaseModel):
    """``state.context``: empty (``{}``) when no flow is running."""

    model_config = ConfigDict(extra="ignore")

    currentFlow: str | None = None
    currentNode: str | None = None
    previousFlow: str | None = None
    previousNode: str | None = None
    jumpPoints: list[JumpPoint] | None = None
    # What is left to run of the current node. Stored as Botpress stores it, ``{"instructions": [...]}``;
    # a plain list in memory, consumed in place by the engine.
    queue: list[Instruction] | None = None
    hasJumped: bool | None = None

    @field_validator("queue", mode="before")
    @classmethod
    def _unwrap_queue(cls, value: Any) -> Any:
        return value.get("instructions", []) if isinstance(value, dict) else value

    @property
    def is_empty(self) -> bool:
        return not self.currentFlow

    @model_serializer(mode="plain")
    def to_dict(self) -> dict[str, Any]:
        """The context in Botpress's JSON shape (``{}`` when empty)."""
        data = _compact(self, ("currentFlow", "currentNode", "previousFlow", "previousNode"))
        if self.jumpPoints is not None:
            data["jumpPoints"] = [point.to_dict() for point in self.jumpPoints]
        if self.queue is not None:
            data["queue"] = {"instructions": [instruction.to_dict() for instruction in self.queue]}
        if self.hasJumped is not None:
            data["hasJumped"] = self.hasJumped
        return data


class StackEntry(NamedTuple):
    """One entry of ``state.__stacktrace``: a flow/node visited during the current turn."""

    flow: str
    node: str

    def to_dict(self) -> dict[str, str]:
        return {"flow": self.flow, "node": self.node}


def empty_session() -> dict[str, Any]:
    return {"lastMessages": [], "workflows": {}}


class ConversationRecord(BaseModel):
    """Everything stored for one (bot, user): the dialog session, user memory and internal data.

    ``user`` is the user memory of this bot only (Botpress shares it between bots of one channel
    user; we never leak one bot's memory into another). ``kv`` is per-user storage used by builtin
    actions (``incrementNumberOfConversations``) and never shown to flows. Expiries are epoch
    seconds; ``timeouts`` counts timeouts processed since the last incoming message (a loop guard).
    """

    model_config = ConfigDict(extra="ignore")

    context: DialogContext = Field(default_factory=DialogContext)
    session: dict[str, Any] = Field(default_factory=empty_session)
    temp: dict[str, Any] = Field(default_factory=dict)
    user: dict[str, Any] = Field(default_factory=dict)
    kv: dict[str, Any] = Field(default_factory=dict)
    context_expiry: float | None = None
    session_expiry: float | None = None
    timeouts: int = 0

    def expire_session(self) -> None:
        """Session expiry (§2.9): context, session and temp are gone; user memory stays."""
        self.context = DialogContext()
        self.session = empty_session()
        self.temp = {}
        self.context_expiry = None
        self.session_expiry = None
        self.timeouts = 0


def trim_last_messages(session: dict[str, Any]) -> None:
    """Botpress keeps the last 5 dialog turns in ``session.lastMessages`` when it persists."""
    messages = session.get("lastMessages")
    if isinstance(messages, list) and len(messages) > LAST_MESSAGES_KEPT:
        session["lastMessages"] = messages[-LAST_MESSAGES_KEPT:]
