"""Writing a compiled bot folder: deterministic JSON (same data, same bytes), built in a
temporary folder next to the destination and swapped in whole, so that a failed build leaves
the previous output untouched and a rebuild leaves no stale files.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any
from collections.abc import Callable

from flowbot.compiler.emit_bot import BotFolder


class OutputError(Exception):
    """The destination cannot be written (reported as diagnostic E121)."""


def json_text(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _replaceable(out: Path) -> bool:
    """Only an empty folder or a bot folder may be replaced: never a folder of other files."""
    if not out.is_dir():
        return False
    return not any(out.iterdir()) or (out / "bot.config.json").is_file()


def write_folder(folder: BotFolder, out: Path, finish: Callable[[Path], None] | None = None) -> None:
    """Write ``folder`` to ``out`` (replacing a previous build); ``finish`` runs on the complete
    temporary folder before the swap (NLU training)."""
    out = out.resolve()
    if out.exists() and not _replaceable(out):
        raise OutputError("it exists and is not an empty folder nor a bot folder; remove it or choose another")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    except OSError as exc:
        raise OutputError(exc.strerror or str(exc)) from exc
    try:
        for rel, data in folder.files.items():
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json_text(data), encoding="utf-8")
        for code in folder.code:
            path = staging / code.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(code.text, encoding="utf-8")
        if finish is not None:
            finish(staging)
        _swap(staging, out)
    except OSError as exc:
        raise OutputError(exc.strerror or str(exc)) from exc
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _swap(staging: Path, out: Path) -> None:
    if not out.exists():
        staging.rename(out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    retired.rmdir()
    out.rename(retired)
    try:
        staging.rename(out)
    except OSError:
        retired.rename(out)
        raise
    shutil.rmtree(retired, ignore_errors=True)
