"""Writing a compiled bot folder: deterministic JSON (same data, same bytes), built in a
temporary folder next to the destination and swapped in whole, so that a failed build leaves
the previous output untouched and a rebuild leaves no stale files.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any
from collections.abc import Callable

import orjson

from flowbot.compiler.emit_bot import BotFolder

_ORJSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
# Python writes a float of magnitude below 1e-4 with an exponent (``1e-05``), orjson positionally
# (``0.00001``); at and above it the two agree digit for digit (both print the shortest repr).
_SMALLEST_PLAIN_FLOAT = 1e-4


class OutputError(Exception):
    """The destination cannot be written (reported as diagnostic E121)."""


def json_text(data: Any) -> str:
    """The reference format of every JSON file we write (two-space indent, UTF-8 as is)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def fast_json_bytes(data: Any) -> bytes | None:
    """``json_text(data)`` encoded as UTF-8, made by orjson (the standard library's encoder is
    pure Python when it indents: 15 times slower); None when orjson would not write the same
    bytes: floats Python writes differently (tiny, infinite, NaN), integers beyond 64 bits, lone
    surrogates, keys that are not strings."""
    if not _floats_agree(data):
        return None
    try:
        return orjson.dumps(data, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: what it cannot write exactly as json.dumps does
        return None


def _floats_agree(data: Any) -> bool:
    """Does every float in ``data`` print the same with orjson as with ``json.dumps``?"""
    stack = [data]
    pop, push = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str:  # most of a bot: tested first
            continue
        if kind is dict:
            push(item.values())
        elif kind is list:
            push(item)
        elif kind is float and item != 0.0:
            if not (math.isfinite(item) and abs(item) >= _SMALLEST_PLAIN_FLOAT):
                return False
    return True


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
            fast = fast_json_bytes(data)
            if fast is not None:
                path.write_bytes(fast)
            else:  # exactly as json_text writes it (and fails the same way, e.g. on a lone surrogate)
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
