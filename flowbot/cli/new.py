"""``bot new NAME``: create a bot folder from a template, ready to check, chat, test and serve."""

from __future__ import annotations

from pathlib import Path

import click

from flowbot.scaffold import TEMPLATES


@click.command("new")
@click.argument("name", type=click.Path(path_type=Path))
@click.option(
    "--template",
    type=click.Choice(TEMPLATES),
    default="support",
    show_default=True,
    help="support (a menu, QnA, a hand-over), weather (intents, a slot, a Call API, a Python action) "
    "or empty (a greeting).",
)
@click.option("--title", help="The bot's display name [default: from NAME].")
def command(name: Path, template: str, title: str | None) -> None:
    """Create the bot folder NAME (its last part is the bot's id) from a template, with
    conversation tests and a README. It compiles and passes its tests as it is."""
    from flowbot.scaffold import ScaffoldError
    from flowbot.scaffold import create_bot

    try:
        written = create_bot(name, template, title)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {name} from the {template} template ({len(written)} files):")
    for path in written:
        click.echo(f"  {path.as_posix()}")
    click.echo("")
    click.echo("next:")
    for line in (f"bot check {name}", f"bot chat {name}", f"bot test {name}", f"bot serve {name} --reload"):
        click.echo(f"  {line}")
