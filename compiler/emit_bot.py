"""The whole bot folder (contract §1): ``bot.config.json``, flows and layouts, content elements,
intents, entities and QnA, as a map of relative path → JSON data, plus the Python files to copy.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from flowbot.compiler import ir
from flowbot.compiler.content import ContentStore
from flowbot.compiler.emit_flows import FlowEmitter
from flowbot.compiler.ids import IdRegistry
from flowbot.compiler.layout import layout
from flowbot.compiler.layout import skill_layout
from flowbot.compiler.symbols import Symbols
from flowbot.runtime.flow import BotConfig
from flowbot.runtime.flow import EntityDefinition
from flowbot.runtime.flow import EntityOccurrence
from flowbot.runtime.flow import IntentDefinition
from flowbot.runtime.flow import IntentSlot
from flowbot.runtime.flow import QnaData
from flowbot.runtime.flow import QnaEntry

DEFAULT_LANGUAGE = "en"


class BotFolder(BaseModel):
    """What ``bot build`` writes: JSON files by relative path, and Python files to copy."""

    model_config = ConfigDict(frozen=True)

    files: dict[str, Any] = Field(default_factory=dict)
    code: list[ir.CodeFile] = Field(default_factory=list)


def emit_bot(program: ir.Program, symbols: Symbols) -> BotFolder:
    bot = program.bot
    assert bot is not None
    language = bot.languages[0].value if bot.languages else DEFAULT_LANGUAGE
    ids = IdRegistry()
    content = ContentStore(ids, language)
    flows = FlowEmitter(symbols, ids, content).emit()
    files: dict[str, Any] = {"bot.config.json": _config(bot, language)}
    for name, flow in flows.flows.items():
        files[f"flows/{name}"] = flow
        files[f"flows/{name[: -len('.flow.json')]}.ui.json"] = skill_layout(flow) if name in flows.skills else layout(flow)
    for content_type, elements in content.elements.items():
        files[f"content-elements/{content_type}.json"] = elements
    for intent in symbols.intents.values():
        files[f"intents/{intent.name.value}.json"] = _intent(intent, language)
    for entity in symbols.entities.values():
        files[f"entities/{entity.name.value}.json"] = _entity(entity)
    for qna in symbols.qnas.values():
        entry = _qna(qna, symbols, language)
        files[f"qna/{entry.id}.json"] = entry.model_dump(mode="json")
        files[f"intents/{entry.intent_name}.json"] = IntentDefinition(
            name=entry.intent_name,
            utterances=entry.data.questions,
            slots=[],
            contexts=entry.data.contexts,
        ).model_dump(mode="json", exclude_none=True)
    return BotFolder(files=dict(sorted(files.items())), code=[*program.actions, *program.hooks])


def _integral(number: float) -> int | float:
    return int(number) if float(number).is_integer() else number


def _duration(duration: ir.Duration) -> str:
    return duration.text if not duration.text.replace(".", "", 1).isdigit() else f"{duration.text}s"


def _config(bot: ir.BotDecl, language: str) -> dict[str, Any]:
    data: dict[str, Any] = {"id": bot.id.value, "name": bot.title.value}
    if bot.description is not None:
        data["description"] = bot.description.value
    if bot.version is not None:
        data["version"] = bot.version.value
    data["defaultLanguage"] = language
    data["languages"] = [name.value for name in bot.languages] or [language]
    dialog = {}
    if bot.timeout is not None:
        dialog["timeoutInterval"] = _duration(bot.timeout)
    if bot.session_timeout is not None:
        dialog["sessionTimeoutInterval"] = _duration(bot.session_timeout)
    if dialog:
        data["dialog"] = dialog
    data["templateEngine"] = "jinja2"
    call_api: dict[str, Any] = {}
    if bot.api_timeout is not None:
        call_api["timeout"] = _integral(bot.api_timeout.seconds)
    if bot.api_max_response is not None:
        call_api["maxResponseBytes"] = bot.api_max_response
    if bot.api_allow:
        call_api["allowHosts"] = [t.value for t in bot.api_allow]
    if bot.api_deny:
        call_api["denyHosts"] = [t.value for t in bot.api_deny]
    if call_api:
        data["callApi"] = call_api
    BotConfig.model_validate(data)  # the runtime must be able to read what we write
    return data


def _contexts(names: list[ir.Name]) -> list[str]:
    return list(dict.fromkeys(n.value for n in names)) or ["global"]


def _intent(intent: ir.IntentDecl, language: str) -> dict[str, Any]:
    model = IntentDefinition(
        name=intent.name.value,
        utterances={language: [u.value for u in intent.utterances]},
        slots=[
            IntentSlot(name=slot.name.value, entities=[e.value for e in slot.entities], color=index + 1)
            for index, slot in enumerate(intent.slots)
        ],
        contexts=_contexts(intent.contexts),
    )
    return model.model_dump(mode="json", exclude_none=True)


def _entity(entity: ir.EntityDecl) -> dict[str, Any]:
    name = entity.name.value
    if entity.type == "list":
        model = EntityDefinition(
            id=name,
            name=name,
            type="list",
            occurrences=[EntityOccurrence(name=o.value, synonyms=o.synonyms) for o in entity.occurrences],
            fuzzy=entity.fuzzy,
            examples=[],
            sensitive=entity.sensitive,
        )
    else:
        assert entity.pattern is not None
        model = EntityDefinition(
            id=name,
            name=name,
            type="pattern",
            pattern=entity.pattern.value,
            examples=[e.value for e in entity.examples],
            matchCase=entity.match_case,
            sensitive=entity.sensitive,
        )
    return model.model_dump(mode="json", exclude_none=True, exclude={"occurrences"} if entity.type == "pattern" else set())


def _qna(qna: ir.QnaDecl, symbols: Symbols, language: str) -> QnaEntry:
    redirect_flow = redirect_node = ""
    if qna.redirect is not None and qna.redirect.flow is not None:
        flow = qna.redirect.flow.value
        redirect_flow = f"{flow}.flow.json"
        redirect_node = qna.redirect.node.value if qna.redirect.node is not None else (symbols.start_node(flow) or "")
    answers = [a.value for a in qna.answers]
    action = "text_redirect" if answers and redirect_flow else ("redirect" if redirect_flow else "text")
    data = QnaData(
        action=action,
        contexts=_contexts(qna.contexts),
        enabled=qna.enabled,
        answers={language: answers},
        questions={language: [q.value for q in qna.questions]},
        redirectFlow=redirect_flow,
        redirectNode=redirect_node,
    )
    return QnaEntry(id=qna.name.value, data=data)
