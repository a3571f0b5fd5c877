"""``bot users``: the collaborators who may log in to the secured Converse API."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar

import click

if TYPE_CHECKING:
    from flowbot.settings import Settings

T = TypeVar("T")

DATA_DIR = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data"),
    envvar="FLOWBOT_DATA_DIR",
    show_default=True,
    help="The server's data folder (config, store, secret).",
)


def settings_of(data_dir: Path) -> Settings:
    from flowbot.settings import SettingsError
    from flowbot.settings import load_settings

    try:
        return load_settings(data_dir)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def run_admin(coro: Coroutine[Any, Any, T]) -> T:
    from flowbot.errors import FlowbotError

    try:
        return asyncio.run(coro)
    except FlowbotError as exc:
        raise click.ClickException(str(exc)) from None


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    # Piped: the first line of stdin (never an argument: it would show in the shell history and ps).
    return sys.stdin.readline().rstrip("\r\n")


@click.group("users")
def command() -> None:
    """Manage users of the secured Converse API (login, debug route, events, streams)."""


@command.command("add")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(["admin", "user"]),
    default="user",
    show_default=True,
    help="admin opens every bot.",
)
@click.option("--bots", default="", help="Comma-separated bot ids a user may open.")
@DATA_DIR
def add(email: str, role: str, bots: str, data_dir: Path) -> None:
    """Add a user; the password is read from a prompt, or from stdin when piped."""
    from flowbot.server import admin

    settings = settings_of(data_dir)
    password = _read_password()
    bot_ids = [bot.strip() for bot in bots.split(",") if bot.strip()]
    user = run_admin(admin.add_user(settings, email, password, role, bot_ids))
    click.echo(f"added {user.email} ({user.role}{': ' + ', '.join(user.bots) if user.bots else ''})")


@command.command("list")
@DATA_DIR
def list_(data_dir: Path) -> None:
    """List users: email, role, bots, creation date."""
    from flowbot.server import admin

    users = run_admin(admin.list_users(settings_of(data_dir)))
    if not users:
        click.echo("no users (add one with: bot users add EMAIL --role admin)")
    for user in users:
        created = datetime.fromtimestamp(user.created_at, UTC).strftime("%Y-%m-%d")
        bots = "all bots" if user.role == "admin" else ", ".join(user.bots)
        click.echo(f"{user.email}\t{user.role}\t{bots}\t{created}")


@command.command("remove")
@click.argument("email")
@DATA_DIR
def remove(email: str, data_dir: Path) -> None:
    """Remove a user; their tokens stop working at once."""
    from flowbot.server import admin

    run_admin(admin.remove_user(settings_of(data_dir), email))
    click.echo(f"removed {email}")
