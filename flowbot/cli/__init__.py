"""The ``bot`` command line.

Each module of this package defines one top-level command (a ``click`` command or group)
named ``command``; they are discovered here, so that a new command is one new file.
Modules import heavy libraries inside their functions, to keep ``bot --help`` fast.
"""

from __future__ import annotations

import importlib
import pkgutil

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="flowbot")
def cli() -> None:
    """flowbot: chatbots as code."""


def _register() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        command = getattr(module, "command", None)
        if isinstance(command, click.Command):
            cli.add_command(command)


_register()


def main() -> None:
    cli()
