"""Which folders ``bot serve`` runs: bot folders, folders of bots, source bots compiled on start."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import flowbot.compiler
from flowbot.server.bots import BotSetupError
from flowbot.server.bots import discover
from flowbot.server.bots import prepare

MAIN_FLOW = {
    "version": "0.0.1",
    "startNode": "entry",
    "nodes": [{"id": "entry-node", "name": "entry", "onEnter": [], "onReceive": None, "next": []}],
}


def make_bot(folder: Path, bot_id: str | None = None) -> Path:
    (folder / "flows").mkdir(parents=True)
    (folder / "flows" / "main.flow.json").write_text(json.dumps(MAIN_FLOW))
    config = {"id": bot_id} if bot_id else {}
    (folder / "bot.config.json").write_text(json.dumps(config))
    return folder


def test_a_bot_folder_and_a_folder_of_bots(tmp_path: Path) -> None:
    single = make_bot(tmp_path / "single")
    many = tmp_path / "many"
    make_bot(many / "b", bot_id="bravo")
    make_bot(many / "a")
    (many / "notes").mkdir()
    assert discover([single, many, single]) == [single, many / "a", many / "b"]
    assert prepare([single, many], tmp_path / "data") == {
        "single": single.resolve(),
        "a": (many / "a").resolve(),
        "bravo": (many / "b").resolve(),
    }


def test_folders_that_are_not_bots(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(BotSetupError, match="neither a bot folder"):
        discover([tmp_path / "empty"])
    with pytest.raises(BotSetupError, match="not a folder"):
        discover([tmp_path / "missing"])


def test_duplicate_bot_ids_are_refused(tmp_path: Path) -> None:
    make_bot(tmp_path / "one", bot_id="same")
    make_bot(tmp_path / "two", bot_id="same")
    with pytest.raises(BotSetupError, match="bot id 'same' is already served"):
        prepare([tmp_path], tmp_path / "data")


def test_a_broken_bot_folder_names_the_problem(tmp_path: Path) -> None:
    bot = make_bot(tmp_path / "broken")
    (bot / "flows" / "main.flow.json").write_text("{oops")
    with pytest.raises(BotSetupError, match="main.flow.json:1:2: invalid JSON"):
        prepare([bot], tmp_path / "data")


class _Result:
    def __init__(self, ok: bool, diagnostics: list[str]) -> None:
        self.ok = ok
        self.diagnostics = diagnostics


def test_source_bots_are_compiled_into_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "shop"
    source.mkdir()
    (source / "main.flow").write_text("flow main:\n  say hi\n")
    built: list[tuple[Path, Path]] = []

    def build(source_dir: Path, out_dir: Path) -> Any:
        built.append((source_dir, out_dir))
        make_bot(out_dir)
        return _Result(True, [])

    monkeypatch.setattr(flowbot.compiler, "build", build, raising=False)
    monkeypatch.setattr(
        flowbot.compiler, "render_diagnostics", lambda d, fmt="pretty": "\n".join(d), raising=False
    )
    data = tmp_path / "data"
    assert prepare([source], data) == {"shop": (data / "bots" / "shop").resolve()}
    assert built == [(source, data / "bots" / "shop")]

    monkeypatch.setattr(
        flowbot.compiler,
        "build",
        lambda s, o: _Result(False, ["main.flow:2:3: error: x [E1]"]),
        raising=False,
    )
    with pytest.raises(BotSetupError, match=r"(?s)does not compile:.*main.flow:2:3: error: x \[E1\]"):
        prepare([source], data)
