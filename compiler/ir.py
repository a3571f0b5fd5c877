"""The intermediate representation: a bot as pydantic models, each carrying its source span.

The transformer (:mod:`flowbot.compiler.transform`) builds these from the Lark tree; the checks
read them; the emitters turn them into Botpress v12 files. One class per construct, named after
the grammar rule that builds it (``say_text`` → :class:`SayText`), with a ``kind`` discriminator.
The leaves (names, strings, values, paths, conditions) are in :mod:`ir_expr`, re-exported here.
"""

from __future__ import annotations

from typing import Annotated
from typing import Literal

from pydantic import BaseModel
from pydantic import Field

from flowbot.compiler.diagnostics import Span
from flowbot.compiler.ir_expr import And as And
from flowbot.compiler.ir_expr import BoolValue as BoolValue
from flowbot.compiler.ir_expr import Compare as Compare
from flowbot.compiler.ir_expr import Condition as Condition
from flowbot.compiler.ir_expr import Contains as Contains
from flowbot.compiler.ir_expr import FreeText as FreeText
from flowbot.compiler.ir_expr import IntentCond as IntentCond
from flowbot.compiler.ir_expr import IrModel as IrModel
from flowbot.compiler.ir_expr import IsSet as IsSet
from flowbot.compiler.ir_expr import ListValue as ListValue
from flowbot.compiler.ir_expr import LiteralOperand as LiteralOperand
from flowbot.compiler.ir_expr import Name as Name
from flowbot.compiler.ir_expr import Not as Not
from flowbot.compiler.ir_expr import NullValue as NullValue
from flowbot.compiler.ir_expr import NumberCall as NumberCall
from flowbot.compiler.ir_expr import NumberValue as NumberValue
from flowbot.compiler.ir_expr import ObjectValue as ObjectValue
from flowbot.compiler.ir_expr import Operand as Operand
from flowbot.compiler.ir_expr import Or as Or
from flowbot.compiler.ir_expr import Pair as Pair
from flowbot.compiler.ir_expr import Path as Path
from flowbot.compiler.ir_expr import PathKey as PathKey
from flowbot.compiler.ir_expr import PathOperand as PathOperand
from flowbot.compiler.ir_expr import SlotCond as SlotCond
from flowbot.compiler.ir_expr import StringValue as StringValue
from flowbot.compiler.ir_expr import TemplateValue as TemplateValue
from flowbot.compiler.ir_expr import Text as Text
from flowbot.compiler.ir_expr import Truthy as Truthy
from flowbot.compiler.ir_expr import Value as Value


# ------------------------------------------------------------------ transitions


class Target(IrModel):
    """Where a transition goes: a node of this flow, another flow (at a node), back to the caller
    (``return`` / ``return again``, optionally at a node of the caller), or the end."""

    kind: Literal["node", "flow", "return", "return_again", "end"]
    flow: Name | None = None
    node: Name | None = None
    span: Span


class Transition(IrModel):
    """``when <condition> -> target`` / ``else -> target`` / ``-> target``."""

    kind: Literal["when", "else", "goto"]
    condition: Condition | None = None
    target: Target
    span: Span

    @property
    def unconditional(self) -> bool:
        return self.condition is None


# ------------------------------------------------------------------ steps


class Option(IrModel):
    """A choice: ``option <value> "Title"`` (quick reply) or, in ``ask``, with synonyms and a target."""

    value: str
    value_span: Span
    title: Text
    synonyms: list[Text] = Field(default_factory=list)
    target: Target | None = None
    span: Span


class Message(IrModel):
    """Text to say, with its variations and display flags."""

    texts: list[Text]
    markdown: bool = False
    typing: bool = False
    span: Span


class SayText(IrModel):
    kind: Literal["say_text"] = "say_text"
    message: Message
    options: list[Option] = Field(default_factory=list)
    span: Span


class SayImage(IrModel):
    kind: Literal["say_image"] = "say_image"
    url: Text
    title: Text | None = None
    typing: bool = False
    span: Span


class Button(IrModel):
    action: Literal["say", "url", "postback"]
    title: Text
    value: Text
    span: Span


class Card(IrModel):
    title: Text
    subtitle: Text | None = None
    image: Text | None = None
    buttons: list[Button] = Field(default_factory=list)
    typing: bool = False
    span: Span


class SayCard(IrModel):
    kind: Literal["say_card"] = "say_card"
    card: Card
    span: Span


class SayCarousel(IrModel):
    kind: Literal["say_carousel"] = "say_carousel"
    cards: list[Card]
    typing: bool = False
    span: Span


class Listen(IrModel):
    kind: Literal["listen"] = "listen"
    span: Span


class SetStep(IrModel):
    kind: Literal["set"] = "set"
    path: Path
    value: Value
    span: Span


class UnsetStep(IrModel):
    kind: Literal["unset"] = "unset"
    path: Path
    span: Span


class Arg(IrModel):
    name: Name
    value: Value


class RunStep(IrModel):
    kind: Literal["run"] = "run"
    action: Name
    args: list[Arg] = Field(default_factory=list)
    span: Span


class ContextStep(IrModel):
    kind: Literal["context"] = "context"
    op: Literal["add", "remove", "reset"]
    names: list[Name] = Field(default_factory=list)
    ttl: int | None = None
    span: Span


class CallStep(IrModel):
    """``call METHOD "url"`` with its block: the Call API, inline in the node."""

    kind: Literal["call"] = "call"
    method: Name
    url: Text
    headers: ObjectValue | None = None
    body: Value | None = None
    timeout: float | None = None
    save: Path | None = None
    on_success: Target | None = None
    on_failure: Target | None = None
    span: Span


class AskStep(IrModel):
    """``ask "question"`` with options: the choice skill (retries, invalid answer, failure)."""

    kind: Literal["ask"] = "ask"
    message: Message
    options: list[Option]
    retries: int | None = None
    invalid: Message | None = None
    repeat: bool = False
    save: Path | None = None
    on_failure: Target | None = None
    span: Span


class FillStep(IrModel):
    """``fill <slot>``: the slot-filling skill."""

    kind: Literal["fill"] = "fill"
    intent: Name | None = None
    slot: Name
    ask: Message | None = None
    retry: Message | None = None
    retries: int | None = None
    expire_after: int | None = None
    validate_action: Name | None = None
    on_filled: Target | None = None
    on_already_filled: Target | None = None
    on_not_found: Target | None = None
    span: Span


Step = Annotated[
    SayText | SayImage | SayCard | SayCarousel | Listen | SetStep | UnsetStep | RunStep | ContextStep | CallStep | AskStep | FillStep,
    Field(discriminator="kind"),
]

NodeItem = Annotated[
    SayText | SayImage | SayCard | SayCarousel | Listen | SetStep | UnsetStep | RunStep | ContextStep | CallStep | AskStep | FillStep | Transition,
    Field(discriminator="kind"),
]

SKILL_KINDS = ("ask", "fill")
_TRANSITION_KINDS = frozenset({"when", "else", "goto"})
SAY_KINDS = ("say_text", "say_image", "say_card", "say_carousel")


# ------------------------------------------------------------------ declarations


class NodeDecl(IrModel):
    """A node: its steps and transitions, in source order (checks verify the order)."""

    name: Name
    body: list[NodeItem]
    span: Span

    # By kind, not isinstance (see walk.py): the checks and emitters ask for every node.
    @property
    def steps(self) -> list[Step]:
        return [item for item in self.body if item.kind not in _TRANSITION_KINDS]  # type: ignore[misc]

    @property
    def transitions(self) -> list[Transition]:
        return [item for item in self.body if item.kind in _TRANSITION_KINDS]  # type: ignore[misc]


class FlowDecl(IrModel):
    name: Name
    start: Name | None = None
    description: Text | None = None
    catch_all: list[Transition] = Field(default_factory=list)
    nodes: list[NodeDecl] = Field(default_factory=list)
    span: Span

    @property
    def file_name(self) -> str:
        return f"{self.name.value}.flow.json"


class SlotDecl(IrModel):
    name: Name
    entities: list[Name]
    span: Span


class IntentDecl(IrModel):
    name: Name
    utterances: list[FreeText] = Field(default_factory=list)
    slots: list[SlotDecl] = Field(default_factory=list)
    contexts: list[Name] = Field(default_factory=list)
    span: Span


class Occurrence(IrModel):
    value: str
    synonyms: list[str] = Field(default_factory=list)
    span: Span


class EntityDecl(IrModel):
    name: Name
    type: Literal["list", "pattern"]
    occurrences: list[Occurrence] = Field(default_factory=list)
    fuzzy: float | None = None
    pattern: Text | None = None
    examples: list[Text] = Field(default_factory=list)
    match_case: bool = False
    sensitive: bool = False
    span: Span


class QnaDecl(IrModel):
    name: Name
    questions: list[FreeText] = Field(default_factory=list)
    answers: list[FreeText] = Field(default_factory=list)
    contexts: list[Name] = Field(default_factory=list)
    redirect: Target | None = None
    enabled: bool = True
    span: Span


class Duration(IrModel):
    text: str
    seconds: float
    span: Span


class BotDecl(IrModel):
    id: Name
    title: Text
    languages: list[Name] = Field(default_factory=list)
    description: Text | None = None
    version: Text | None = None
    timeout: Duration | None = None
    session_timeout: Duration | None = None
    api_timeout: Duration | None = None
    api_allow: list[Text] = Field(default_factory=list)
    api_deny: list[Text] = Field(default_factory=list)
    api_max_response: int | None = None
    span: Span


class FileIr(IrModel):
    """Everything one ``.flow`` file declares."""

    file: str
    bots: list[BotDecl] = Field(default_factory=list)
    flows: list[FlowDecl] = Field(default_factory=list)
    intents: list[IntentDecl] = Field(default_factory=list)
    entities: list[EntityDecl] = Field(default_factory=list)
    qnas: list[QnaDecl] = Field(default_factory=list)


class CodeFile(IrModel):
    """A Python file of the bot folder: ``actions/<name>.py`` or ``hooks/<hook>/<file>.py``."""

    path: str  # relative to the bot folder, posix
    name: str  # action name (``lookup_order``, ``orders/refund``) or hook folder name
    text: str


class Program(IrModel):
    """The whole bot: every file's declarations, merged, plus its Python actions and hooks."""

    files: list[str] = Field(default_factory=list)
    bots: list[BotDecl] = Field(default_factory=list)
    flows: list[FlowDecl] = Field(default_factory=list)
    intents: list[IntentDecl] = Field(default_factory=list)
    entities: list[EntityDecl] = Field(default_factory=list)
    qnas: list[QnaDecl] = Field(default_factory=list)
    actions: list[CodeFile] = Field(default_factory=list)
    hooks: list[CodeFile] = Field(default_factory=list)

    @property
    def bot(self) -> BotDecl | None:
        return self.bots[0] if self.bots else None


for _model in list(globals().values()):
    if isinstance(_model, type) and issubclass(_model, BaseModel) and _model is not BaseModel:
        _model.model_rebuild()
