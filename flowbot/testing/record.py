"""Writing conversations as ``.convo`` tests (``bot chat --record FILE``).

Each turn is written as the user's line, the Call API exchanges it made as mocks placed before
it (so that the test replays offline, with the answers seen live), and the bot's lines. The file
is rewritten after every turn, so that nothing is lost if the chat stops abruptly; a file that
already exists keeps its content and gets a new test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flowbot.runtime.callapi import ApiClient
from flowbot.runtime.callapi import ApiRequest
from flowbot.runtime.callapi import ApiResponse
from flowbot.testing.lines import BotLine
from flowbot.testing.parse import parse_convo

DEFAULT_NAME = "recorded conversation"
INDENT = "  "


class RecordingApi:
    """Passes requests to ``inner`` and keeps every exchange until :meth:`take` is called."""

    def __init__(self, inner: ApiClient) -> None:
        self.inner = inner
        self._exchanges: list[tuple[ApiRequest, ApiResponse]] = []

    async def send(self, request: ApiRequest) -> ApiResponse:
        response = await self.inner.send(request)
        self._exchanges.append((request, response))
        return response

    def take(self) -> list[tuple[ApiRequest, ApiResponse]]:
        taken, self._exchanges = self._exchanges, []
        return taken

    async def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            await close()

    def for_bot(self, limits: Any) -> RecordingApi:
        # the server's client derives one client per bot; keep recording through the derived one
        for_bot = getattr(self.inner, "for_bot", None)
        if not callable(for_bot):
            return self
        derived = RecordingApi(for_bot(limits))
        derived._exchanges = self._exchanges
        return derived


def text_block(text: str, indent: str) -> str:
    """Text after ``user:`` or ``bot:``: as is on one line, or a ``\"\"\"`` block over several."""
    if "\n" not in text and text == text.strip() and text and '"""' not in text:
        return text
    body = "\n".join(f"{indent}{INDENT}{line}" if line else "" for line in text.split("\n"))
    return f'"""\n{body}\n{indent}{INDENT}"""'


def mock_line(request: ApiRequest, response: ApiResponse, indent: str) -> str:
    head = f"{indent}mock {request.method} {request.url} -> {response.status}"
    if response.body is None or isinstance(response.status, str):
        return head
    body = response.body if isinstance(response.body, str) else json.dumps(response.body, ensure_ascii=False)
    if not body.strip() or body.lstrip().startswith("#"):
        return head
    return f"{head} {text_block(body, indent)}"


class Recorder:
    """Accumulates the turns of one conversation and writes the file after each."""

    def __init__(self, path: Path, bot_name: str) -> None:
        self.path = path
        existing = path.read_text(encoding="utf-8") if path.is_file() else ""
        self._prefix = (
            existing.rstrip("\n") + "\n\n"
            if existing.strip()
            else (
                f"# A conversation with {bot_name}, recorded by `bot chat --record`.\n"
                "# Edit it freely (patterns, memory checks...): see docs/testing.md.\n\n"
            )
        )
        taken = {test.name for test in parse_convo(existing, str(path)).tests} if existing.strip() else set()
        self._tests: list[tuple[str, list[str]]] = []
        self._taken = taken
        self.new_test()

    def new_test(self) -> None:
        """Start a new test (after ``/reset``): the conversation starts over."""
        if self._tests and not self._tests[-1][1]:
            return
        name, number = DEFAULT_NAME, 1
        while name in self._taken:
            number += 1
            name = f"{DEFAULT_NAME} {number}"
        self._taken.add(name)
        self._tests.append((name, []))

    def turn(self, user: str, exchanges: list[tuple[ApiRequest, ApiResponse]], said: list[BotLine]) -> None:
        lines = self._tests[-1][1]
        lines.extend(mock_line(request, response, INDENT) for request, response in exchanges)
        lines.append(f"{INDENT}{user}")
        lines.extend(f"{INDENT}{line.kind}: {text_block(line.text, INDENT)}" for line in said)
        self.write()

    def render(self) -> str:
        blocks = [
            f"test {json.dumps(name, ensure_ascii=False)}\n" + "\n".join(lines)
            for name, lines in self._tests
            if lines
        ]
        return self._prefix + "\n\n".join(blocks) + ("\n" if blocks else "")

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(self.render(), encoding="utf-8")


def user_line(mode: str, text: str) -> str:
    """The ``user`` step for what was sent: ``user: text``, ``user picks: Title``..."""
    shown = text_block(text, INDENT)
    return f"user: {shown}" if mode == "says" else f"user {mode}: {shown}"
