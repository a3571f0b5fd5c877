"""The mutable state of one turn: the event, the memory scopes, the context and what was sent.

A :class:`Turn` is created from a stored :class:`ConversationRecord` (a private copy: a turn that
fails leaves the stored state untouched) and turned back into one at the end of the turn.
"""

from __future__ import annotations

import copy
import functools
import math
import random
from datetime import UTC
from datetime import datetime
from typing import Any

import orjson

from flowbot.runtime.conversation import TurnResult
from flowbot.runtime.events import Event
from flowbot.runtime.fastjson import exact_dumps
from flowbot.runtime.state import ConversationRecord
from flowbot.runtime.state import DialogContext
from flowbot.runtime.state import StackEntry


def iso_timestamp(moment: float) -> str:
    """``moment`` (epoch seconds) as ``Date.toISOString()`` writes it: what
    ``datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds")`` gives (microseconds
    rounded half to even, then truncated to milliseconds), with the date and time of the second
    formatted once per second rather than at every turn."""
    fraction, whole = math.modf(moment)
    micros = round(fraction * 1_000_000)
    second = int(whole)
    if micros >= 1_000_000:
        second, micros = second + 1, micros - 1_000_000
    elif micros < 0:
        second, micros = second - 1, micros + 1_000_000
    return f"{_utc_second(second)}.{micros // 1000:03d}Z"


@functools.lru_cache(maxsize=4)
def _utc_second(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")


class Turn:
    """One turn being processed. ``errors`` collects what went wrong (in the Botpress
    ``activeProcessing.errors`` shape: ``{"type", "message", "flow", "node"}``); a non-empty list
    switches loop detection off, as in Botpress, so that the error flow can always be reached."""

    def __init__(
        self,
        *,
        bot_id: str,
        event: Event,
        record: ConversationRecord,
        bot_memory: dict[str, Any],
        now: float,
        rng: random.Random,
        language: str,
    ) -> None:
        self.bot_id = bot_id
        self.event = event
        self.context: DialogContext = record.context
        self.session = record.session
        self.temp = record.temp
        self.user = record.user
        self.kv = record.kv
        self.bot = bot_memory
        self.bot_before = copy.deepcopy(bot_memory) if bot_memory else {}  # most bots keep none
        self.now = now
        self.rng = rng
        self.language = language
        self.stacktrace: list[StackEntry] = []
        self.visits: dict[StackEntry, int] = {}  # visits per flow/node, for loop detection
        self.most_visits = 0
        self._iso_now: str | None = None
        self.responses: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.instruction_count = 0
        self._expose_state()

    def _expose_state(self) -> None:
        # ``event.state`` is how Botpress code reaches the scopes (``event.state.temp.x``)
        self.event["state"] = {"user": self.user, "session": self.session, "temp": self.temp, "bot": self.bot}
        self._variables = {
            "event": self.event,
            "user": self.user,
            "session": self.session,
            "temp": self.temp,
            "bot": self.bot,
            "workflow": {},
        }

    def variables(self) -> dict[str, Any]:
        """What conditions and templates can name (Botpress's ``extractEventCommonArgs``); the
        scopes are the live dicts, so the mapping is built once per turn (and when temp is replaced)."""
        return self._variables

    def clean_state(self) -> None:
        """End of a conversation flow: no current flow, and temp memory is gone (§2.8)."""
        self.context = DialogContext()
        self.temp = {}
        self._expose_state()

    def replace_temp(self, temp: dict[str, Any]) -> None:
        self.temp = temp
        self._expose_state()

    def record_error(self, kind: str, message: str) -> None:
        self.errors.append(
            {
                "type": kind,
                "message": message,
                "flow": self.context.currentFlow,
                "node": self.context.currentNode,
            }
        )

    def visit(self, flow: str, node: str) -> None:
        entry = StackEntry(flow, node)
        self.stacktrace.append(entry)
        count = self.visits[entry] = self.visits.get(entry, 0) + 1
        self.most_visits = max(self.most_visits, count)

    def iso_now(self) -> str:
        """The turn's time as JavaScript's ``Date.toISOString()`` writes it."""
        if self._iso_now is None:
            self._iso_now = iso_timestamp(self.now)
        return self._iso_now

    def to_record(self, previous: ConversationRecord) -> ConversationRecord:
        return ConversationRecord(
            context=self.context,
            session=self.session,
            temp=self.temp,
            user=self.user,
            kv=self.kv,
            context_expiry=previous.context_expiry,
            session_expiry=previous.session_expiry,
            timeouts=previous.timeouts,
        )

    def drop_skill_frames(self) -> None:
        """Botpress removes the ``skills/`` flows from the trace once the event is processed."""
        self.stacktrace = [entry for entry in self.stacktrace if not entry.flow.startswith("skills/")]

    def to_result(self) -> TurnResult:
        """The turn in the Converse API shapes."""
        state = {
            "__stacktrace": [entry.to_dict() for entry in self.stacktrace],
            "user": self.user,
            "context": self.context.to_dict(),
            "session": self.session,
            "temp": self.temp,
            "bot": self.bot,
        }
        return TurnResult(
            responses=self.responses,
            nlu=self.event.nlu,
            state=state,
            suggestions=self.event.get("suggestions") or [],
            decision=self.event.get("decision") or {},
            errors=self.errors,
        )

    def to_responses(self) -> TurnResult:
        """Only the responses and errors, as copies that share nothing with the turn's memory."""
        return TurnResult(responses=detached(self.responses), errors=detached(self.errors))

    def bot_memory_changes(self) -> dict[str, Any]:
        """Top-level keys of bot memory this turn changed (``_DELETED`` for removed keys): bot
        memory is shared by every user of the bot, so a turn writes back only what it changed."""
        changes: dict[str, Any] = {}
        for key, value in self.bot.items():
            if key not in self.bot_before or self.bot_before[key] != value:
                changes[key] = value
        for key in self.bot_before:
            if key not in self.bot:
                changes[key] = DELETED
        return changes


def detached(value: Any) -> Any:
    """A copy of ``value`` that shares nothing with it, as a JSON answer carries it: by a JSON
    round trip where orjson writes ``value`` as ``json`` would (NaN and infinities come back as
    ``None``, tuples as lists), else (objects of user code, integers past 64 bits) by deepcopy."""
    fast = exact_dumps(value)
    return orjson.loads(fast) if fast is not None else copy.deepcopy(value)


class _Deleted:
    """Marks a bot memory key removed by a turn."""

    def __repr__(self) -> str:
        return "DELETED"


DELETED: Any = _Deleted()
