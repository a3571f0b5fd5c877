"""``bot db``: create and migrate the database of the server and the runtime (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import click

from flowbot.cli.users import DATA_DIR
from flowbot.cli.users import run_admin
from flowbot.cli.users import settings_of

STORE = click.option(
    "--store",
    default=None,
    metavar="URL",
    help="sqlite:///<path> or postgresql://user@host:port/db[?schema=...] [default: database.url].",
)


def _url(store: str | None, data_dir: Path) -> tuple[str, Path]:
    settings = settings_of(data_dir)
    return store or settings.database_url, settings.data_dir


@click.group("db")
def command() -> None:
    """Create and migrate the database that `bot serve` uses.

    `bot serve` applies safe migrations itself when it starts; `bot db upgrade` applies all of
    them, including those that must not run while servers are serving.
    """


@command.command("upgrade")
@STORE
@DATA_DIR
def upgrade(store: str | None, data_dir: Path) -> None:
    """Apply every pending migration (the tables are created on first use)."""
    from flowbot.runtime.store.urls import redact
    from flowbot.server import database

    url, folder = _url(store, data_dir)
    applied = run_admin(database.upgrade(url, folder))
    for name in applied:
        click.echo(f"applied {name}")
    click.echo(f"{redact(url)}: up to date" + (f" ({len(applied)} migrations applied)" if applied else ""))


@command.command("status")
@STORE
@DATA_DIR
def status(store: str | None, data_dir: Path) -> None:
    """Show the schema version of each part, and what is pending. Exits 1 when something is."""
    from flowbot.runtime.store.urls import redact
    from flowbot.server import database

    url, folder = _url(store, data_dir)
    statuses = run_admin(database.status(url, folder))
    click.echo(redact(url))
    for entry in statuses:
        line = f"  {entry.component}: version {entry.current} of {entry.latest}"
        if entry.pending:
            pending = ", ".join(
                f"{m.version} {m.name}" + ("" if m.automatic else " (manual)") for m in entry.pending
            )
            line += f"; pending: {pending}"
        click.echo(line)
    if any(entry.pending for entry in statuses):
        raise SystemExit(1)
