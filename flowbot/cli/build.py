"""``bot build SRC -o OUT``: check a bot written in the flowbot language and compile it to a
Botpress v12 bot folder. Nothing is written when there are errors."""

from __future__ import annotations

from pathlib import Path

import click

from flowbot.cli._diagnostics import FORMAT_OPTION
from flowbot.cli._diagnostics import emit
from flowbot.cli._diagnostics import exit_code


@click.command("build")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the compiled bot to (replaced if it holds a previous build).",
)
@FORMAT_OPTION
def command(source: Path, out: Path, fmt: str) -> None:
    """Compile the bot in SOURCE (a folder of .flow files) to a bot folder OUT."""
    from flowbot.compiler import build
    from flowbot.compiler import is_source_bot
    from flowbot.compiler import summary

    if (source / "bot.config.json").is_file() and not is_source_bot(source):
        raise click.ClickException(f"{source} is already a bot folder (bot.config.json, flows/): there is nothing to build")
    result = build(source, out)
    emit(result.diagnostics, fmt)
    if fmt != "json":
        if result.ok:
            click.echo(f"built {source} -> {out} ({summary(result.diagnostics)})", err=True)
        else:
            click.echo(f"error: {source} was not built ({summary(result.diagnostics)}); nothing was written", err=True)
    raise SystemExit(exit_code(result.diagnostics))
