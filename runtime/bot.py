"""Reading a Botpress v12 bot folder into models, and the v12 flow validation rules.

A bot folder is what ``bot build`` writes and what Botpress v12 keeps under
``data/bots/<botId>/``: ``bot.config.json``, ``flows/**/*.flow.json`` (+ ``.ui.json``),
``content-elements/<type>.json``, ``intents/``, ``entities/``, ``qna/``, and optionally
``actions/`` and ``hooks/`` (Python, for flowbot).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import ValidationError

from flowbot.runtime.flow import BotConfig
from flowbot.runtime.flow import ContentElement
from flowbot.runtime.flow import EntityDefinition
from flowbot.runtime.flow import Flow
from flowbot.runtime.flow import FlowUi
from flowbot.runtime.flow import IntentDefinition
from flowbot.runtime.flow import QnaEntry

FLOW_SUFFIX = ".flow.json"
UI_SUFFIX = ".ui.json"


class BotLoadError(Exception):
    """A bot folder that cannot be read: each problem names the file and what is wrong."""

    def __init__(self, bot_dir: Path, problems: list[str]) -> None:
        self.bot_dir = bot_dir
        self.problems = problems
        super().__init__(f"cannot load bot {bot_dir}:\n" + "\n".join(f"  {p}" for p in problems))


class BotDefinition(BaseModel):
    """Everything a bot folder holds, as models. ``flows`` is keyed by the flow's name
    (its path relative to ``flows/``, e.g. ``main.flow.json`` or ``skills/choice-62d44d.flow.json``)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    bot_id: str
    root: Path
    config: BotConfig
    flows: dict[str, Flow] = Field(default_factory=dict)
    uis: dict[str, FlowUi] = Field(default_factory=dict)
    content: dict[str, ContentElement] = Field(default_factory=dict)
    content_types: dict[str, str] = Field(default_factory=dict)  # element id -> content type
    intents: list[IntentDefinition] = Field(default_factory=list)
    entities: list[EntityDefinition] = Field(default_factory=list)
    qna: list[QnaEntry] = Field(default_factory=list)

    def find_flow(self, name: str) -> str | None:
        """The stored name of a flow, looked up as Botpress does: case-insensitive, suffix optional."""
        wanted = name.lower()
        if not wanted.endswith(FLOW_SUFFIX):
            wanted += FLOW_SUFFIX
        for stored in self.flows:
            if stored.lower() == wanted:
                return stored
        return None

    @property
    def languages(self) -> list[str]:
        return self.config.languages or [self.config.defaultLanguage]


def _read_json(path: Path, problems: list[str]) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: cannot read: {exc}")
    except json.JSONDecodeError as exc:
        problems.append(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}")
    return None


def _parse(model: type[BaseModel], data: Any, path: Path, problems: list[str]) -> Any:
    if data is None:
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            problems.append(f"{path}: {where}: {err['msg']}")
    return None


def _load_flows(root: Path, bot: BotDefinition, problems: list[str]) -> None:
    flows_dir = root / "flows"
    for path in sorted(flows_dir.rglob(f"*{FLOW_SUFFIX}")):
        name = path.relative_to(flows_dir).as_posix()
        flow = _parse(Flow, _read_json(path, problems), path, problems)
        if flow is None:
            continue
        bot.flows[name] = flow
        ui_path = path.with_name(path.name[: -len(FLOW_SUFFIX)] + UI_SUFFIX)
        if ui_path.exists():
            ui = _parse(FlowUi, _read_json(ui_path, problems), ui_path, problems)
            if ui is not None:
                bot.uis[name] = ui


def _load_content(root: Path, bot: BotDefinition, problems: list[str]) -> None:
    for path in sorted((root / "content-elements").glob("*.json")):
        content_type = path.stem
        data = _read_json(path, problems)
        if data is None:
            continue
        if not isinstance(data, list):
            problems.append(f"{path}: expected a list of content elements")
            continue
        for index, item in enumerate(data):
            element = _parse(ContentElement, item, path.with_name(f"{path.name}[{index}]"), problems)
            if element is not None:
                bot.content[element.id] = element
                bot.content_types[element.id] = content_type


def _load_list(folder: Path, model: type[BaseModel], problems: list[str]) -> list[Any]:
    items = []
    for path in sorted(folder.glob("*.json")):
        item = _parse(model, _read_json(path, problems), path, problems)
        if item is not None:
            items.append(item)
    return items


def load_bot(root: Path | str, bot_id: str | None = None) -> BotDefinition:
    """Read a bot folder. Raises :class:`BotLoadError` listing every unreadable file."""
    root = Path(root)
    problems: list[str] = []
    if not root.is_dir():
        raise BotLoadError(root, [f"{root}: not a folder"])
    config_path = root / "bot.config.json"
    config = BotConfig()
    if config_path.exists():
        config = _parse(BotConfig, _read_json(config_path, problems), config_path, problems) or config
    bot = BotDefinition(bot_id=bot_id or config.id or root.name, root=root, config=config)
    _load_flows(root, bot, problems)
    _load_content(root, bot, problems)
    bot.intents = _load_list(root / "intents", IntentDefinition, problems)
    bot.entities = _load_list(root / "entities", EntityDefinition, problems)
    bot.qna = _load_list(root / "qna", QnaEntry, problems)
    if "main.flow.json" not in bot.flows:
        problems.append(f"{root / 'flows'}: the bot has no main.flow.json (a new conversation starts there)")
    problems.extend(f"{root / 'flows' / name}: {p}" for name, flow in bot.flows.items() for p in validate_flow(flow))
    if problems:
        raise BotLoadError(root, problems)
    return bot


def validate_flow(flow: Flow) -> list[str]:
    """The v12 flow validation rules (reference §1.1); an empty list means the flow is valid."""
    problems: list[str] = []
    if not flow.version.startswith("0."):
        problems.append(f"version must be a string starting with '0.' (got {flow.version!r})")
    names = {node.name for node in flow.nodes}
    if not isinstance(flow.startNode, str) or flow.startNode not in names:
        problems.append(f"startNode {flow.startNode!r} does not name a node of the flow")
    if flow.catchAll.onEnter is not None:
        problems.append("catchAll does not support onEnter")
    for node in flow.nodes:
        if len(node.id) <= 3:
            problems.append(f"node {node.name!r}: id {node.id!r} must be longer than 3 characters")
    return problems
