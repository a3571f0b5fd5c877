"""The conversation service's contract: what every entry point (server, ``bot chat``, ``bot test``)
sends to the runtime and gets back from one turn.

The dialog engine knows nothing of HTTP, and the server knows nothing of flows: they meet here.
"""

from __future__ import annotations

from typing import Any
from typing import Protocol

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field


class IncomingMessage(BaseModel):
    """One user event. ``payload`` is the Converse body minus ``includedContexts``/``metadata``
    (``{"type": "text", "text": "hi"}``, or any payload on the secured route)."""

    model_config = ConfigDict(extra="forbid")

    payload: dict[str, Any]
    included_contexts: list[str] = Field(default_factory=lambda: ["global"])
    metadata: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, Any] | None = None
    channel: str = "api"


class TurnResult(BaseModel):
    """What one turn produced, in the Converse API shapes (plain dicts: they leave through HTTP).

    ``responses`` are the outgoing payloads in order; ``nlu`` is ``event.nlu``; ``state`` is
    ``event.state`` (``__stacktrace``, ``user``, ``context``, ``session``, ``temp``, ``bot``);
    ``suggestions`` and ``decision`` come from the decision engine. ``errors`` lists what went
    wrong while processing the turn (an action that raised, a loop that was stopped...), each as
    ``{"type", "message", "flow", "node"}``: the turn still completed, through the error flow.
    """

    responses: list[dict[str, Any]] = Field(default_factory=list)
    nlu: dict[str, Any] = Field(default_factory=dict)
    state: dict[str, Any] = Field(default_factory=dict)
    suggestions: list[dict[str, Any]] = Field(default_factory=list)
    decision: dict[str, Any] = Field(default_factory=dict)
    errors: list[dict[str, Any]] = Field(default_factory=list)


class Conversations(Protocol):
    """Runs turns. Turns of one (bot, user) are applied strictly one after another; a turn that
    fails leaves the stored state as it was; the answer is returned only once the state is durable."""

    async def converse(
        self, bot_id: str, user_id: str, message: IncomingMessage, *, responses_only: bool = False
    ) -> TurnResult:
        """One turn for a user message; ``responses_only``: the caller reads only ``responses`` and
        ``errors`` of the result (the others may be left empty)."""
        ...

    async def trigger(
        self,
        bot_id: str,
        user_id: str,
        flow: str,
        node: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> TurnResult:
        """A proactive turn: start ``flow`` (at ``node``) for the user without a user message."""
        ...
