"""Printing compiler diagnostics for ``bot build`` and ``bot check`` (shared by both)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from flowbot.compiler import Diagnostic

FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["pretty", "short", "json"]),
    default="pretty",
    show_default=True,
    help="How to print diagnostics: pretty (with source and caret), short (file:line:col, one per line), "
    "or json (on stdout, for editors and CI).",
)

EXIT_OK, EXIT_ERRORS, EXIT_INTERNAL = 0, 1, 3


def emit(diagnostics: list[Diagnostic], fmt: str) -> None:
    """Print diagnostics: JSON on stdout (always, even when empty), text on stderr."""
    from flowbot.compiler import render_diagnostics

    if fmt == "json":
        click.echo(render_diagnostics(diagnostics, "json"))
    elif diagnostics:
        click.echo(render_diagnostics(diagnostics, fmt), err=True)
        if fmt == "pretty":
            click.echo("", err=True)


def exit_code(diagnostics: list[Diagnostic]) -> int:
    if any(d.is_internal for d in diagnostics):
        return EXIT_INTERNAL
    return EXIT_ERRORS if any(d.is_error for d in diagnostics) else EXIT_OK
