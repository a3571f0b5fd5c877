"""Request bodies, validated with pydantic, and their errors worded as Botpress's Joi words them
(``"text" is required``, ``"foo" is not allowed``), so that clients see the messages they know."""

from __future__ import annotations

from typing import Any
from typing import Literal
from typing import NamedTuple
from typing import TypeVar

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import StrictStr
from pydantic import ValidationError

from flowbot.server.errors import StandardError

M = TypeVar("M", bound=BaseModel)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ConverseBody(_Body):
    """The public route's body (Botpress's Joi schema: unknown keys are rejected)."""

    type: Literal["text"] = "text"
    text: StrictStr = Field(min_length=1)
    includedContexts: list[StrictStr] = Field(default_factory=lambda: ["global"])
    metadata: dict[str, Any] = Field(default_factory=dict)


class SecuredConverseBody(BaseModel):
    """The secured route accepts any payload, as Botpress does (``{"type": "quick_reply", ...}``);
    only the keys the server itself reads are checked."""

    model_config = ConfigDict(extra="allow", strict=True)

    type: StrictStr = "text"
    includedContexts: list[StrictStr] = Field(default_factory=lambda: ["global"])
    metadata: dict[str, Any] = Field(default_factory=dict)


class LoginBody(BaseModel):
    # Botpress's basic strategy also reads newPassword/channel/target; flowbot has no use for them.
    model_config = ConfigDict(extra="ignore", strict=True)

    email: StrictStr = Field(min_length=1, max_length=320)
    password: StrictStr = Field(min_length=1, max_length=1024)


class EventBody(_Body):
    """``POST /api/v1/bots/{botId}/users/{userId}/events``: start ``flow`` (at ``node``) for the user."""

    flow: StrictStr = Field(min_length=1, max_length=255)
    node: StrictStr | None = Field(default=None, min_length=1, max_length=255)
    payload: dict[str, Any] = Field(default_factory=dict)


class LoginPayload(BaseModel):
    jwt: str
    exp: int


class LoginAnswer(BaseModel):
    status: Literal["success"] = "success"
    message: str
    payload: LoginPayload


def _label(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return "value"
    text = str(loc[0])
    for part in loc[1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


_TYPE_WORDS = {
    "string_type": "a string",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "bool_type": "a boolean",
    "int_type": "a number",
}


def joi_message(error: dict[str, Any]) -> str:
    label = f'"{_label(tuple(error["loc"]))}"'
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{label} is not allowed"
    if kind == "missing":
        return f"{label} is required"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{label} must be one of [{expected.replace(chr(39), '')}]"
    if kind == "string_too_short":
        return f"{label} is not allowed to be empty"
    if kind == "string_too_long":
        return f"{label} length must be less than or equal to {error['ctx']['max_length']} characters long"
    if kind in _TYPE_WORDS:
        return f"{label} must be {_TYPE_WORDS[kind]}"
    return f"{label} {error['msg']}"


def parse_body(model: type[M], data: Any) -> M:
    """Validate ``data``; the first problem becomes a 400 ``Invalid payload: <joi message>``."""
    if not isinstance(data, dict):
        raise StandardError('"value" must be an object')
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise StandardError(joi_message(exc.errors()[0])) from None


class PublicBody(NamedTuple):
    """A valid public converse body (its ``type`` can only be ``"text"``)."""

    text: str
    includedContexts: list[str]
    metadata: dict[str, Any]


_PUBLIC_KEYS = frozenset(ConverseBody.model_fields)
_MISSING: Any = object()


def _is_unicode(text: str) -> bool:
    # pydantic refuses a text with a lone surrogate (what json reads from an escaped one)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_public_body(data: Any) -> PublicBody:
    """:func:`parse_body` with :class:`ConverseBody`, the same result and errors. The common body
    (a text, maybe contexts and metadata) is checked by hand, in a fraction of pydantic's time; any
    other body goes through the model, which finds and words its first problem."""
    if type(data) is dict and data.keys() <= _PUBLIC_KEYS:
        text = data.get("text")
        contexts = data.get("includedContexts", _MISSING)
        metadata = data.get("metadata", _MISSING)
        if (
            type(text) is str
            and text
            and (text.isascii() or _is_unicode(text))
            and data.get("type", "text") == "text"
            and (contexts is _MISSING or (type(contexts) is list and all(type(c) is str for c in contexts)))
            and (metadata is _MISSING or (type(metadata) is dict and all(type(k) is str for k in metadata)))
        ):
            return PublicBody(
                text,
                ["global"] if contexts is _MISSING else contexts,
                {} if metadata is _MISSING else metadata,
            )
    parsed = parse_body(ConverseBody, data)
    return PublicBody(parsed.text, parsed.includedContexts, parsed.metadata)


# Answers: documented in the OpenAPI document (the routes build them as plain dicts at the edge).
class ConverseAnswer(BaseModel):
    responses: list[dict[str, Any]] = Field(
        description="Outgoing payloads in order; stored proactive messages of the user come first."
    )


class DebugAnswer(ConverseAnswer):
    nlu: dict[str, Any] | None = Field(default=None, description="event.nlu (include=nlu)")
    state: dict[str, Any] | None = Field(
        default=None, description="__stacktrace, user, context, session, temp, bot (include=state)"
    )
    suggestions: list[dict[str, Any]] | None = Field(default=None, description="include=suggestions")
    decision: dict[str, Any] | None = Field(default=None, description="include=decision")
    credentials: dict[str, Any] | None = Field(default=None, description="who called (include=credentials)")


class RefreshPayload(BaseModel):
    newToken: LoginPayload | str


class RefreshAnswer(BaseModel):
    status: Literal["success"] = "success"
    message: str
    payload: RefreshPayload


class EventAnswer(BaseModel):
    status: Literal["delivered", "accepted"]
    delivered: Literal["stream", "outbox", "none", "pending"] = Field(
        description="where the turn's messages went; pending: the turn outlived converse.timeout and delivers later"
    )
    messages: int | None


class ErrorBody(BaseModel):
    statusCode: int
    errorCode: str | None = None
    type: str
    message: str
    details: str = ""
    docs: str
