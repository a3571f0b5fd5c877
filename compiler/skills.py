"""The choice and slot-filling skills: a ``skill-call`` node in the flow and a generated skill
flow in ``flows/skills/``, shaped exactly as Botpress v12.30.9's generators shape them
(``modules/basic-skills/src/backend/choice_legacy.ts`` and ``slot.ts``), so that the runtime
runs them as it runs the skills of real Botpress bots. The instruction strings keep Botpress's
exact spelling (including its odd spaces, e.g. ``"value": 0``).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict

from flowbot.compiler import ir
from flowbot.compiler.content import ContentStore
from flowbot.compiler.ids import IdRegistry

# Flows and nodes are their JSON, keys in the order of the runtime's models (see emit_flows).
JsonDict = dict[str, Any]

DEFAULT_CHOICE_RETRIES = 3
DEFAULT_SLOT_RETRIES = 3
_SET = 'builtin/setVariable {{"type":"temp","name":"{name}","value":{value}}}'


def compact(data: Any) -> str:
    """JSON as ``JSON.stringify`` writes it (no spaces)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


class SkillFlow(BaseModel):
    """A generated skill: the node that calls it, and the flow it runs (``skills/<name>``)."""

    model_config = ConfigDict(frozen=True)

    node: JsonDict
    flow_name: str
    flow: JsonDict


def _skill_node(ids: IdRegistry, suffix: str, name: str, on_enter: list[str], next_: list[JsonDict],
                source: JsonDict, on_receive: list[str] | None = None, **extra: Any) -> JsonDict:
    fields: JsonDict = {"id": ids.skill_node_id(suffix, name), "name": name, "onEnter": on_enter}
    if on_receive is not None:
        fields["onReceive"] = on_receive
    fields["next"] = next_
    fields["source"] = dict(source)
    return {**fields, **extra}


def _go(condition: str, node: str) -> JsonDict:
    return {"condition": condition, "node": node}


def choice_skill(step: ir.AskStep, where: tuple[str, str], targets: dict[str, str], failure: str,
                 ids: IdRegistry, content: ContentStore, source: JsonDict) -> SkillFlow:
    """``ask`` → the legacy choice skill. ``targets`` maps option values to transition targets."""
    flow, node = where
    suffix = ids.skill_suffix("choice", flow, node)
    rid = ids.random_id("choice", flow, node)
    content_id = content.message(step.message, (flow, node, "ask"), step.options)
    invalid_id = content.message(step.invalid, (flow, node, "invalid")) if step.invalid is not None else ""
    keywords = {o.value: list(dict.fromkeys([o.value, o.title.value, *(s.value for s in o.synonyms)])) for o in step.options}
    retries = min(step.retries if step.retries is not None else DEFAULT_CHOICE_RETRIES, 10)
    data = {
        "randomId": rid,
        "contentId": content_id,
        "invalidContentId": invalid_id,
        "keywords": keywords,
        "config": {"nbMaxRetries": retries, "repeatChoicesOnInvalid": step.repeat, "variableName": ""},
    }
    nodes = _choice_nodes(step, data, ids, suffix, source)
    next_ = [
        {
            "condition": f"temp['skill-choice-ret-{rid}'] == {json.dumps(o.value, ensure_ascii=False)}",
            "node": targets[o.value],
            "caption": f"User picked [{_short(o.value)}]",
        }
        for o in step.options
    ]
    next_.append({"condition": "true", "node": failure, "caption": "On failure"})
    return _finish("choice", suffix, node, next_, nodes, "entry", data, source)


def _choice_nodes(step: ir.AskStep, data: dict[str, Any], ids: IdRegistry, suffix: str,
                  source: JsonDict) -> list[JsonDict]:
    """The four nodes of the legacy choice skill: entry, parse (waits), invalid, sorry."""
    rid, content_id, invalid_id = data["randomId"], data["contentId"], data["invalidContentId"]
    retries = data["config"]["nbMaxRetries"]
    ask = f"say #!{content_id} {compact({'skill': 'choice'})}"
    parse = [f"basic-skills/choice_parse_answer {compact(data)}"]
    if step.save is not None:
        # flowbot extension: keep the chosen value in memory (`ask ... -> session.size`).
        save = {
            "type": step.save.scope.value,
            "name": ".".join(str(k.key) for k in step.save.keys),
            "value": f"{{{{ temp['skill-choice-ret-{rid}'] }}}}",
        }
        parse.append(f"builtin/setVariable {compact(save)}")
    sorry = ([f"say #!{invalid_id} {{}}"] if invalid_id else []) + ([ask] if step.repeat else [])
    return [
        _skill_node(ids, suffix, "entry", [
            _SET.format(name=f"skill-choice-invalid-count-{rid}", value=" 0"),
            _SET.format(name=f"skill-choice-valid-{rid}", value=" null"),
            _SET.format(name=f"skill-choice-ret-{rid}", value=" null"),
            ask,
        ], [_go("true", "parse")], source),
        _skill_node(ids, suffix, "parse", [], [
            _go(f"temp['skill-choice-valid-{rid}'] === true", "#"),
            _go("true", "invalid"),
        ], source, on_receive=parse,
            triggers=[{"conditions": [{"id": "always"}]}]),
        _skill_node(ids, suffix, "invalid", [f"basic-skills/choice_invalid_answer {compact({'randomId': rid})}"], [
            _go(f"Number(temp['skill-choice-invalid-count-{rid}']) > Number({retries})", "#"),
            _go("true", "sorry"),
        ], source),
        _skill_node(ids, suffix, "sorry", sorry, [_go("true", "parse")], source),
    ]


def _short(choice: str) -> str:
    return choice[:7] + "..." if len(choice) > 8 else choice


def _finish(skill: str, suffix: str, node: str, next_: list[JsonDict], nodes: list[JsonDict], start: str,
            data: dict[str, Any], source: JsonDict) -> SkillFlow:
    flow_name = f"skills/{skill}-{suffix}.flow.json"
    parent = {
        "id": f"skill-{suffix}", "name": node, "type": "skill-call", "onEnter": None, "onReceive": None,
        "next": next_, "skill": skill, "flow": flow_name, "source": source,
    }
    flow = {"version": "0.0.1", "catchAll": {"next": []}, "startNode": start, "nodes": nodes, "skillData": data}
    return SkillFlow(node=parent, flow_name=flow_name, flow=flow)


class SlotInfo(BaseModel):
    """The slot a ``fill`` fills, resolved by the checks."""

    model_config = ConfigDict(frozen=True)

    intent: str
    slot: str
    entities: list[str]


def slot_skill(step: ir.FillStep, where: tuple[str, str], slot: SlotInfo, outcomes: tuple[str, str, str],
               ids: IdRegistry, content: ContentStore, source: JsonDict) -> SkillFlow:
    """``fill`` → the slot skill. ``outcomes`` are the targets (extracted, not found, already)."""
    flow, node = where
    suffix = ids.skill_suffix("Slot", flow, node)
    assert step.ask is not None
    ask_id = content.message(step.ask, (flow, node, "ask"))
    retry_id = content.message(step.retry, (flow, node, "retry")) if step.retry is not None else ask_id
    retries = min(step.retries if step.retries is not None else DEFAULT_SLOT_RETRIES, 10)
    expiry = step.expire_after if step.expire_after is not None else -1
    data: dict[str, Any] = {
        "retryAttempts": retries,
        "contentElement": ask_id,
        "notFoundElement": retry_id,
        "turnExpiry": expiry,
        "intent": slot.intent,
        "slotName": slot.slot,
        "entities": slot.entities,
    }
    if step.validate_action is not None:
        data["validationAction"] = step.validate_action.value
    nodes = _slot_nodes(data, ids, suffix, source)
    filled, not_found, already = outcomes
    next_ = [
        {"condition": 'temp.extracted == "true"', "node": filled, "caption": "On extracted"},
        {"condition": 'temp.notExtracted == "true"', "node": not_found, "caption": "On not found"},
        {"condition": 'temp.alreadyExtracted == "true"', "node": already, "caption": "On already extracted"},
    ]
    return _finish("Slot", suffix, node, next_, nodes, "check-if-extracted", data, source)


def _slot_nodes(data: dict[str, Any], ids: IdRegistry, suffix: str, source: JsonDict) -> list[JsonDict]:
    """The five nodes of the slot skill, in the generator's order."""
    slot, expiry, retries = data["slotName"], data["turnExpiry"], data["retryAttempts"]
    ask_id, retry_id = data["contentElement"], data["notFoundElement"]
    validation = [f"{data['validationAction']} {{}}"] if "validationAction" in data else []
    fill = (
        f'basic-skills/slot_fill {{"slotName":"{slot}","entities":"{",".join(data["entities"])}", '
        f'"turnExpiry":{expiry}}}'
    )
    extracted = f"session.slots['{slot}'] && (temp.valid === undefined || temp.valid == \"true\")"
    reset_valid = 'builtin/setVariable {"type":"temp","name":"valid","value": "true"}'
    return [
        _skill_node(ids, suffix, "slot-extract", [f"say #!{ask_id} {{}}"],
                    [_go(extracted, "extracted"), _go("true", "not-extracted")], source, on_receive=[fill, *validation]),
        _skill_node(ids, suffix, "extracted", [_SET.format(name="extracted", value='"true"')], [_go("true", "#")], source),
        _skill_node(ids, suffix, "not-extracted", [
            f'basic-skills/slot_not_found {{"retryAttempts":"{retries}"}}',
            f"say #!{retry_id} {{}}",
            reset_valid,
        ], [
            _go(extracted, "extracted"),
            _go('temp.notExtracted == "true"', "#"),
            _go("true", "not-extracted"),
        ], source, on_receive=[fill, *validation]),
        _skill_node(ids, suffix, "check-if-extracted", [
            f'basic-skills/slot_update_contexts {{"intentName":"{data["intent"]}"}}',
        ], [
            _go(f"session.slots['{slot}'] !== undefined", "already-extracted"),
            _go("true", "slot-extract"),
        ], source),
        _skill_node(ids, suffix, "already-extracted", [
            _SET.format(name="alreadyExtracted", value='"true"'), reset_valid, *validation,
        ], [
            _go(' (temp.valid === undefined || temp.valid == "true")', "#"),
            _go("true", "slot-extract"),
        ], source),
    ]
