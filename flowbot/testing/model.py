"""Conversation tests as values: what a ``.convo`` file says, parsed and checked.

A :class:`TestFile` holds file-wide mocks and :class:`TestCase` s; a test case is a list of steps
in the order written. Input steps (``user ...``, ``wait``) start a turn; the expectations after an
input step check that turn; ``mock`` steps change the mocks from that point on.
"""

from __future__ import annotations

from typing import Annotated
from typing import Any
from typing import ClassVar
from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from flowbot.compiler.diagnostics import Diagnostic
from flowbot.compiler.diagnostics import Span
from flowbot.runtime.callapi import MockRule

BotLineKind = Literal["bot", "choices", "image", "card", "carousel", "payload"]
SCOPES = ("user", "session", "temp", "bot")


class _Step(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    span: Span

    def where(self, path: str) -> str:
        return f"{path}:{self.span.line}"


class UserInput(_Step):
    """What the user sends: text (``user: hi``), a choice of the bot's last message (``user picks:
    Pricing`` or ``user picks: 2``), a card button (``user clicks: Veggie / Order it``) or a raw
    payload (``user payload: {"type": "postback", "payload": "X"}``)."""

    kind: Literal["user"] = "user"
    mode: Literal["says", "picks", "clicks", "payload"]
    text: str
    payload: dict[str, Any] | None = None

    def display(self) -> str:
        if self.mode == "says":
            return f"user: {self.text}"
        return f"user {self.mode}: {self.text}"


class Wait(_Step):
    """``wait 30m``: time passes (the test's clock moves on); timeouts due by then are processed."""

    kind: Literal["wait"] = "wait"
    seconds: float
    text: str

    def display(self) -> str:
        return f"wait {self.text}"


class ExpectLine(_Step):
    """An expected bot line: ``bot: exact text`` or ``bot ~ pattern`` (a regular expression that
    must match the whole line)."""

    kind: Literal["expect"] = "expect"
    line: BotLineKind
    text: str
    pattern: bool = False

    def display(self) -> str:
        return f"{self.line} {'~' if self.pattern else ':'} {self.text}".replace(" :", ":", 1)


class More(_Step):
    """``...``: the bot may say more after the lines above (only as the last line of a turn)."""

    kind: Literal["more"] = "more"

    def display(self) -> str:
        return "..."


class MemoryCheck(_Step):
    """``memory session.count == 2``, ``!=``, ``~ pattern``, ``is set``, ``is not set``."""

    kind: Literal["memory"] = "memory"
    path: str
    segments: list[str | int]
    op: Literal["==", "!=", "~", "set", "unset"]
    value: Any = None
    text: str = ""

    def display(self) -> str:
        if self.op == "set":
            return f"memory {self.path} is set"
        if self.op == "unset":
            return f"memory {self.path} is not set"
        return f"memory {self.path} {self.op} {self.text}"


class AtCheck(_Step):
    """``at lookup.city`` (flow and node), ``at city`` (node only) or ``at end`` (no active flow)."""

    kind: Literal["at"] = "at"
    place: str

    def display(self) -> str:
        return f"at {self.place}"


class ErrorCheck(_Step):
    """``error action-execution``: the turn reports a runtime error of that type (without it, any
    runtime error fails the test)."""

    kind: Literal["error"] = "error"
    error_type: str

    def display(self) -> str:
        return f"error {self.error_type}"


class RequestCheck(_Step):
    """``request POST https://api.example.com/orders {"size": "large"}``: the turn sent a request
    with that method and URL (``*`` matches anything), and that body when one is given (JSON
    compared as JSON, else text)."""

    kind: Literal["request"] = "request"
    method: str
    url: str
    body: Any = None
    body_text: str | None = None

    def display(self) -> str:
        return f"request {self.method} {self.url}" + (
            f" {self.body_text}" if self.body_text is not None else ""
        )


class Mock(_Step):
    """``mock GET https://api.example.com/* -> 200 {"ok": true}``: Call API requests whose method and
    URL match are answered with this status, body and headers (or a network failure)."""

    kind: Literal["mock"] = "mock"
    rule: MockRule

    def display(self) -> str:
        return f"mock {self.rule.method} {self.rule.url} -> {self.rule.status}"


Step = Annotated[
    UserInput | Wait | ExpectLine | More | MemoryCheck | AtCheck | ErrorCheck | RequestCheck | Mock,
    Field(discriminator="kind"),
]
Expectation = ExpectLine | More | MemoryCheck | AtCheck | ErrorCheck | RequestCheck


class TurnPlan(BaseModel):
    """One turn of a test: the mocks added before it, its input and its expectations."""

    model_config = ConfigDict(frozen=True)

    number: int
    mocks: list[Mock]
    input: UserInput | Wait
    expectations: list[Expectation]

    @property
    def lines(self) -> list[ExpectLine | More]:
        return [e for e in self.expectations if isinstance(e, ExpectLine | More)]


class TestCase(BaseModel):
    model_config = ConfigDict(frozen=True)
    __test__: ClassVar[bool] = False  # not a pytest test class

    name: str
    span: Span
    steps: list[Step]

    def turns(self) -> list[TurnPlan]:
        """The steps grouped into turns (the parser has checked that expectations follow an input)."""
        drafts: list[tuple[list[Mock], UserInput | Wait, list[Expectation]]] = []
        mocks: list[Mock] = []
        for step in self.steps:
            if isinstance(step, Mock):
                mocks.append(step)
            elif isinstance(step, UserInput | Wait):
                drafts.append((mocks, step, []))
                mocks = []
            elif drafts:
                drafts[-1][2].append(step)
        return [TurnPlan(number=n, mocks=m, input=i, expectations=e) for n, (m, i, e) in enumerate(drafts, 1)]


class TestFile(BaseModel):
    """A parsed ``.convo`` file. ``path`` is how it is shown (relative to where the command runs);
    ``diagnostics`` are its syntax errors (a file with errors runs no test)."""

    model_config = ConfigDict(frozen=True)
    __test__: ClassVar[bool] = False  # not a pytest test class

    path: str
    mocks: list[Mock] = Field(default_factory=list)
    tests: list[TestCase] = Field(default_factory=list)
    diagnostics: list[Diagnostic] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)
