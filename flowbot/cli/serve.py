"""``bot serve``: run the Converse API for every bot in the given folders."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from flowbot.cli.users import settings_of


@click.command("serve")
@click.argument("bots_dirs", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--host", default=None, help="Address to listen on [default: httpServer.host, 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [default: httpServer.port, 3000].")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes.")
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
    data_dir: Path,
    log_level: str,
    reload: bool,
) -> None:
    """Serve BOTS_DIR... (bot folders, or folders of bot folders; default: the current folder).

    Source bots (*.flow files) are compiled on start into DATA_DIR/bots; compiled and Botpress v12
    bot folders run as they are.
    """
    import uvicorn

    from flowbot.errors import FlowbotError
    from flowbot.server.app import SHUTDOWN_GRACE_SECONDS
    from flowbot.server.bots import prepare_sources
    from flowbot.server.logs import configure_logging
    from flowbot.server.main import SPEC_VARIABLE
    from flowbot.server.main import ServeSpec

    if reload and workers > 1:
        raise click.UsageError("--reload runs one worker: the reloaded bot lives in that process", ctx=None)
    configure_logging(log_level)
    settings = settings_of(data_dir)
    try:
        served = prepare_sources(list(bots_dirs) or [Path.cwd()], settings.data_dir)
    except FlowbotError as exc:
        raise click.ClickException(str(exc)) from None
    bots = {bot_id: runnable for bot_id, (_, runnable) in served.items()}
    watched = {bot_id: source for bot_id, (source, _) in served.items()} if reload else None
    spec = ServeSpec(data_dir=settings.data_dir, bots=bots, log_level=log_level, reload=watched)
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
