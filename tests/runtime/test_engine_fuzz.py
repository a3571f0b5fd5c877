"""Arbitrary flow graphs never take a turn down: every turn ends, and its state can be stored."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from flowbot.runtime.bot import BotDefinition
from flowbot.runtime.bot_runtime import RuntimeSettings
from flowbot.runtime.conversation import IncomingMessage
from flowbot.runtime.flow import BotConfig
from flowbot.runtime.flow import ContentElement
from flowbot.runtime.flow import Flow
from flowbot.runtime.registry import BotRegistry
from flowbot.runtime.registry import bundle_for
from flowbot.runtime.service import ConversationService
from flowbot.runtime.store import MemoryStore
from tests.runtime.botkit import FirstChoice

NODES = ["a", "b", "c"]
FLOWS = ["main.flow.json", "sub.flow.json", "error.flow.json"]
TARGETS = [
    *NODES,
    "sub.flow.json",
    "main.flow.json#b",
    "error.flow.json",
    "#",
    "#b",
    "##",
    "END",
    "",
    "nowhere",
    "x.flow.json",
]
CONDITIONS = ["true", "temp.n === '1'", "event.payload.text === 'go'", "!temp.n", "nope.x", "temp.a.b"]
INSTRUCTIONS = [
    "say #!builtin_text-hi",
    'builtin/setVariable {"type":"temp","name":"n","value":"1"}',
    'builtin/setVariable {"type":"temp","name":"n","value":""}',
    "builtin/resetSession {}",
    "no/such_action {}",
    "say #!builtin_text-missing",
    "say #!builtin_text-hi {bad json",
]

node_strategy = st.fixed_dictionaries(
    {
        "onEnter": st.lists(st.sampled_from(INSTRUCTIONS), max_size=2),
        "onReceive": st.one_of(st.none(), st.lists(st.sampled_from(INSTRUCTIONS), max_size=1)),
        "next": st.lists(st.tuples(st.sampled_from(CONDITIONS), st.sampled_from(TARGETS)), max_size=3),
        "skill": st.booleans(),
    }
)


def build_flow(nodes: list[dict[str, Any]]) -> Flow:
    data = []
    for name, spec in zip(NODES, nodes, strict=True):
        node = {
            "id": f"node-{name}",
            "name": name,
            "onEnter": spec["onEnter"],
            "onReceive": spec["onReceive"],
            "next": [{"condition": c, "node": n} for c, n in spec["next"]],
        }
        if spec["skill"]:
            node.update(type="skill-call", flow="sub.flow.json")
        data.append(node)
    return Flow.model_validate({"version": "0.0.1", "startNode": "a", "nodes": data})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(node_strategy, min_size=3, max_size=3), min_size=3, max_size=3),
    st.lists(st.sampled_from(["hi", "go"]), min_size=1, max_size=4),
)
def test_any_flow_graph_ends_every_turn_cleanly(
    graph: list[list[dict[str, Any]]], messages: list[str]
) -> None:
    definition = BotDefinition(
        bot_id="fuzz",
        root=Path("."),
        config=BotConfig(),
        flows={name: build_flow(nodes) for name, nodes in zip(FLOWS, graph, strict=True)},
        content={"builtin_text-hi": ContentElement(id="builtin_text-hi", formData={"text$en": "hi"})},
        content_types={"builtin_text-hi": "builtin_text"},
    )
    registry = BotRegistry([bundle_for(definition, user_code=False)])
    service = ConversationService(
        registry, MemoryStore(), rng=FirstChoice(), settings=RuntimeSettings(max_instructions=200)
    )

    async def talk() -> None:
        for text in messages:
            result = await service.converse(
                "fuzz", "u", IncomingMessage(payload={"type": "text", "text": text})
            )
            json.dumps(result.model_dump())
            assert len(result.responses) <= 400

    asyncio.run(talk())
