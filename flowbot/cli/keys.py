"""``bot keys``: long-lived API keys of one bot, for server-to-server clients."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from pathlib import Path

import click

from flowbot.cli.users import DATA_DIR
from flowbot.cli.users import run_admin
from flowbot.cli.users import settings_of


@click.group("keys")
def command() -> None:
    """Manage API keys (header X-API-Key) for the secured route, events and streams of a bot."""


@command.command("create")
@click.argument("bot")
@click.option("--name", default="", help="What the key is for (shown by `bot keys list`).")
@DATA_DIR
def create(bot: str, name: str, data_dir: Path) -> None:
    """Create a key for BOT. The key is printed once: only a hash of it is stored."""
    from flowbot.server import admin

    created = run_admin(admin.create_key(settings_of(data_dir), bot, name))
    click.echo(
        f"created key {created.record.key_id} for bot {bot}; store it now, it is not shown again:", err=True
    )
    click.echo(created.secret)


@command.command("list")
@DATA_DIR
def list_(data_dir: Path) -> None:
    """List keys: id, bot, name, creation date (never the key itself)."""
    from flowbot.server import admin

    keys = run_admin(admin.list_keys(settings_of(data_dir)))
    if not keys:
        click.echo("no API keys (create one with: bot keys create BOT)")
    for key in keys:
        created = datetime.fromtimestamp(key.created_at, UTC).strftime("%Y-%m-%d")
        click.echo(f"{key.key_id}\t{key.bot_id}\t{key.name or '-'}\t{created}")


@command.command("revoke")
@click.argument("key_id")
@DATA_DIR
def revoke(key_id: str, data_dir: Path) -> None:
    """Revoke a key by its id; it stops working at once."""
    from flowbot.server import admin

    run_admin(admin.revoke_key(settings_of(data_dir), key_id))
    click.echo(f"revoked {key_id}")
