"""Pydantic models of a Botpress v12 bot folder: flows, content elements, NLU data, QnA, config.

This module is the contract between the compiler (which emits these files) and the runtime
(which executes them). Field names follow the v12 JSON exactly, so that ``model_dump`` of a
model is the file's content. Real Botpress files carry keys we do not use (``$schema``,
``createdBy``, ``color`` ...): the models keep them (``extra="allow"``) so that nothing a user
wrote is lost when a file is read and written back.

See ../shared/reference/botpress-v12.md §1 (flows), §7.4 (intents, entities, QnA), §9 (content)
and §11 (bot.config.json).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import field_validator


class _V12Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class SourceSpan(BaseModel):
    """Where a compiled element came from in the DSL source (flowbot extension, ignored by Botpress)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    line: int
    column: int


class Transition(_V12Model):
    """One entry of a node's ``next``: a JavaScript-style condition and a target.

    Targets: a node name, ``x.flow.json``, ``x.flow.json#node``, ``#``, ``#node``, ``##``,
    ``##node``, ``END``, or ``""`` (unconnected port, same as END).
    """

    condition: str
    node: str
    caption: str | None = None


class CatchAll(_V12Model):
    """Flow-wide behaviour: ``next`` is prepended to every node's transitions."""

    onReceive: list[str] | None = None
    next: list[Transition] | None = None
    onEnter: list[str] | None = None  # rejected by validation; kept so that it can be reported


class FlowNode(_V12Model):
    """A node of a flow. ``onReceive`` null means the node does not wait; a list, even empty, waits."""

    id: str
    name: str
    type: str | None = None
    onEnter: list[str] | None = None
    onReceive: list[str] | None = None
    next: list[Transition] = Field(default_factory=list)
    skill: str | None = None
    flow: str | None = None
    timeout: Any = None
    source: SourceSpan | None = None


class Flow(_V12Model):
    """The content of a ``<name>.flow.json`` file."""

    version: str = "0.0.1"
    catchAll: CatchAll = Field(default_factory=CatchAll)
    startNode: str | None = None
    nodes: list[FlowNode] = Field(default_factory=list)
    skillData: dict[str, Any] | None = None
    description: str | None = None
    label: str | None = None


class UiPosition(BaseModel):
    # Generated skill flows store empty positions ({}): the editor lays them out itself.
    x: float | None = None
    y: float | None = None


class UiNode(_V12Model):
    id: str
    position: UiPosition


class UiLink(_V12Model):
    source: str
    sourcePort: str
    target: str
    points: list[UiPosition] = Field(default_factory=list)


class FlowUi(_V12Model):
    """The content of a ``<name>.ui.json`` file: node positions and links for the graph editor."""

    nodes: list[UiNode] = Field(default_factory=list)
    links: list[UiLink] = Field(default_factory=list)


class ContentElement(_V12Model):
    """One element of ``content-elements/<contentType>.json``.

    ``formData`` keys are translated props such as ``text$en``; ``id`` is ``<contentType>-<suffix>``.
    """

    id: str
    formData: dict[str, Any] = Field(default_factory=dict)
    createdBy: str | None = None
    createdOn: str | None = None
    modifiedOn: str | None = None


class IntentSlot(_V12Model):
    name: str
    entities: list[str] = Field(default_factory=list)
    id: str | None = None
    color: int | None = None


class IntentDefinition(_V12Model):
    """``intents/<name>.json``. Utterances are per language; slots are annotated ``[text](slot)``."""

    name: str
    utterances: dict[str, list[str]] = Field(default_factory=dict)
    slots: list[IntentSlot] = Field(default_factory=list)
    contexts: list[str] = Field(default_factory=lambda: ["global"])


class EntityOccurrence(_V12Model):
    name: str
    synonyms: list[str] = Field(default_factory=list)


class EntityDefinition(_V12Model):
    """``entities/<name>.json``: a list entity (occurrences, fuzzy) or a pattern entity (regex)."""

    name: str
    type: str = "list"
    id: str | None = None
    occurrences: list[EntityOccurrence] = Field(default_factory=list)
    fuzzy: float | None = None
    pattern: str | None = None
    examples: list[str] = Field(default_factory=list)
    matchCase: bool | None = None
    sensitive: bool | None = None


class QnaData(_V12Model):
    action: str = "text"  # text | redirect | text_redirect
    contexts: list[str] = Field(default_factory=lambda: ["global"])
    enabled: bool = True
    answers: dict[str, list[str]] = Field(default_factory=dict)
    questions: dict[str, list[str]] = Field(default_factory=dict)
    redirectFlow: str = ""
    redirectNode: str = ""


class QnaEntry(_V12Model):
    """``qna/<id>.json``. Its questions are trained as the intent ``__qna__<id>``."""

    id: str
    data: QnaData

    @property
    def intent_name(self) -> str:
        return f"__qna__{self.id}"


class DialogConfig(_V12Model):
    timeoutInterval: str | None = None
    sessionTimeoutInterval: str | None = None


class CallApiConfig(_V12Model):
    """flowbot extension ``callApi`` of bot.config.json: limits of the Call API for this bot."""

    # Seconds; a node's own ``timeout`` arg overrides it. Never 0: a call always has a limit.
    timeout: float = Field(default=10.0, gt=0, allow_inf_nan=False)
    maxResponseBytes: int = Field(default=1_000_000, gt=0)
    allowHosts: list[str] = Field(default_factory=list)  # host names or CIDRs reachable even if private
    denyHosts: list[str] = Field(default_factory=list)

    @field_validator("allowHosts", "denyHosts")
    @classmethod
    def _readable_hosts(cls, entries: list[str]) -> list[str]:
        # Imported here because the Call API package imports this module; a bad entry is
        # reported when the bot is loaded, not at its first call.
        from flowbot.runtime.callapi.policy import HostList

        HostList.parse(entries)  # HostRuleError is a ValueError: pydantic reports it with its field
        return entries


class BotConfig(_V12Model):
    """``bot.config.json``. flowbot reads the Botpress keys and adds its own under documented names.

    flowbot extensions: ``templateEngine`` (``"mustache"``, the Botpress default, or ``"jinja2"``
    for bots compiled from the DSL), ``callApi`` and ``nlu``.
    """

    id: str | None = None
    name: str | None = None
    description: str | None = None
    version: str | None = None
    defaultLanguage: str = "en"
    languages: list[str] = Field(default_factory=lambda: ["en"])
    dialog: DialogConfig = Field(default_factory=DialogConfig)
    converse: dict[str, Any] = Field(default_factory=dict)
    disabled: bool = False
    private: bool = False
    active: bool | None = None
    templateEngine: str = "mustache"
    callApi: CallApiConfig = Field(default_factory=CallApiConfig)
    nlu: dict[str, Any] = Field(default_factory=dict)
