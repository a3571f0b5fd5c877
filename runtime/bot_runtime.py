"""The runtime pieces of one bot, wired together: engine, instruction processor, decision engine, hooks."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict

from flowbot.runtime.actions import build_registry
from flowbot.runtime.bot import BotLoadError
from flowbot.runtime.callapi import ApiClient
from flowbot.runtime.conditions import evaluate_condition
from flowbot.runtime.content import render_content
from flowbot.runtime.content import render_content_type
from flowbot.runtime.decision import DecisionEngine
from flowbot.runtime.durations import DurationError
from flowbot.runtime.durations import parse_duration
from flowbot.runtime.engine import DialogEngine
from flowbot.runtime.flows import FlowIndex
from flowbot.runtime.hooks import Hooks
from flowbot.runtime.instructions import InstructionProcessor
from flowbot.runtime.instructions import InstructionTools
from flowbot.runtime.registry import BotBundle
from flowbot.runtime.turn import Turn


class RuntimeSettings(BaseModel):
    """Limits and defaults of the runtime (one validated object, passed down explicitly)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action_timeout: float = 10.0  # seconds a Python action may run
    hook_timeout: float = 5.0  # seconds a Python hook may run
    max_instructions: int = 1000  # per turn: a second guard after the 3-visits loop detection
    qna_min_confidence: float = 0.5  # Botpress's BP_DECISION_MIN_CONFIENCE
    context_timeout: str = "25m"  # dialog.timeoutInterval when the bot does not set it
    session_timeout: str = "30m"  # dialog.sessionTimeoutInterval when the bot does not set it
    janitor_interval: float = 10.0  # seconds between two janitor passes
    bot_url: str = ""  # prefixed to relative media paths (Botpress's BOT_URL / EXTERNAL_URL)


class BotRuntime:
    """Everything needed to run turns for one bot; built once per bot by the service."""

    def __init__(self, bundle: BotBundle, *, api_client: ApiClient | None, settings: RuntimeSettings) -> None:
        self.bundle = bundle
        self.bot = bundle.definition
        self.bot_id = bundle.bot_id
        self.renderer = bundle.renderer
        self.nlu = bundle.nlu
        self.bot_url = settings.bot_url
        self.hooks = Hooks(bundle.hooks, timeout=settings.hook_timeout)
        self.context_timeout, self.session_timeout = self._timeouts(settings)
        tools = InstructionTools(
            bot=self.bot,
            renderer=self.renderer,
            render_content=self.render_content,
            evaluate=evaluate_condition,
            actions=build_registry(bundle.actions),
            reply=self.reply,
            api_client=api_client,
            action_timeout=settings.action_timeout,
        )
        self.processor = InstructionProcessor(tools)
        self.engine = DialogEngine(
            FlowIndex(self.bot),
            self.processor,
            run_hook=self.hooks.run,
            max_instructions=settings.max_instructions,
        )
        self.decision = DecisionEngine(self.bot, self.processor.render_element, settings.qna_min_confidence)

    def _timeouts(self, settings: RuntimeSettings) -> tuple[float, float]:
        dialog = self.bot.config.dialog
        where = self.bot.root / "bot.config.json"
        try:
            context = parse_duration(dialog.timeoutInterval or settings.context_timeout)
            session = parse_duration(dialog.sessionTimeoutInterval or settings.session_timeout)
        except DurationError as exc:
            raise BotLoadError(self.bot.root, [f"{where}: dialog: {exc}"]) from exc
        return context, session

    def language_of(self, user: dict[str, Any]) -> str:
        language = user.get("language")
        return language if isinstance(language, str) and language else self.bot.config.defaultLanguage

    def render_content(
        self, content_type: str, form_data: dict[str, Any] | None, args: dict[str, Any], turn: Turn
    ) -> list[dict[str, Any]]:
        """A content element (``form_data`` given) or a content type rendered with ``args``."""
        variables = turn.variables()
        if form_data is None:
            return render_content_type(content_type, args, variables, self.renderer, bot_url=self.bot_url)
        default = self.bot.config.defaultLanguage
        return render_content(
            content_type,
            form_data,
            args,
            variables,
            self.renderer,
            turn.language,
            default,
            turn.rng,
            bot_url=self.bot_url,
        )

    async def reply(self, turn: Turn, payloads: list[dict[str, Any]]) -> None:
        """Send payloads: each goes through the ``before_outgoing`` hooks, then into the responses."""
        for payload in payloads:
            if self.hooks.has("before_outgoing"):
                await self.hooks.run("before_outgoing", turn, payload)
            turn.responses.append(payload)
