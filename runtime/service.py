"""The conversation service: runs one turn from end to end (``Conversations`` of conversation.py).

One turn::

    lock (bot, user) -> load -> expiry -> event -> before_incoming hooks -> NLU -> after_incoming hooks
    -> decision engine (QnA) -> dialog engine -> (before_outgoing per payload) -> after_event_processed
    -> save (atomic, durable) -> unlock -> TurnResult

The service is built explicitly from its collaborators (bots, store, HTTP client, clock, random
source, settings): it holds no global state, so tests and tools build as many as they like.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random
import time
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flowbot.errors import FlowbotError
from flowbot.runtime.bot_runtime import BotRuntime
from flowbot.runtime.bot_runtime import RuntimeSettings
from flowbot.runtime.callapi import ApiClient
from flowbot.runtime.conversation import IncomingMessage
from flowbot.runtime.conversation import TurnResult
from flowbot.runtime.decision import default_decision
from flowbot.runtime.decision import qna_turn_history
from flowbot.runtime.engine import TimeoutNodeNotFound
from flowbot.runtime.events import NON_NLU_TYPES
from flowbot.runtime.events import SKIP_DIALOG_ENGINE
from flowbot.runtime.events import SKIP_NATIVE_NLU
from flowbot.runtime.events import SKIP_QNA_PROCESSING
from flowbot.runtime.events import make_event
from flowbot.runtime.flows import FlowError
from flowbot.runtime.hooks import apply_nlu_contexts
from flowbot.runtime.hooks import expire_nlu_contexts
from flowbot.runtime.hooks import extract_slots
from flowbot.runtime.hooks import skip_dialog_for_non_messages
from flowbot.runtime.bot import BotDefinition
from flowbot.runtime.registry import BotBundle
from flowbot.runtime.registry import BotRegistry
from flowbot.runtime.registry import NluPredictor
from flowbot.runtime.registry import bundle_for
from flowbot.runtime.state import ConversationRecord
from flowbot.runtime.state import DialogContext
from flowbot.runtime.state import trim_last_messages
from flowbot.runtime.store import StateStore
from flowbot.runtime.store import create_store
from flowbot.runtime.turn import Turn

logger = logging.getLogger("flowbot.runtime")

TIMEOUT_LOOP_LIMIT = 5  # Botpress's janitor: 5 timeouts in a row without a message is a loop
ProactiveSink = Callable[[str, str, TurnResult], Awaitable[None]]


class UnknownBotError(FlowbotError):
    """A bot id that no loaded bot has."""


def deep_merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    """Merge NLU output into the default ``event.nlu`` (nested objects merged, other values replaced)."""
    for key, value in source.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = value


class ConversationService:
    """Runs turns for a set of bots; implements ``flowbot.runtime.conversation.Conversations``.

    ``on_proactive(bot_id, user_id, result)`` receives what the bot says outside of a request
    (session timeouts processed by the janitor): the server delivers it to the user's stream.
    """

    def __init__(
        self,
        bots: Mapping[str, BotBundle],
        store: StateStore,
        *,
        api_client: ApiClient | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        settings: RuntimeSettings | None = None,
        on_proactive: ProactiveSink | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.rng = rng or random.Random()
        self.settings = settings or RuntimeSettings()
        self.on_proactive = on_proactive
        self.api_client = api_client
        self._runtimes = {
            bot_id: BotRuntime(bundle, api_client=_client_for(api_client, bundle), settings=self.settings)
            for bot_id, bundle in bots.items()
        }
        self._janitor: asyncio.Task[None] | None = None

    @classmethod
    def from_definitions(
        cls,
        definitions: Mapping[str, BotDefinition],
        *,
        data_dir: Path,
        database_url: str | None = None,
        shared_store: bool = False,
        nlu_for: Callable[[BotDefinition], NluPredictor | None] | None = None,
        **options: Any,
    ) -> ConversationService:
        """A service for loaded bot definitions, with the store named by ``database_url`` (SQLite
        under ``data_dir`` by default; ``shared_store``: other processes use it too, see
        :func:`~flowbot.runtime.store.create_store`). ``options`` are the constructor's keyword
        arguments."""
        registry = BotRegistry(
            bundle_for(d, nlu=nlu_for(d) if nlu_for else None) for d in definitions.values()
        )
        return cls(registry, create_store(database_url, data_dir, shared=shared_store), **options)

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self, *, janitor: bool = True) -> None:
        """Open the store and start the janitor (session expiry and timeouts)."""
        await self.store.open()
        if janitor and self._janitor is None:
            self._janitor = asyncio.create_task(self.run_janitor(), name="flowbot-janitor")

    async def close(self) -> None:
        """Stop the janitor and close the store (pending writes are flushed)."""
        if self._janitor is not None:
            self._janitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._janitor
            self._janitor = None
        await self.store.close()
        close_client = getattr(self.api_client, "close", None)
        if close_client is not None:
            await close_client()

    async def __aenter__(self) -> ConversationService:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def runtime(self, bot_id: str) -> BotRuntime:
        runtime = self._runtimes.get(bot_id)
        if runtime is None:
            raise UnknownBotError(f"unknown bot {bot_id!r}")
        return runtime

    @property
    def bot_ids(self) -> list[str]:
        return sorted(self._runtimes)

    def replace_bot(self, bundle: BotBundle) -> None:
        """Run ``bundle`` for its bot id from now on (a bot reloaded after its files changed).
        Stored conversations carry on with the new version; turns already running finish on the
        version they started with."""
        self.runtime(bundle.bot_id)  # only bots the service was built with: an unknown id raises
        self._runtimes[bundle.bot_id] = BotRuntime(
            bundle, api_client=_client_for(self.api_client, bundle), settings=self.settings
        )

    async def reset_session(self, bot_id: str, user_id: str) -> None:
        """Start the user's session afresh, as a session expiry does: context, session and temp
        memory are emptied, user memory stays."""
        runtime = self.runtime(bot_id)
        async with self.store.lock(bot_id, user_id):
            record = await self.store.load(runtime.bot_id, user_id)
            record.expire_session()
            await self.store.save(runtime.bot_id, user_id, record, {})

    # -- turns ---------------------------------------------------------------------------------

    async def converse(
        self, bot_id: str, user_id: str, message: IncomingMessage, *, responses_only: bool = False
    ) -> TurnResult:
        """One turn for a user message. ``responses_only`` (the public Converse route reads nothing
        else) gives a result of only the responses and errors: nothing of the saved record leaves
        the turn then, so the store may hand that record to the user's next turn as it is."""
        runtime = self.runtime(bot_id)
        async with self.store.lock(bot_id, user_id):
            record = await self._load(runtime, user_id)
            payload = dict(message.payload)
            payload.setdefault("type", "text")
            turn = await self._new_turn(runtime, user_id, record, payload, message=message)
            await self._incoming(runtime, turn)
            record.timeouts = 0
            if not responses_only:
                await self._save(runtime, turn, record)
                return turn.to_result()
            # Copied out before the save: user code may have put memory values in a payload, and
            # the user's next turn will work on this very memory.
            result = turn.to_responses()
            await self._save(runtime, turn, record, reusable=True)
        return result

    async def trigger(
        self,
        bot_id: str,
        user_id: str,
        flow: str,
        node: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> TurnResult:
        """A proactive turn: start ``flow`` (at ``node``, else its start node) without a user message."""
        runtime = self.runtime(bot_id)
        async with self.store.lock(bot_id, user_id):
            record = await self._load(runtime, user_id)
            event_payload = {"type": "proactive-trigger", **(payload or {})}
            turn = await self._new_turn(runtime, user_id, record, event_payload, direction="internal")
            # an unknown flow or node raises FlowError here: nothing is saved
            runtime.engine.jump_to(turn, flow, node)
            turn.event["decision"] = default_decision()
            await runtime.engine.process(turn)
            turn.drop_skill_frames()
            await runtime.hooks.run("after_event_processed", turn)
            await self._save(runtime, turn, record)
        return turn.to_result()

    async def _load(self, runtime: BotRuntime, user_id: str) -> ConversationRecord:
        """The user's record, with expiry applied first: an expired session starts over; an expired
        context is processed as a timeout (what the janitor would have done) before the message."""
        record = await self.store.load(runtime.bot_id, user_id)
        now = self.clock()
        if record.session_expiry is not None and record.session_expiry <= now:
            record.expire_session()
        elif (
            record.context_expiry is not None and record.context_expiry <= now and not record.context.is_empty
        ):
            record = await self._timeout(runtime, user_id, record)
        return record

    async def _new_turn(
        self,
        runtime: BotRuntime,
        user_id: str,
        record: ConversationRecord,
        payload: dict[str, Any],
        *,
        message: IncomingMessage | None = None,
        direction: str = "incoming",
    ) -> Turn:
        event = make_event(
            event_id=str(self.rng.getrandbits(52)),
            bot_id=runtime.bot_id,
            user_id=user_id,
            payload=payload,
            channel=message.channel if message else "api",
            direction=direction,
            included_contexts=message.included_contexts if message else None,
            metadata=message.metadata if message else None,
            credentials=message.credentials if message else None,
        )
        bot_memory = await self.store.load_bot_memory(runtime.bot_id)
        language = runtime.language_of(record.user)
        return Turn(
            bot_id=runtime.bot_id,
            event=event,
            record=record,
            bot_memory=bot_memory,
            now=self.clock(),
            rng=self.rng,
            language=language,
        )

    async def _incoming(self, runtime: BotRuntime, turn: Turn) -> None:
        apply_nlu_contexts(turn)
        await runtime.hooks.run("before_incoming", turn)
        await self._predict(runtime, turn)
        skip_dialog_for_non_messages(turn)
        expire_nlu_contexts(turn)
        extract_slots(turn)
        await runtime.hooks.run("after_incoming", turn)
        await self._decide(runtime, turn)
        await runtime.hooks.run("after_event_processed", turn)

    async def _predict(self, runtime: BotRuntime, turn: Turn) -> None:
        event = turn.event
        text = event.get("preview")
        if (
            runtime.nlu is None
            or event.get("type") in NON_NLU_TYPES
            or not text
            or event.has_flag(SKIP_NATIVE_NLU)
        ):
            return
        contexts = list(event.nlu.get("includedContexts") or ["global"])
        language = turn.user.get("language") if isinstance(turn.user.get("language"), str) else None
        try:
            result = runtime.nlu.predict(str(text), contexts, language)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:  # Botpress keeps the default nlu when prediction fails
            logger.error("bot %s: error extracting NLU metadata: %s", runtime.bot_id, exc, exc_info=True)
            turn.record_error("nlu", f"NLU prediction failed: {exc}")
            return
        if isinstance(result, dict):
            deep_merge(event.setdefault("nlu", {}), result)

    async def _decide(self, runtime: BotRuntime, turn: Turn) -> None:
        event = turn.event
        suggestions = [] if event.has_flag(SKIP_QNA_PROCESSING) else runtime.decision.suggest(turn)
        event["suggestions"] = suggestions
        election = runtime.decision.elect(suggestions, mid_flow=not turn.context.is_empty)
        run_flows = True
        if election.elected is not None:
            event["decision"] = election.elected
            await runtime.reply(turn, election.payloads)
            turn.session.setdefault("lastMessages", []).append(
                qna_turn_history(turn, election.elected, election.payloads)
            )
            run_flows = False
            if election.redirect is not None:
                try:
                    runtime.engine.jump_to(turn, election.redirect["flow"], election.redirect["node"])
                    run_flows = True
                except FlowError as exc:
                    logger.error("bot %s: QnA redirect failed: %s", runtime.bot_id, exc)
                    turn.record_error("dialog-engine", f"QnA redirect failed: {exc}")
        if run_flows and not event.has_flag(SKIP_DIALOG_ENGINE):
            event["decision"] = default_decision()
            await runtime.engine.process(turn)
            turn.drop_skill_frames()

    async def _save(
        self, runtime: BotRuntime, turn: Turn, previous: ConversationRecord, *, reusable: bool = False
    ) -> None:
        record = turn.to_record(previous)
        now = self.clock()
        record.context_expiry = now + runtime.context_timeout
        record.session_expiry = now + runtime.session_timeout
        trim_last_messages(record.session)
        changes = turn.bot_memory_changes()
        await self.store.save(runtime.bot_id, turn.event["target"], record, changes, reusable=reusable)

    # -- timeouts and the janitor --------------------------------------------------------------------

    async def _timeout(
        self, runtime: BotRuntime, user_id: str, record: ConversationRecord
    ) -> ConversationRecord:
        """Process a session timeout (§2.9) for a user whose lock is held; returns the saved record."""
        if record.timeouts >= TIMEOUT_LOOP_LIMIT:
            logger.error(
                "bot %s, user %s: %d timeouts in a row without a message, clearing the context",
                runtime.bot_id,
                user_id,
                record.timeouts,
            )
            record.context = DialogContext()
            record.temp = {}
            await self.store.save(runtime.bot_id, user_id, record, {})
            return record
        record.context.queue = None
        turn = await self._new_turn(runtime, user_id, record, {"type": "timeout"}, direction="internal")
        reset = True
        try:
            await runtime.engine.process_timeout(turn)
            reset = not turn.context.queue
        except TimeoutNodeNotFound:
            logger.debug("bot %s: no timeout node, clearing the context of %s", runtime.bot_id, user_id)
        except Exception as exc:  # never let a timeout take the janitor down
            logger.error("bot %s: could not process the timeout of %s: %s", runtime.bot_id, user_id, exc)
            turn.record_error("dialog-engine", f"timeout processing failed: {exc}")
        if reset:
            turn.clean_state()
        turn.drop_skill_frames()
        previous = record.model_copy(update={"timeouts": record.timeouts + 1})
        await self._save(runtime, turn, previous)
        if self.on_proactive is not None and (turn.responses or turn.errors):
            await self.on_proactive(runtime.bot_id, user_id, turn.to_result())
        return await self.store.load(runtime.bot_id, user_id)

    async def expire(self, now: float | None = None) -> int:
        """One janitor pass: expired sessions are emptied (user memory stays), expired contexts are
        processed as timeouts. Returns how many conversations were handled."""
        moment = self.clock() if now is None else now
        handled = 0
        for entry in await self.store.expired(moment):
            runtime = self._runtimes.get(entry.bot_id)
            if runtime is None:
                continue
            async with self.store.lock(entry.bot_id, entry.user_id):
                record = await self.store.load(entry.bot_id, entry.user_id)
                if record.session_expiry is not None and record.session_expiry <= moment:
                    record.expire_session()
                    await self.store.save(entry.bot_id, entry.user_id, record, {})
                    handled += 1
                elif (
                    record.context_expiry is not None
                    and record.context_expiry <= moment
                    and not record.context.is_empty
                ):
                    await self._timeout(runtime, entry.user_id, record)
                    handled += 1
        return handled

    async def run_janitor(self, interval: float | None = None) -> None:
        """Run janitor passes forever (the owner starts it as a task and cancels it at shutdown)."""
        delay = self.settings.janitor_interval if interval is None else interval
        while True:
            await asyncio.sleep(delay)
            try:
                await self.expire()
            except Exception:  # a failing pass is retried at the next interval
                logger.exception("janitor pass failed")


def _client_for(client: ApiClient | None, bundle: BotBundle) -> ApiClient | None:
    # flowbot's HTTP client derives a client per bot (its host policy and size limit), sharing
    # the connection pools; any other ApiClient is used as it is
    for_bot = getattr(client, "for_bot", None)
    return for_bot(bundle.definition.config.callApi) if callable(for_bot) else client
