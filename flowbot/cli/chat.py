"""``bot chat BOT_DIR``: talk to a bot in the terminal (or through a pipe), on the server's engine."""

from __future__ import annotations

import random
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import click

if TYPE_CHECKING:
    from rich.console import Console

    from flowbot.chat.session import ChatSession


PIPE_WIDTH = 160
USER_ID = "user"  # flowbot.testing.runner.USER_ID: recorded conversations replay as this user


@click.command("chat")
@click.argument("bot_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the compiled bot, the NLU cache and the conversation store (SQLite) here, so that the "
    "conversation goes on next time [default: a temporary folder, removed on exit].",
)
@click.option("--user", "user_id", default=USER_ID, show_default=True, help="The user id to talk as.")
@click.option(
    "--record",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the conversation as a conversation test (.convo), with the Call API answers as mocks.",
)
@click.option(
    "--mocks",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Answer Call API requests with the file-wide mocks of this .convo file instead of the network.",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Show the runtime's log (with the tracebacks of failing actions)."
)
def command(
    bot_dir: Path, data_dir: Path | None, user_id: str, record: Path | None, mocks: Path | None, verbose: bool
) -> None:
    """Chat with the bot in BOT_DIR (source bots are compiled first).

    Type messages; a number answers with that choice. Commands: /nlu, /memory, /where, /reset,
    /replay FILE, /help, /quit. Works in a terminal and on a pipe (one message per line).
    """
    from rich.console import Console

    from flowbot.localbot import runtime_logs
    from flowbot.localbot import user_cache_dir

    # On a pipe, lines are for programs: no wrapping of our own lines, and a wide page for the bot's
    console = Console(highlight=False, soft_wrap=True, width=None if sys.stdin.isatty() else PIPE_WIDTH)
    with ExitStack() as stack:
        stack.enter_context(runtime_logs(verbose))
        work = data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="flowbot-chat-")))
        # trained models outlive a temporary folder: the next chat starts without training
        nlu_cache = work / "nlu-cache" if data_dir else user_cache_dir() / "nlu"
        session_parts = _prepare(bot_dir, work, nlu_cache, user_id, record, mocks, console)
        _run(*session_parts, console=console)


def _fail(message: str, diagnostics: list[Any] | None = None) -> None:
    from flowbot.compiler import render_diagnostics

    click.echo(f"error: {message}", err=True)
    if diagnostics:
        click.echo(render_diagnostics(diagnostics, "pretty"), err=True)
    raise SystemExit(1)


def _prepare(
    bot_dir: Path,
    work: Path,
    nlu_cache: Path,
    user_id: str,
    record: Path | None,
    mocks: Path | None,
    console: Console,
) -> tuple[Any, ChatSession, str]:
    from flowbot.chat.session import ChatSession
    from flowbot.localbot import BotPrepareError
    from flowbot.localbot import load_bundle
    from flowbot.localbot import prepare_bot
    from flowbot.runtime.service import ConversationService
    from flowbot.runtime.store import SqliteStore
    from flowbot.testing.record import Recorder
    from flowbot.testing.record import RecordingApi
    from flowbot.testing.runner import SEED

    try:
        prepared = prepare_bot(bot_dir, work / "bots" / bot_dir.resolve().name, train_nlu=False)
        bundle = load_bundle(prepared.folder, nlu_cache)
    except BotPrepareError as exc:
        _fail(str(exc), exc.diagnostics)
        raise  # unreachable: _fail exits
    api: Any = _api_client(mocks)
    recorder = recording = None
    name = bundle.definition.config.name or bundle.bot_id
    if record is not None:
        api = recording = RecordingApi(api)
        recorder = Recorder(record, name)
    # seeded as conversation tests are, so that a recorded conversation replays as it was seen
    rng = random.Random(SEED)
    store = SqliteStore(work / "flowbot.sqlite3")
    service = ConversationService({bundle.bot_id: bundle}, store, api_client=api, rng=rng)
    session = ChatSession(
        service, bundle.bot_id, console, user_id=user_id, recorder=recorder, recording=recording, rng=rng
    )
    warnings = len(prepared.diagnostics)
    banner = f"Chatting with {name} ({bundle.bot_id})" + (
        f", compiled with {warnings} warning(s)" if warnings else ""
    )
    return service, session, banner + ". /help for the commands, /quit to leave."


def _api_client(mocks: Path | None) -> Any:
    if mocks is None:
        from flowbot.runtime.callapi import HttpApiClient

        return HttpApiClient()
    from flowbot.testing.mocks import TranscriptApi
    from flowbot.testing.parse import read_convo

    parsed = read_convo(mocks)
    if not parsed.ok:
        _fail(f"{mocks} has errors", parsed.diagnostics)
    if not parsed.mocks:
        click.echo(
            f"warning: {mocks} has no file-wide mocks: every Call API request will fail (ENOTMOCKED)",
            err=True,
        )
    return TranscriptApi(mock.rule for mock in parsed.mocks)


def _read(console: Console, interactive: bool) -> str | None:
    try:
        if interactive:
            return console.input("[bold]you>[/bold] ")
        line = sys.stdin.readline()
    except (EOFError, KeyboardInterrupt):
        return None
    if not line:
        return None
    console.print(f"you> {line.rstrip()}", highlight=False, markup=False)
    return line


def _run(service: Any, session: ChatSession, banner: str, *, console: Console) -> None:
    import asyncio

    interactive = sys.stdin.isatty()
    if interactive:
        import readline  # noqa: F401 - line editing and history for console.input
    with asyncio.Runner() as runner:
        runner.run(service.start(janitor=False))
        try:
            console.print(banner, style="dim", soft_wrap=True)
            while not session.done:
                line = _read(console, interactive)
                if line is None:
                    break
                try:
                    runner.run(session.handle(line))
                except KeyboardInterrupt:
                    console.print("(interrupted)", style="yellow")
        finally:
            runner.run(service.close())
    if session.recorder is not None:
        console.print(f"recorded to {session.recorder.path}", style="dim")
