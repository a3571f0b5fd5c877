"""``bot test BOT_DIR [FILES...]``: run a bot's conversation tests (``*.convo``), offline."""

from __future__ import annotations

from pathlib import Path

import click


def _style(text: str, color: str) -> str:
    return click.style(text, fg=color, bold=color == "red")


@click.command("test")
@click.argument("bot_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("files", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--junit", type=click.Path(dir_okay=False, path_type=Path), help="Also write the results as JUnit XML."
)
@click.option(
    "-v", "--verbose", is_flag=True, help="List every test with its time, and show the runtime's log."
)
@click.option(
    "-j",
    "--concurrency",
    type=click.IntRange(min=1),
    default=32,
    show_default=True,
    help="Conversations run at once.",
)
def command(
    bot_dir: Path, files: tuple[Path, ...], junit: Path | None, verbose: bool, concurrency: int
) -> None:
    """Run the conversation tests of the bot in BOT_DIR.

    FILES are .convo files or folders of them (default: every *.convo file in BOT_DIR, usually
    in BOT_DIR/tests). Source bots are compiled first. Call API requests are answered by the
    tests' mocks: nothing goes to the network. Trained NLU models are kept in ~/.cache/flowbot
    ($XDG_CACHE_HOME), so that the next run trains nothing while the NLU data is unchanged.
    Exit status: 0 when every test passes, 1 otherwise.
    """
    from flowbot.localbot import runtime_logs
    from flowbot.localbot import user_cache_dir
    from flowbot.testing.report import render_report
    from flowbot.testing.report import write_junit
    from flowbot.testing.suite import run_bot_tests

    with runtime_logs(verbose):
        report = run_bot_tests(bot_dir, list(files), concurrency=concurrency, nlu_cache=user_cache_dir() / "nlu")
    click.echo(render_report(report, verbose=verbose, style=_style))
    if junit is not None:
        write_junit(report, junit)
    raise SystemExit(0 if report.ok else 1)
