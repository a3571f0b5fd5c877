"""``bot graph BOT_DIR``: draw a bot's flows (Mermaid, Graphviz DOT or SVG)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click


@click.command("graph")
@click.argument("bot_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["mermaid", "dot", "svg"]),
    default="mermaid",
    show_default=True,
    help="mermaid (for Markdown documents), dot (Graphviz source) or svg (drawn by Graphviz's dot).",
)
@click.option("--flow", "flow", help="Only this flow (its nodes and where they lead), e.g. --flow main.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to a file instead of stdout.",
)
def command(bot_dir: Path, fmt: str, flow: str | None, output: Path | None) -> None:
    """Draw the flows of the bot in BOT_DIR: nodes, transitions with their conditions, flow
    calls, Call API success/failure edges; unreachable nodes are highlighted (red, dashed).
    Source bots are compiled first."""
    from flowbot.compiler import render_diagnostics
    from flowbot.graph import GraphRenderError
    from flowbot.graph import build_graph
    from flowbot.graph import to_dot
    from flowbot.graph import to_mermaid
    from flowbot.graph import to_svg
    from flowbot.localbot import BotPrepareError
    from flowbot.localbot import load_definition
    from flowbot.localbot import prepare_bot

    with tempfile.TemporaryDirectory(prefix="flowbot-graph-") as scratch:
        try:
            prepared = prepare_bot(bot_dir, Path(scratch) / "build")
            bot = load_definition(prepared.folder)
        except BotPrepareError as exc:
            click.echo(f"error: {exc}", err=True)
            if exc.diagnostics:
                click.echo(render_diagnostics(exc.diagnostics, "pretty"), err=True)
            raise SystemExit(1) from None
    try:
        graph = build_graph(bot, flow)
    except KeyError:
        flows = ", ".join(
            sorted(n.removesuffix(".flow.json") for n in bot.flows if not n.startswith("skills/"))
        )
        raise click.BadParameter(
            f"no flow {flow!r} in {bot_dir} (flows: {flows})", param_hint="--flow"
        ) from None
    try:
        text = {"mermaid": to_mermaid, "dot": to_dot, "svg": to_svg}[fmt](graph)
    except GraphRenderError as exc:
        raise click.ClickException(str(exc)) from None
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    for node in graph.unreachable:
        click.echo(f"warning: node {node.flow}.{node.name} is unreachable", err=True)
