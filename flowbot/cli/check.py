"""``bot check SRC``: check a bot written in the flowbot language and print every problem."""

from __future__ import annotations

from pathlib import Path

import click

from flowbot.cli._diagnostics import FORMAT_OPTION
from flowbot.cli._diagnostics import emit
from flowbot.cli._diagnostics import exit_code


@click.command("check")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@FORMAT_OPTION
def command(source: Path, fmt: str) -> None:
    """Check the bot in SOURCE (a folder of .flow files); exit 1 when it has errors."""
    from flowbot.compiler import check
    from flowbot.compiler import summary

    diagnostics = check(source)
    emit(diagnostics, fmt)
    if fmt != "json":
        click.echo(f"{source}: {summary(diagnostics)}", err=True)
    raise SystemExit(exit_code(diagnostics))
