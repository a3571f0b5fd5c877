"""The event of one turn, as flows, templates and user code see it (``event.payload.text``...).

An :class:`Event` is a ``dict`` because that is what conditions (``event.nlu.intent.name``),
templates (``{{event.payload.text}}``) and Python hooks read and mutate; a few methods name the
Botpress flag API (``set_flag`` / ``has_flag``).
"""

from __future__ import annotations

from typing import Any

SKIP_DIALOG_ENGINE = "SKIP_DIALOG_ENGINE"
SKIP_QNA_PROCESSING = "SKIP_QNA_PROCESSING"
SKIP_NATIVE_NLU = "SKIP_NATIVE_NLU"
FORCE_PERSIST_STATE = "FORCE_PERSIST_STATE"

# Event types for which the builtin hooks skip the dialog engine or NLU (§2.2, §7.1).
NON_DIALOG_TYPES = frozenset({"session_reset", "typing", "visit", "session_reference", "get_started"})
NON_NLU_TYPES = frozenset(
    {"session_reference", "session_reset", "bp_dialog_timeout", "visit", "say_something", ""}
)


def default_nlu(included_contexts: list[str] | None = None) -> dict[str, Any]:
    """``event.nlu`` when no NLU ran (§7.1), in the Converse API shape."""
    return {
        "entities": [],
        "language": "n/a",
        "ambiguous": False,
        "slots": {},
        "intent": {"name": "none", "confidence": 1, "context": "global"},
        "intents": [],
        "errored": False,
        "includedContexts": list(included_contexts) if included_contexts is not None else ["global"],
        "ms": 0,
    }


def preview_of(payload: dict[str, Any]) -> Any:
    """Botpress's ``event.preview``: ``payload.__preview || payload.preview || payload.text``."""
    for key in ("__preview", "preview", "text"):
        value = payload.get(key)
        if value:
            return value
    return payload.get("text")


class Event(dict[str, Any]):
    """One incoming (or internal) event: ``id``, ``type``, ``channel``, ``direction``, ``payload``,
    ``preview``, ``target`` (the user id), ``botId``, ``nlu``, ``flags``, ``suggestions``,
    ``metadata``, ``credentials``, ``state`` (the memory scopes)."""

    def set_flag(self, name: str, value: bool = True) -> None:
        self.setdefault("flags", {})[name] = value

    def has_flag(self, name: str) -> bool:
        flags = self.get("flags")
        return isinstance(flags, dict) and bool(flags.get(name))

    @property
    def payload(self) -> dict[str, Any]:
        payload = self.get("payload")
        return payload if isinstance(payload, dict) else {}

    @property
    def nlu(self) -> dict[str, Any]:
        nlu = self.get("nlu")
        return nlu if isinstance(nlu, dict) else {}


def make_event(
    *,
    event_id: str,
    bot_id: str,
    user_id: str,
    payload: dict[str, Any],
    channel: str = "api",
    direction: str = "incoming",
    included_contexts: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
) -> Event:
    event_type = payload.get("type") or "text"
    return Event(
        id=event_id,
        type=event_type,
        channel=channel,
        direction=direction,
        payload=payload,
        preview=preview_of(payload),
        target=user_id,
        botId=bot_id,
        threadId=None,
        nlu=default_nlu(included_contexts),
        flags={},
        suggestions=[],
        metadata=metadata or {},
        credentials=credentials,
    )
