"""One ``bot chat`` conversation: what the user types, turned into turns of the conversation
service (the server's engine, in-process) and commands (``/nlu``, ``/memory``, ``/where``...).

The session prints through a rich :class:`~rich.console.Console` and knows nothing of the
terminal: ``bot chat`` feeds it lines from a prompt or a pipe, the tests feed it lines directly.
"""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.console import RenderableType
from rich.json import JSON
from rich.text import Text

from flowbot.chat.render import render_turn
from flowbot.runtime.conversation import IncomingMessage
from flowbot.runtime.conversation import TurnResult
from flowbot.runtime.service import ConversationService
from flowbot.testing.compare import describe_error
from flowbot.testing.compare import describe_place
from flowbot.testing.compare import place_of
from flowbot.testing.lines import Option
from flowbot.testing.lines import find_option
from flowbot.testing.lines import options_of
from flowbot.testing.lines import transcript_lines
from flowbot.testing.record import Recorder
from flowbot.testing.record import RecordingApi
from flowbot.testing.record import user_line
from flowbot.testing.runner import SEED
from flowbot.testing.runner import USER_ID

HELP = """\
Type a message and press Enter. A number answers with that choice or button.
  /nlu              what the NLU understood of your last message
  /memory [SCOPE]   the bot's memory after the last turn (user, session, temp or bot)
  /where            the flow and node of the last turn, and the nodes it went through
  /reset            start a new session (user memory stays)
  /replay FILE      send the user lines of a .convo test (its first test; FILE NAME for another)
                    or of a text file (one message per line)
  /help             this help
  /quit             leave (Ctrl-D works too)"""
SCOPES = ("user", "session", "temp", "bot")


class ChatSession:
    def __init__(
        self,
        service: ConversationService,
        bot_id: str,
        console: Console,
        *,
        user_id: str = USER_ID,
        recorder: Recorder | None = None,
        recording: RecordingApi | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.service = service
        self.bot_id = bot_id
        self.console = console
        self.user_id = user_id
        self.recorder = recorder
        self.recording = recording
        self.rng = rng  # the service's random source: reseeded when a new conversation starts
        self.last: TurnResult | None = None
        self.options: list[Option] = []
        self.done = False
        self._commands: dict[str, Callable[[str], Awaitable[None]]] = {
            "help": self._help,
            "nlu": self._nlu,
            "memory": self._memory,
            "where": self._where,
            "reset": self._reset,
            "replay": self._replay,
            "quit": self._quit,
            "exit": self._quit,
        }

    def show(self, renderable: RenderableType) -> None:
        """Print; on a pipe or a file without the padding rich adds to fill the width."""
        if self.console.is_terminal:
            self.console.print(renderable)
            return
        with self.console.capture() as captured:
            self.console.print(renderable)
        self.console.file.write("\n".join(line.rstrip() for line in captured.get().splitlines()) + "\n")

    async def handle(self, line: str) -> None:
        """One line typed by the user: a command, a number (an option), or a message."""
        text = line.strip()
        if not text:
            return
        if text.startswith("/") and not text.startswith("//"):
            name, _, argument = text[1:].partition(" ")
            command = self._commands.get(name.lower())
            if command is None:
                self.console.print(f"unknown command /{name}: type /help for the commands", style="yellow")
                return
            await command(argument.strip())
            return
        if text.isdigit() and 0 < int(text) <= len(self.options):
            option = self.options[int(text) - 1]
            self.console.print(Text(f"  ({option.label})", style="dim"))
            mode = "clicks" if option.card is not None else "picks"
            await self.send(option.payload, user_line(mode, option.label))
            return
        message = text[1:] if text.startswith("//") else text  # "//" sends a text that starts with "/"
        await self.send({"type": "text", "text": message}, user_line("says", message))

    async def send(self, payload: dict[str, Any], recorded_as: str) -> None:
        result = await self.service.converse(self.bot_id, self.user_id, IncomingMessage(payload=payload))
        self.last = result
        self.options = options_of(result.responses)
        shown = render_turn(result.responses)
        if shown is not None:
            self.show(shown)
        for error in result.errors:
            self.console.print(Text(f"! {describe_error(error)}", style="bold red"))
        if self.recorder is not None:
            exchanges = self.recording.take() if self.recording is not None else []
            self.recorder.turn(recorded_as, exchanges, transcript_lines(result.responses))

    # -- commands ------------------------------------------------------------------------------

    async def _help(self, argument: str) -> None:
        self.console.print(HELP, highlight=False)

    async def _quit(self, argument: str) -> None:
        self.done = True

    async def _nlu(self, argument: str) -> None:
        if self.last is None:
            self.console.print("nothing yet: send a message first", style="yellow")
            return
        nlu = self.last.nlu
        if argument == "json":
            self.console.print(JSON.from_data(nlu))
            return
        for line in nlu_summary(nlu):
            self.console.print(line, highlight=False)

    async def _memory(self, argument: str) -> None:
        scopes = [argument] if argument else list(SCOPES)
        if any(scope not in SCOPES for scope in scopes):
            self.console.print(
                f"unknown scope {argument!r}: choose among {', '.join(SCOPES)}", style="yellow"
            )
            return
        state = await self._state()
        for scope in scopes:
            self.console.print(Text(f"{scope}:", style="bold"))
            self.console.print(JSON.from_data(state.get(scope) or {}))

    async def _state(self) -> dict[str, Any]:
        if self.last is not None:
            return self.last.state
        record = await self.service.store.load(self.bot_id, self.user_id)
        memory = await self.service.store.load_bot_memory(self.bot_id)
        return {
            "user": record.user,
            "session": record.session,
            "temp": record.temp,
            "bot": memory,
            "context": record.context.to_dict(),
        }

    async def _where(self, argument: str) -> None:
        state = await self._state()
        place = place_of(state)
        waiting = " (waiting for your answer)" if place is not None else ""
        self.console.print(f"now at: {describe_place(place)}{waiting}", highlight=False)
        trace = state.get("__stacktrace") or []
        if trace:
            steps = [
                f"{str(s.get('flow', '')).removesuffix('.flow.json')}.{s.get('node', '')}" for s in trace
            ]
            self.console.print("last turn: " + " -> ".join(steps), highlight=False)

    async def _reset(self, argument: str) -> None:
        await self.service.reset_session(self.bot_id, self.user_id)
        self.last, self.options = None, []
        if self.rng is not None:
            self.rng.seed(SEED)
        if self.recorder is not None:
            self.recorder.new_test()
        self.console.print(
            "new session: context, session and temp memory are empty (user memory stays)", style="dim"
        )

    async def _replay(self, argument: str) -> None:
        from flowbot.chat.replay import replay_steps

        try:
            steps = replay_steps(argument)
        except ValueError as exc:
            self.console.print(str(exc), style="yellow", highlight=False)
            return
        for step in steps:
            self.console.print(Text(f"you> {step.display()}", style="bold"))
            if step.mode == "says":
                await self.handle(step.text if not step.text.startswith("/") else "/" + step.text)
                continue
            if step.mode == "payload":
                await self.send(dict(step.payload or {}), step.display())
                continue
            option = find_option(self.options, step.text, buttons=step.mode == "clicks")
            if option is None:
                self.console.print(
                    f"no option {step.text!r} in the last answer: replay stopped", style="yellow"
                )
                return
            await self.send(dict(option.payload), step.display())


def nlu_summary(nlu: dict[str, Any]) -> list[str]:
    """The NLU result in a few lines: intent, runner-up intents, entities, slots, language."""
    intent = nlu.get("intent") or {}
    head = f"intent: {intent.get('name', 'none')} ({_confidence(intent.get('confidence'))})"
    lines = [f"{head} in context {intent.get('context', 'global')}"]
    others = [
        i for i in nlu.get("intents") or [] if isinstance(i, dict) and i.get("name") != intent.get("name")
    ][:3]
    if others:
        lines.append(
            "other intents: "
            + ", ".join(f"{i.get('name')} {_confidence(i.get('confidence'))}" for i in others)
        )
    for entity in nlu.get("entities") or []:
        data = entity.get("data") or {}
        source = (entity.get("meta") or {}).get("source", "")
        lines.append(
            f"entity {entity.get('name')}: {json.dumps(data.get('value'), ensure_ascii=False)} "
            f"(from {json.dumps(source, ensure_ascii=False)})"
        )
    for name, slot in (nlu.get("slots") or {}).items():
        lines.append(f"slot {name}: {json.dumps((slot or {}).get('value'), ensure_ascii=False)}")
    lines.append(f"language: {nlu.get('language', 'n/a')}" + (" (ambiguous)" if nlu.get("ambiguous") else ""))
    return lines


def _confidence(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else "?"
