"""``bot new``: a new bot folder from a template (``templates/<name>/``, shipped with flowbot).

Templates are plain bot folders whose files hold placeholders: ``__BOT_ID__`` (the bot's id,
from the folder name), ``__BOT_TITLE__`` (its display name) and ``__BOT_DIR__`` (the folder as
the user named it, for the commands of the README). Each template compiles, runs and passes its
own tests as created (the test suite checks it).
"""

from __future__ import annotations

import re
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from flowbot.errors import FlowbotError

TEMPLATES = ("support", "weather", "empty")
ABOUT = "ABOUT.md"
_ID = re.compile(r"^[A-Za-z_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$")
_TITLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _'.,!&-]*$")


class ScaffoldError(FlowbotError):
    """The bot cannot be created (a bad name, an existing folder, an unknown template)."""


def bot_id_for(folder: Path) -> str:
    """The bot id a folder name gives: characters the language does not allow become ``-``."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", folder.resolve().name).strip("-_")
    name = re.sub(r"^[0-9-]+", "", name)
    if not _ID.match(name):
        raise ScaffoldError(
            f"{folder.name!r} cannot name a bot: use letters, digits, `-` and `_`, starting with a letter"
        )
    return name


def title_for(bot_id: str) -> str:
    return " ".join(word.capitalize() for word in re.split(r"[-_]+", bot_id) if word)


def _template(name: str) -> Traversable:
    if name not in TEMPLATES:
        raise ScaffoldError(f"unknown template {name!r} (templates: {', '.join(TEMPLATES)})")
    return files(__name__).joinpath("templates", name)


def _files(root: Traversable, prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name == "__pycache__" or entry.name.endswith(".pyc"):
            continue
        relative = f"{prefix}{entry.name}"
        if entry.is_dir():
            out.extend(_files(entry, relative + "/"))
        elif relative != ABOUT:
            out.append((relative, entry.read_text(encoding="utf-8")))
    return out


def create_bot(folder: Path, template: str = "support", title: str | None = None) -> list[Path]:
    """Write a new bot into ``folder`` (which must not exist, or be empty); the files written."""
    source = _template(template)
    bot_id = bot_id_for(folder)
    shown_title = title or title_for(bot_id)
    if not _TITLE.match(shown_title):
        raise ScaffoldError(f"title {shown_title!r}: use letters, digits, spaces and - _ ' . , ! &")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ScaffoldError(f"{folder} already exists and is not empty: choose another name")
    values = {"__BOT_ID__": bot_id, "__BOT_TITLE__": shown_title, "__BOT_DIR__": folder.as_posix()}
    about = source.joinpath(ABOUT).read_text(encoding="utf-8").strip()
    readme = (
        files(__name__).joinpath("README.template.md").read_text(encoding="utf-8").replace("__ABOUT__", about)
    )
    written = []
    for relative, text in [*_files(source), ("README.md", readme)]:
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
