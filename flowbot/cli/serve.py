"""``bot serve``: run the Converse API for every bot in the given folders."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from flowbot.cli.users import run_admin
from flowbot.cli.users import settings_of

if TYPE_CHECKING:
    from flowbot.settings import Settings


def cores() -> int:
    """The CPU cores this process may run on (its affinity: a container's share, not the host's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


class _Workers(click.ParamType):
    name = "N|auto"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower()
        if text == "auto":
            return cores()
        if text.isdigit() and int(text) >= 1:
            return int(text)
        self.fail(f"{value!r} is not a number of workers (1 or more) or 'auto'", param, ctx)


WORKERS = _Workers()


def check_storage(settings: Settings, workers: int) -> None:
    """Refuse what cannot work before starting any worker: a store several processes cannot
    share, a database that cannot be reached or migrated, a Redis that does not answer."""
    from flowbot.runtime.store.urls import redact
    from flowbot.server import database

    url = settings.database_url
    if workers > 1 and url == "memory://":
        raise click.ClickException(
            "--workers: the memory store lives in one process; use SQLite or PostgreSQL"
        )
    run_admin(database.preflight(url, settings.data_dir, shared=workers > 1))
    if settings.redis.url:
        run_admin(database.ping_redis(settings.redis.url))
    click.echo(
        f"store {redact(url)}, {workers} worker{'s' if workers > 1 else ''}"
        + (f", Redis {redact(settings.redis.url)}" if settings.redis.url else ""),
        err=True,
    )


@click.command("serve")
@click.argument("bots_dirs", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--host", default=None, help="Address to listen on [default: httpServer.host, 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [default: httpServer.port, 3000].")
@click.option(
    "--workers",
    type=WORKERS,
    default="1",
    show_default=True,
    help="Worker processes sharing the port; 'auto': one per CPU core.",
)
@click.option(
    "--store",
    default=None,
    metavar="URL",
    help="sqlite:///<path> or postgresql://user@host:port/db [default: database.url, SQLite in DATA_DIR].",
)
@click.option(
    "--redis",
    default=None,
    metavar="URL",
    help="redis://host:port/db: rate limits and stream notifications shared by every process [default: redis.url].",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data"),
    envvar="FLOWBOT_DATA_DIR",
    show_default=True,
    help="Config, store, token secret and compiled bots.",
)
@click.option(
    "--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info", show_default=True
)
@click.option(
    "--reload",
    is_flag=True,
    help="Recompile and reload a bot when its files change (one worker); conversations carry on. "
    "A bot that no longer compiles keeps its last good version and the errors are logged.",
)
def command(
    bots_dirs: tuple[Path, ...],
    host: str | None,
    port: int | None,
    workers: int,
    store: str | None,
    redis: str | None,
    data_dir: Path,
    log_level: str,
    reload: bool,
) -> None:
    """Serve BOTS_DIR... (bot folders, or folders of bot folders; default: the current folder).

    Source bots (*.flow files) are compiled on start into DATA_DIR/bots; compiled and Botpress v12
    bot folders run as they are. Several servers (on one host or many) may share one PostgreSQL
    store and one Redis: see docs/deploy.md.
    """
    import uvicorn

    from flowbot.errors import FlowbotError
    from flowbot.server.app import SHUTDOWN_GRACE_SECONDS
    from flowbot.server.bots import prepare_sources
    from flowbot.server.logs import configure_logging
    from flowbot.server.main import SPEC_VARIABLE
    from flowbot.server.main import ServeSpec
    from flowbot.server.main import with_overrides

    if reload and workers > 1:
        raise click.UsageError("--reload runs one worker: the reloaded bot lives in that process", ctx=None)
    configure_logging(log_level)
    settings = with_overrides(settings_of(data_dir), store, redis)
    check_storage(settings, workers)
    try:
        served = prepare_sources(list(bots_dirs) or [Path.cwd()], settings.data_dir)
    except FlowbotError as exc:
        raise click.ClickException(str(exc)) from None
    bots = {bot_id: runnable for bot_id, (_, runnable) in served.items()}
    watched = {bot_id: source for bot_id, (source, _) in served.items()} if reload else None
    spec = ServeSpec(
        data_dir=settings.data_dir,
        bots=bots,
        log_level=log_level,
        reload=watched,
        workers=workers,
        store=store,
        redis=redis,
    )
    # Workers are new processes: they rebuild the app from this spec (see flowbot.server.main).
    os.environ[SPEC_VARIABLE] = json.dumps(spec.model_dump(mode="json"))
    uvicorn.run(
        "flowbot.server.main:app_from_environment",
        factory=True,
        host=host or settings.httpServer.host,
        port=settings.httpServer.port if port is None else port,
        workers=workers,
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=int(settings.converse.timeout + SHUTDOWN_GRACE_SECONDS),
    )
