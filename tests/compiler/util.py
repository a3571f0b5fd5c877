"""Helpers for compiler tests: write a bot folder, compile it, read the output."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from flowbot.compiler import BuildResult
from flowbot.compiler import Diagnostic
from flowbot.compiler import build
from flowbot.compiler import check

MINIMAL_HEADER = 'bot test "Test Bot"\n\n'


def write_bot(folder: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> text, dedented) under ``folder``; returns ``folder``."""
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return folder


def bot_with(tmp_path: Path, source: str, files: dict[str, str] | None = None) -> Path:
    """A one-file bot: ``bot test`` + ``source`` in main.flow, plus other files (``actions/x.py``)."""
    all_files = {"main.flow": MINIMAL_HEADER + textwrap.dedent(source).lstrip("\n"), **(files or {})}
    return write_bot(tmp_path / "src", all_files)


def diagnostics_of(tmp_path: Path, source: str, files: dict[str, str] | None = None) -> list[Diagnostic]:
    return check(bot_with(tmp_path, source, files))


def codes(diags: list[Diagnostic]) -> list[str]:
    return [d.code for d in diags]


def compile_bot(tmp_path: Path, source: str, files: dict[str, str] | None = None) -> tuple[BuildResult, Path]:
    out = tmp_path / "out"
    result = build(bot_with(tmp_path, source, files), out)
    assert result.ok, [f"{d.code} {d.message} {d.span}" for d in result.diagnostics]
    return result, out


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def flow_json(out: Path, name: str = "main") -> dict[str, Any]:
    data: dict[str, Any] = read_json(out / "flows" / f"{name}.flow.json")
    return data


def node(flow: dict[str, Any], name: str) -> dict[str, Any]:
    return next(n for n in flow["nodes"] if n["name"] == name)


def elements(out: Path) -> dict[str, dict[str, Any]]:
    """Every content element of a compiled bot, by id."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((out / "content-elements").glob("*.json")):
        for element in read_json(path):
            found[element["id"]] = element
    return found


def said(out: Path, instruction: str) -> dict[str, Any]:
    """The formData of the element a ``say #!<id>`` instruction renders."""
    element_id = instruction.split()[1].removeprefix("#!")
    form: dict[str, Any] = elements(out)[element_id]["formData"]
    return form
