"""`bot build` trains the NLU only when its data changed: an unchanged model is copied from the
previous build (training is deterministic, so the bytes are the ones training would write)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowbot.compiler import build
from flowbot.runtime.nlu import train as nlu_train
from tests.compiler.util import bot_with

SOURCE = """
intent greet
  - hello
  - hi there
  - good morning

intent bye
  - goodbye
  - see you later
  - bye bye

flow main
  node entry
    say "Hello"
    listen
    when intent greet -> entry
    else -> end
"""


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _training_calls(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Count the trainings (every path to a model goes through train_from_data)."""
    calls: list[object] = []
    real = nlu_train.train_from_data

    def counted(data: object, seed: int = 0) -> object:
        calls.append(data)
        return real(data, seed)  # type: ignore[arg-type]

    monkeypatch.setattr(nlu_train, "train_from_data", counted)
    return calls


def _no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(data: object, seed: int = 0) -> object:
        raise AssertionError("the NLU was trained again")

    monkeypatch.setattr(nlu_train, "train_from_data", refuse)


def test_a_rebuild_with_the_same_nlu_data_does_not_train(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, out = bot_with(tmp_path, SOURCE), tmp_path / "out"
    assert build(src, out).ok
    first = _tree(out)
    assert "nlu/model.json" in first and "nlu/arrays.npz" in first
    # a flow changes, the NLU data does not
    (src / "main.flow").write_text((src / "main.flow").read_text().replace('say "Hello"', 'say "Hi!"'))
    _no_training(monkeypatch)
    result = build(src, out)
    assert result.ok, result.diagnostics
    second = _tree(out)
    assert {k: v for k, v in second.items() if k.startswith("nlu/")} == {
        k: v for k, v in first.items() if k.startswith("nlu/")
    }
    assert second["content-elements/builtin_text.json"] != first["content-elements/builtin_text.json"]


def test_the_copied_model_is_the_one_training_writes(tmp_path: Path) -> None:
    src = bot_with(tmp_path, SOURCE)
    assert build(src, tmp_path / "out").ok and build(src, tmp_path / "out").ok
    assert build(src, tmp_path / "fresh").ok
    assert _tree(tmp_path / "out") == _tree(tmp_path / "fresh")


def test_a_changed_utterance_retrains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, out = bot_with(tmp_path, SOURCE), tmp_path / "out"
    assert build(src, out).ok
    before = (out / "nlu" / "model.json").read_bytes()
    (src / "main.flow").write_text((src / "main.flow").read_text().replace("see you later", "farewell"))
    calls = _training_calls(monkeypatch)
    assert build(src, out).ok
    assert len(calls) == 1
    assert (out / "nlu" / "model.json").read_bytes() != before
    assert build(src, out).ok and len(calls) == 1  # and the new model is reused in turn


def test_an_unreadable_previous_model_is_trained_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, out = bot_with(tmp_path, SOURCE), tmp_path / "out"
    assert build(src, out).ok
    good = (out / "nlu" / "model.json").read_bytes()
    (out / "nlu" / "model.json").write_text("{not json")
    calls = _training_calls(monkeypatch)
    assert build(src, out).ok
    assert len(calls) == 1 and (out / "nlu" / "model.json").read_bytes() == good


def test_a_build_into_a_new_folder_trains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = bot_with(tmp_path, SOURCE)
    assert build(src, tmp_path / "a").ok
    calls = _training_calls(monkeypatch)
    assert build(src, tmp_path / "b").ok and len(calls) == 1
