"""Running one instruction of a node's queue: say, action or transition (Botpress's strategies, §1.4-1.5).

The processor returns what the dialog engine does next: continue with the queue, wait for the
next message, or follow a transition. An action that fails becomes a transition to the error flow;
a say or a condition that cannot be processed raises :class:`InstructionError` and the engine
stops processing the turn, as Botpress does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from typing import Literal
from typing import Protocol

import orjson

from flowbot.errors import FlowbotError
from flowbot.runtime.actions import ActionContext
from flowbot.runtime.actions import ActionRegistry
from flowbot.runtime.actions.base import Renderer
from flowbot.runtime.bot import BotDefinition
from flowbot.runtime.callapi import ApiClient
from flowbot.runtime.fastjson import exact_dumps
from flowbot.runtime.state import Instruction
from flowbot.runtime.turn import Turn

logger = logging.getLogger("flowbot.runtime")


class ConditionEvaluator(Protocol):
    def __call__(
        self, expression: str, variables: dict[str, Any], *, last_node: str | None = None
    ) -> bool: ...


class ContentRenderer(Protocol):
    """Renders a content element (``formData`` with ``$<lang>`` keys) or a content type with args."""

    def __call__(
        self, content_type: str, form_data: dict[str, Any] | None, args: dict[str, Any], turn: Turn
    ) -> list[dict[str, Any]]: ...


Replier = Callable[[Turn, list[dict[str, Any]]], Awaitable[None]]


@dataclass(frozen=True)
class Outcome:
    kind: Literal["none", "wait", "transition"]
    target: str | None = None


CONTINUE = Outcome("none")
WAIT = Outcome("wait")


class InstructionError(FlowbotError):
    """An instruction that cannot be processed (bad JSON args, unknown content, broken condition)."""


@dataclass(frozen=True)
class InstructionTools:
    """The collaborators of the processor for one bot."""

    bot: BotDefinition
    renderer: Renderer
    render_content: ContentRenderer
    evaluate: ConditionEvaluator
    actions: ActionRegistry
    reply: Replier
    api_client: ApiClient | None
    action_timeout: float


def error_flow_of(turn: Turn) -> str:
    """Where errors go: ``temp.onErrorFlowTo`` when it is a non-empty string, else ``error.flow.json``."""
    target = turn.temp.get("onErrorFlowTo")
    return target if isinstance(target, str) and target else "error.flow.json"


def _json_args(text: str, what: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        args = json.loads(text)
    except json.JSONDecodeError:
        args = None
    if not isinstance(args, dict):
        raise InstructionError(f"{what} has invalid arguments (not a valid JSON string): {text}")
    return args


class InstructionProcessor:
    def __init__(self, tools: InstructionTools) -> None:
        self.tools = tools
        # instruction text -> (name or output type, parsed JSON args): a bot has a fixed set of
        # instructions, each parsed once. The parsed args are shared: they are never mutated.
        self._parsed: dict[str, tuple[str, dict[str, Any]]] = {}
        # (say instruction, language) -> its payloads as JSON, for elements that render the same
        # every time (see _static_payloads); None: this say must be rendered at every turn.
        self._static: dict[tuple[str, str], bytes | None] = {}

    def _parse(self, fn: str) -> tuple[str, dict[str, Any]]:
        parsed = self._parsed.get(fn)
        if parsed is None:
            if fn.startswith("say "):
                chunks = fn.split(" ")
                output_type = chunks[1]
                if not output_type:
                    raise InstructionError(
                        'Invalid text instruction. Expected an instruction along "say #text Something"'
                    )
                args = (
                    {}
                    if output_type.startswith("@")
                    else _json_args(" ".join(chunks[2:]), f'Say "{output_type}"')
                )
                parsed = (output_type, args)
            else:
                name, _, args_text = fn.partition(" ")
                parsed = (name, {} if ":" in name else _json_args(args_text, f'Action "{name}"'))
            self._parsed[fn] = parsed
        return parsed

    async def process(self, instruction: Instruction, turn: Turn) -> Outcome:
        if instruction.type == "wait":
            return WAIT
        if instruction.type == "transition":
            return self._transition(instruction, turn)
        fn = instruction.fn or ""
        if fn.startswith("say "):
            await self._say(instruction, fn, turn)
            return CONTINUE
        return await self._action(fn, turn)

    def _transition(self, instruction: Instruction, turn: Turn) -> Outcome:
        condition = instruction.fn
        if condition == "true":
            return Outcome("transition", instruction.node)
        if not condition:
            return CONTINUE
        stack = turn.stacktrace
        last_node = (stack[0] if len(stack) == 1 else stack[-2]).node if stack else None
        try:
            taken = self.tools.evaluate(condition, turn.variables(), last_node=last_node)
        except Exception as exc:  # a condition the evaluator rejects (syntax, unknown name...)
            raise InstructionError(f"condition {condition!r} cannot be evaluated: {exc}") from exc
        return Outcome("transition", instruction.node) if taken else CONTINUE

    async def _say(self, instruction: Instruction, fn: str, turn: Turn) -> None:
        output_type, args = self._parse(fn)
        if output_type.startswith("@"):
            args = dict(instruction.args) if isinstance(instruction.args, dict) else {}
            payloads = self.render_element(output_type, args, turn)
        else:
            payloads = self._say_payloads(fn, output_type, args, turn)
        turn.session.setdefault("lastMessages", []).append(
            {
                "eventId": turn.event.get("id"),
                "incomingPreview": turn.event.get("preview"),
                "replyConfidence": 1,
                "replySource": "dialogManager",
                "replyDate": turn.iso_now(),
                "replyPreview": output_type,
            }
        )
        await self.tools.reply(turn, payloads)

    def _say_payloads(
        self, fn: str, output_type: str, args: dict[str, Any], turn: Turn
    ) -> list[dict[str, Any]]:
        # Most elements hold no template and no variations: their payloads depend only on the
        # instruction and the language, so they are rendered once and copied afterwards (a copy:
        # hooks may change a payload, and each turn's responses are its own).
        key = (fn, turn.language)
        rendered = self._static.get(key)
        if rendered is not None:
            payloads: list[dict[str, Any]] = orjson.loads(rendered)
            return payloads
        payloads = self.render_element(output_type, args, turn)
        if key not in self._static:  # first time: is it static?
            self._static[key] = self._static_payloads(output_type, args, payloads)
        return payloads

    def _static_payloads(
        self, output_type: str, args: dict[str, Any], payloads: list[dict[str, Any]]
    ) -> bytes | None:
        element = self.tools.bot.content.get(output_type[2:]) if output_type.startswith("#!") else None
        if element is None or _may_vary(element.formData) or _may_vary(args):
            return None
        data = exact_dumps(payloads)
        # only what comes back equal (no NaN, no integer past 64 bits...) is kept
        return data if data is not None and orjson.loads(data) == payloads else None

    def render_element(self, output_type: str, args: dict[str, Any], turn: Turn) -> list[dict[str, Any]]:
        """``#!<elementId>`` renders a content element; ``#<type>`` / ``@<type>`` a content type."""
        name = output_type.lstrip("#@")
        if name.startswith("!"):
            element_id = name[1:]
            element = self.tools.bot.content.get(element_id)
            if element is None:
                raise InstructionError(f'Could not find content element "{element_id}"')
            content_type = self.tools.bot.content_types[element_id]
            return self.tools.render_content(content_type, element.formData, args, turn)
        return self.tools.render_content(name, None, args, turn)

    async def _action(self, fn: str, turn: Turn) -> Outcome:
        name, args = self._parse(fn)
        if ":" in name:
            logger.warning("bot %s: action servers are not supported, skipping %r", turn.bot_id, name)
            return CONTINUE
        variables = turn.variables()
        renderer = self.tools.renderer
        args = {k: renderer.render_value(v, variables) if isinstance(v, str) else v for k, v in args.items()}
        where = f"{turn.context.currentFlow}:{turn.context.currentNode}"
        action = self.tools.actions.get(name)
        try:
            if action is None:
                raise InstructionError(f'Action "{name}" not found in {where}')
            ctx = ActionContext(
                turn, args, self.tools.bot, renderer, self.tools.api_client, self.tools.action_timeout
            )
            await action(ctx)
        except Exception as exc:  # an action's failure is the bot's, never the server's
            message = _describe(exc, name, self.tools.action_timeout)
            logger.error(
                "bot %s, flow %s, node %s: action %r failed: %s",
                turn.bot_id,
                turn.context.currentFlow,
                turn.context.currentNode,
                name,
                message,
                exc_info=not isinstance(exc, InstructionError | TimeoutError),
            )
            turn.record_error("action-execution", f"action {name!r} failed: {message}")
            return Outcome("transition", error_flow_of(turn))
        return CONTINUE


def _may_vary(value: Any) -> bool:
    """Whether content data may render differently from one turn to the next: a string that may
    hold a template (every engine's markup starts with ``{``), or variations picked at random."""
    if isinstance(value, str):
        return "{" in value
    if isinstance(value, dict):
        return any(
            (isinstance(key, str) and key.startswith("variations")) or _may_vary(item)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return any(_may_vary(item) for item in value)
    return False


def _describe(exc: Exception, name: str, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"did not finish within {timeout:g} s"
    return f"{type(exc).__name__}: {exc}" if not isinstance(exc, InstructionError) else str(exc)
