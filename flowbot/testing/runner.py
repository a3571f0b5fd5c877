"""Running conversation tests on the real engine, in-process, offline.

Each test gets its own :class:`ConversationService` over the shared, already loaded bot (its
flows, Python code and NLU model): a memory store, a Call API answered by the test's mocks, a
clock that starts at the same instant every time and only moves on ``wait``, and a seeded random
source (so that variations are picked the same way on every run). Tests run concurrently on one
event loop; a test stops at its first failing turn, since later turns depend on it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from flowbot.runtime.bot_runtime import RuntimeSettings
from flowbot.runtime.conversation import IncomingMessage
from flowbot.runtime.conversation import TurnResult
from flowbot.runtime.registry import BotBundle
from flowbot.runtime.service import ConversationService
from flowbot.runtime.store import MemoryStore
from flowbot.testing.compare import Problem
from flowbot.testing.compare import check_at
from flowbot.testing.compare import check_lines
from flowbot.testing.compare import check_memory
from flowbot.testing.compare import check_request
from flowbot.testing.compare import describe_error
from flowbot.testing.compare import shown
from flowbot.testing.lines import Option
from flowbot.testing.lines import find_option
from flowbot.testing.lines import options_of
from flowbot.testing.lines import transcript_lines
from flowbot.testing.mocks import TranscriptApi
from flowbot.testing.model import AtCheck
from flowbot.testing.model import ErrorCheck
from flowbot.testing.model import MemoryCheck
from flowbot.testing.model import RequestCheck
from flowbot.testing.model import TestCase
from flowbot.testing.model import TestFile
from flowbot.testing.model import TurnPlan
from flowbot.testing.model import UserInput
from flowbot.testing.model import Wait

START_TIME = 1_700_000_000.0  # every test starts at the same instant
# A test talks as the user `bot chat` talks as, with the same random seed, so that a conversation
# recorded with `bot chat --record` replays as it was seen (an action that uses the user id, a
# `say` with variations).
USER_ID = "user"
SEED = 0
DEFAULT_CONCURRENCY = 32
TURN_TIME_LIMIT = 60.0  # seconds: a turn that takes longer is a failure, not a hang


class Failure(BaseModel):
    """Why a test failed: the turn (its input and file:line), what did not hold, what the bot said."""

    model_config = ConfigDict(frozen=True)

    turn: int
    input: str
    where: str
    problems: list[Problem]
    said: list[str] = Field(default_factory=list)


class CaseResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    file: str
    name: str
    line: int
    turns: int
    duration: float
    failure: Failure | None = None

    @property
    def passed(self) -> bool:
        return self.failure is None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


class TestClock:
    """The test's clock: fixed, moved on by ``wait`` and by mock delays."""

    __test__ = False  # not a pytest test class

    def __init__(self, start: float = START_TIME) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


class _Conversation:
    """One running test: its service, its mocks, and what the bot offered last."""

    def __init__(self, bundle: BotBundle, file: TestFile, settings: RuntimeSettings) -> None:
        self.bot_id = bundle.bot_id
        self.clock = TestClock()
        self.api = TranscriptApi((mock.rule for mock in file.mocks), clock=self.clock)
        self.proactive: list[TurnResult] = []
        self.service = ConversationService(
            {bundle.bot_id: bundle},
            MemoryStore(),
            api_client=self.api,
            clock=self.clock,
            rng=random.Random(SEED),
            settings=settings,
            on_proactive=self._on_proactive,
        )
        self.options: list[Option] = []

    async def _on_proactive(self, bot_id: str, user_id: str, result: TurnResult) -> None:
        self.proactive.append(result)

    async def play(self, plan: TurnPlan) -> tuple[list[dict[str, Any]], dict[str, Any], list[dict[str, Any]]]:
        """Run the turn's input: the responses, the state after it, and the runtime's errors."""
        self.api.add(mock.rule for mock in plan.mocks)
        self.api.exchanges.clear()
        step = plan.input
        if isinstance(step, Wait):
            self.clock.now += step.seconds
            self.proactive.clear()
            await self.service.expire()
            results = list(self.proactive)
            record = await self.service.store.load(self.bot_id, USER_ID)
            state = {
                "context": record.context.to_dict(),
                "user": record.user,
                "session": record.session,
                "temp": record.temp,
                "bot": await self.service.store.load_bot_memory(self.bot_id),
            }
        else:
            result = await self.service.converse(
                self.bot_id, USER_ID, IncomingMessage(payload=self.payload(step))
            )
            results, state = [result], result.state
        responses = [payload for result in results for payload in result.responses]
        errors = [error for result in results for error in result.errors]
        return responses, state, errors

    def payload(self, step: UserInput) -> dict[str, Any]:
        if step.mode == "says":
            return {"type": "text", "text": step.text}
        if step.mode == "payload":
            return dict(step.payload or {})
        option = find_option(self.options, step.text, buttons=step.mode == "clicks")
        if option is None:
            raise _NoOption(step, self.options)
        return dict(option.payload)


class _NoOption(Exception):
    def __init__(self, step: UserInput, options: list[Option]) -> None:
        wanted = "button" if step.mode == "clicks" else "choice"
        pool = [o.label for o in options if (o.card is not None) == (step.mode == "clicks")]
        offered = ", ".join(f"{n}. {label}" for n, label in enumerate(pool, 1)) or "none"
        super().__init__(f"the bot's last messages offer no {wanted} `{step.text}` (offered: {offered})")


def _check_turn(
    plan: TurnPlan,
    responses: list[dict[str, Any]],
    state: dict[str, Any],
    errors: list[dict[str, Any]],
    api: TranscriptApi,
    path: str,
) -> list[Problem]:
    problems: list[Problem] = []
    # a turn without bot lines checks other things (memory, where...), not what the bot says
    lines_problem = check_lines(plan.lines, transcript_lines(responses), path) if plan.lines else None
    if lines_problem is not None:
        problems.append(lines_problem)
    for check in plan.expectations:
        problem = None
        if isinstance(check, MemoryCheck):
            problem = check_memory(check, state, path)
        elif isinstance(check, AtCheck):
            problem = check_at(check, state, path)
        elif isinstance(check, RequestCheck):
            problem = check_request(check, api.exchanges, path)
        if problem is not None:
            problems.append(problem)
    problems.extend(_check_errors(plan, errors, path))
    for exchange in api.unmatched():
        request = exchange.request
        problems.append(
            Problem(
                message=f"no mock answers {request.method} {request.url}",
                details=[
                    f"add a mock before this turn, e.g. `mock {request.method} {request.url} -> 200 {{...}}`"
                ],
            )
        )
    return problems


def _check_errors(plan: TurnPlan, errors: list[dict[str, Any]], path: str) -> list[Problem]:
    """Without ``error`` lines a turn must report no runtime error; with them, each named type
    must be among the turn's errors (the errors that follow from it are accepted too)."""
    wanted = [check for check in plan.expectations if isinstance(check, ErrorCheck)]
    types = {str(error.get("type")) for error in errors}
    problems = []
    if not wanted and errors:
        problems.append(
            Problem(
                message=f"the bot reported an error ({path}:{plan.input.span.line})",
                details=[describe_error(error) for error in errors],
            )
        )
    for check in wanted:
        if check.error_type not in types:
            reported = ", ".join(sorted(types)) or "none"
            problems.append(
                Problem(
                    message=f"`{check.display()}` does not hold ({check.where(path)})",
                    details=[f"errors reported by this turn: {reported}"],
                )
            )
    return problems


async def _play_turn(
    conversation: _Conversation, plan: TurnPlan, path: str
) -> tuple[list[Problem], list[str]]:
    try:
        async with asyncio.timeout(TURN_TIME_LIMIT):
            responses, state, errors = await conversation.play(plan)
    except _NoOption as exc:
        return [Problem(message=str(exc))], []
    except TimeoutError:
        return [Problem(message=f"the turn did not finish within {TURN_TIME_LIMIT:.0f} s")], []
    except Exception as exc:  # noqa: BLE001 - the engine failing is a test failure, never a traceback
        return [Problem(message=f"the turn failed: {type(exc).__name__}: {exc}")], []
    conversation.options = options_of(responses) or conversation.options
    said = [shown(line.display()) for line in transcript_lines(responses)]
    return _check_turn(plan, responses, state, errors, conversation.api, path), said


async def run_case(
    bundle: BotBundle, file: TestFile, case: TestCase, settings: RuntimeSettings | None = None
) -> CaseResult:
    """Run one test to its end or its first failing turn."""
    started = time.perf_counter()
    conversation = _Conversation(bundle, file, settings or RuntimeSettings())
    await conversation.service.start(janitor=False)
    failure: Failure | None = None
    plans = case.turns()
    played = 0
    try:
        for plan in plans:
            played += 1
            problems, said = await _play_turn(conversation, plan, file.path)
            if problems:
                failure = Failure(
                    turn=plan.number,
                    input=plan.input.display(),
                    where=plan.input.where(file.path),
                    problems=problems,
                    said=said,
                )
                break
    finally:
        await conversation.service.close()
    return CaseResult(
        file=file.path,
        name=case.name,
        line=case.span.line,
        turns=played,
        duration=time.perf_counter() - started,
        failure=failure,
    )


async def run_cases(
    bundle: BotBundle,
    files: Sequence[TestFile],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    settings: RuntimeSettings | None = None,
) -> list[list[CaseResult]]:
    """Every test of every (error-free) file, concurrently; results by file, in the files' order."""
    limit = asyncio.Semaphore(max(concurrency, 1))

    async def bounded(file: TestFile, case: TestCase) -> CaseResult:
        async with limit:
            return await run_case(bundle, file, case, settings)

    tasks = [[asyncio.ensure_future(bounded(f, c)) for c in f.tests] if f.ok else [] for f in files]
    return [[await task for task in group] for group in tasks]
