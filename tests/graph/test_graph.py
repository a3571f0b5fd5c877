"""``bot graph``: the flows as Mermaid (pinned for an example bot), DOT and SVG; unreachable nodes."""

from __future__ import annotations

import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from flowbot.cli import cli
from flowbot.graph import GraphRenderError
from flowbot.graph import build_graph
from flowbot.graph import to_dot
from flowbot.graph import to_mermaid
from flowbot.graph import to_svg
from flowbot.graph.model import condition_label
from flowbot.localbot import load_definition
from flowbot.localbot import prepare_bot
from flowbot.runtime.bot import BotDefinition
from flowbot.runtime.flow import Transition
from tests.conftest import ROOT

WEATHER_MERMAID = """\
flowchart TD
  subgraph f_main["flow main"]
    n_main_entry(["entry"])
    n_main_hello("hello")
    n_main_welcome("welcome")
    n_main_not_understood("not_understood")
    n_main_END(("end"))
  end
  subgraph f_lookup["flow lookup"]
    n_lookup_city(["city<br/>fill a slot"])
    n_lookup_fetch{{"fetch<br/>GET https://wttr.in/#123;#123; session.slots.city.value | urlencode #125;#125;?format=j1"}}
    n_lookup_report("report")
    n_lookup_sorry("sorry")
    n_lookup_give_up("give_up")
    n_lookup_cancelled("cancelled")
    n_lookup_END(("end"))
    n_lookup__>"any node"]
  end
  n_main_entry -.->|"intent ask_weather"| n_lookup_city
  n_main_entry -->|"intent thanks"| n_main_welcome
  n_main_entry -->|"session.lastMessages.length #gt; 0"| n_main_not_understood
  n_main_entry --> n_main_hello
  n_main_hello --> n_main_END
  n_main_welcome --> n_main_END
  n_main_not_understood --> n_main_END
  n_lookup_city -->|"filled / already filled"| n_lookup_fetch
  n_lookup_city -->|"not found"| n_lookup_give_up
  n_lookup_fetch -->|"on success"| n_lookup_report
  n_lookup_fetch -->|"on failure"| n_lookup_sorry
  n_lookup_report --> n_lookup_END
  n_lookup_sorry --> n_lookup_END
  n_lookup_give_up --> n_lookup_END
  n_lookup_cancelled --> n_lookup_END
  n_lookup__ -->|"intent cancel"| n_lookup_cancelled
  linkStyle 9 stroke:#2e7d32,color:#2e7d32
  linkStyle 10 stroke:#c62828,color:#c62828
  classDef unreachable fill:#fff0f0,stroke:#c62828,stroke-dasharray:5 5,color:#c62828
  classDef missing fill:#ffebee,stroke:#c62828,color:#c62828
  classDef terminal fill:#eeeeee,stroke:#9e9e9e
  class n_main_END,n_lookup_END terminal
"""

LOST = """\
bot lost "Lost"

flow main
  node entry
    say "Hi"
    when temp.x == 1 -> flow other
    else -> end

  node orphan
    say "Nobody comes here"
    -> end

flow other
  node start
    say "Other"
    -> return

flow unused
  node alone
    say "never entered"
    -> end
"""


def _bot(source: Path, tmp_path: Path) -> BotDefinition:
    return load_definition(prepare_bot(source, tmp_path / "build").folder)


@pytest.fixture(scope="module")
def weather(tmp_path_factory: pytest.TempPathFactory) -> BotDefinition:
    return _bot(ROOT / "bots" / "weather", tmp_path_factory.mktemp("weather"))


@pytest.fixture
def lost(tmp_path: Path) -> Path:
    (tmp_path / "lost").mkdir()
    (tmp_path / "lost" / "main.flow").write_text(LOST, encoding="utf-8")
    return tmp_path / "lost"


def test_the_weather_bot_as_mermaid(weather: BotDefinition) -> None:
    assert to_mermaid(build_graph(weather)) == WEATHER_MERMAID


def test_the_command_prints_the_same_mermaid() -> None:
    result = CliRunner().invoke(cli, ["graph", str(ROOT / "bots" / "weather")])
    assert result.exit_code == 0 and result.stdout == WEATHER_MERMAID and result.stderr == ""


def test_the_weather_bot_as_dot(weather: BotDefinition) -> None:
    dot = to_dot(build_graph(weather))
    assert dot.startswith('digraph "weather" {\n')
    assert '  subgraph "cluster_main" {\n    label="flow main";' in dot
    assert (
        '"lookup/fetch" [label="fetch\\nGET https://wttr.in/{{ session.slots.city.value | urlencode }}?format=j1", shape=hexagon];'
        in dot
    )
    assert (
        '"lookup/fetch" -> "lookup/report" [label="on success", color="#2e7d32", fontcolor="#2e7d32"];' in dot
    )
    assert (
        '"lookup/fetch" -> "lookup/sorry" [label="on failure", color="#c62828", fontcolor="#c62828"];' in dot
    )
    assert '"main/entry" -> "lookup/city" [label="intent ask_weather", style=dashed];' in dot


def _dot_available() -> bool:
    if shutil.which("dot") is not None:
        return True
    if os.environ.get("CI"):
        pytest.fail("Graphviz's dot is missing in CI: .ci/run installs it with `make system-deps`")
    pytest.skip("Graphviz's dot is not installed (`make system-deps` installs it)")
    return False


@pytest.mark.parametrize("name", ["weather", "pizza", "support"])
def test_svg_is_well_formed_and_names_every_node(name: str, tmp_path: Path) -> None:
    _dot_available()
    graph = build_graph(_bot(ROOT / "bots" / name, tmp_path))
    svg = to_svg(graph)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {n.name for n in graph.nodes} <= texts
    titles = {t.text for t in root.iter("{http://www.w3.org/2000/svg}title")}
    assert {n.id for n in graph.nodes} <= titles


def test_unreachable_nodes_are_highlighted(lost: Path, tmp_path: Path) -> None:
    graph = build_graph(_bot(lost, tmp_path))
    assert sorted(n.id for n in graph.unreachable) == ["main/orphan", "unused/alone"]
    assert graph.node("other/RETURN") is not None and graph.node("other/start").reachable  # type: ignore[union-attr]
    mermaid = to_mermaid(graph)
    assert "  class n_main_orphan,n_unused_alone unreachable\n" in mermaid
    assert (
        '"main/orphan" [label="orphan", color="#c62828", fontcolor="#c62828", fillcolor="#fff0f0", style="rounded,dashed,filled"];'
        in to_dot(graph)
    )
    result = CliRunner().invoke(cli, ["graph", str(lost), "--format", "dot"])
    assert result.exit_code == 0
    assert (
        result.stderr
        == "warning: node main.orphan is unreachable\nwarning: node unused.alone is unreachable\n"
    )


def test_one_flow_and_where_it_leads(lost: Path, tmp_path: Path) -> None:
    graph = build_graph(_bot(lost, tmp_path), "main")
    assert graph.flows == ["main", "other"]
    assert sorted(n.id for n in graph.nodes) == ["main/END", "main/entry", "main/orphan", "other/start"]
    result = CliRunner().invoke(cli, ["graph", str(lost), "--flow", "nope"])
    assert result.exit_code == 2
    assert "no flow 'nope' in" in result.stderr and "(flows: main, other, unused)" in result.stderr


def test_a_missing_graphviz_is_a_clear_error(lost: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(GraphRenderError, match="needs Graphviz's `dot` program, which is not installed"):
        to_svg(build_graph(load_definition(prepare_bot(lost, lost.parent / "b").folder)))
    result = CliRunner().invoke(cli, ["graph", str(lost), "--format", "svg"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: SVG needs Graphviz's `dot` program")
    assert "Traceback" not in result.stderr


def test_a_botpress_bot_runs_as_it_is(compat_bots: Path) -> None:
    graph = build_graph(load_definition(compat_bots / "welcome-bot"))
    assert "main" in graph.flows and not any(f.startswith("skills/") for f in graph.flows)
    edge = next(e for e in graph.edges if e.source == "main/topic-choices" and e.target == "memory/entry")
    assert (edge.label, edge.kind) == ("choice memory", "flow")
    assert graph.unreachable == []


@pytest.mark.parametrize(
    ("condition", "caption", "expected"),
    [
        ("true", None, ("", "next")),
        ("true", "On failure", ("on failure", "next")),
        ("temp.valid_abc123", "On success", ("on success", "success")),
        ("!temp.valid_abc123", None, ("on failure", "failure")),
        ("event.nlu.intent.name === 'greet'", None, ("intent greet", "next")),
        ("temp['skill-choice-ret-x1y2'] == \"thin\"", None, ("choice thin", "next")),
        ('temp.notExtracted == "true"', None, ("not found", "next")),
        ("session.count > 3", None, ("session.count > 3", "next")),
        ("x" * 80, None, ("x" * 59 + "…", "next")),
    ],
)
def test_conditions_in_words(condition: str, caption: str | None, expected: tuple[str, str]) -> None:
    assert condition_label(Transition(condition=condition, node="n", caption=caption)) == expected


def test_a_botpress_flow_with_returns_jumps_and_a_missing_target(tmp_path: Path) -> None:
    from tests.runtime.botkit import flow
    from tests.runtime.botkit import node
    from tests.runtime.botkit import write_bot

    root = write_bot(
        tmp_path / "raw",
        {
            "main.flow.json": flow(
                node("entry", next=[("temp.x", "sub.flow.json#deep"), ("true", "sub.flow.json")]),
                node("broken", next=[("true", "nowhere")]),
            ),
            "sub.flow.json": flow(
                node("top", next=[("true", "#")]),
                node("deep", next=[("true", "##entry")]),
                catch_all={"next": [{"condition": "true", "node": "elsewhere.flow.json"}]},
            ),
        },
    )
    graph = build_graph(load_definition(root))
    edges = {(e.source, e.target): (e.label, e.kind) for e in graph.edges}
    assert edges[("main/entry", "sub/deep")] == ("temp.x", "flow")
    assert edges[("main/entry", "sub/top")] == ("", "flow")
    assert edges[("sub/top", "sub/RETURN")] == ("", "return")
    assert edges[("sub/deep", "sub/RETURN")] == ("return to entry", "return")
    assert edges[("main/broken", "?main/nowhere")] == ("", "next")
    assert edges[("sub/*", "?elsewhere.flow.json")] == ("", "flow")
    assert [n.id for n in graph.unreachable] == ["main/broken"]
    mermaid = to_mermaid(graph)
    assert '  n__main_nowhere["main/nowhere (missing)"]\n' in mermaid
    assert "  class n__main_nowhere,n__elsewhere_flow_json missing\n" in mermaid


def test_the_graph_goes_to_a_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["graph", str(ROOT / "bots" / "weather"), "-o", str(tmp_path / "g.mmd")])
    assert result.exit_code == 0 and result.stdout == ""
    assert (tmp_path / "g.mmd").read_text(encoding="utf-8") == WEATHER_MERMAID
