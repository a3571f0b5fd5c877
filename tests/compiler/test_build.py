"""The compiler API (contract §6): build writes a bot folder only when the bot has no errors,
replaces a previous build, refuses to overwrite other folders, never raises, trains the NLU
when the NLU module is installed."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from flowbot.compiler import build
from flowbot.compiler import check
from flowbot.compiler import is_source_bot
from flowbot.compiler import pipeline
from flowbot.runtime.bot import load_bot
from tests.compiler.util import bot_with
from tests.conftest import ROOT

GOOD = 'flow main\n  node entry\n    say "Hello"\n    -> end\n'
BAD = 'flow main\n  node entry\n    say "Hello"\n    -> nowhere\n'


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_writes_a_loadable_bot_folder(tmp_path: Path) -> None:
    result = build(bot_with(tmp_path, GOOD), tmp_path / "out")
    assert result.ok and result.diagnostics == [] and result.out_dir == tmp_path / "out"
    assert sorted(_tree(tmp_path / "out")) == [
        "bot.config.json", "content-elements/builtin_text.json", "flows/main.flow.json", "flows/main.ui.json",
        "nlu/arrays.npz", "nlu/model.json",
    ]
    assert load_bot(tmp_path / "out").bot_id == "test"


def test_build_writes_nothing_when_there_are_errors(tmp_path: Path) -> None:
    result = build(bot_with(tmp_path, BAD), tmp_path / "out")
    assert not result.ok
    assert [d.code for d in result.errors] == ["E101"]
    assert not (tmp_path / "out").exists()


def test_a_failed_build_leaves_the_previous_output_alone(tmp_path: Path) -> None:
    src = bot_with(tmp_path, GOOD)
    assert build(src, tmp_path / "out").ok
    before = _tree(tmp_path / "out")
    (src / "main.flow").write_text('bot test "Test Bot"\n\n' + BAD)
    assert not build(src, tmp_path / "out").ok
    assert _tree(tmp_path / "out") == before


def test_rebuild_replaces_the_previous_build_and_leaves_no_stale_file(tmp_path: Path) -> None:
    src = bot_with(tmp_path, GOOD)
    out = tmp_path / "out"
    assert build(src, out).ok
    (out / "flows" / "old.flow.json").write_text("{}")
    assert build(src, out).ok
    assert "flows/old.flow.json" not in _tree(out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_build_is_deterministic(tmp_path: Path) -> None:
    src = bot_with(tmp_path, GOOD)
    assert build(src, tmp_path / "a").ok and build(src, tmp_path / "b").ok
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def test_build_refuses_to_replace_a_folder_that_is_not_a_bot(tmp_path: Path) -> None:
    precious = tmp_path / "documents"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete")
    result = build(bot_with(tmp_path, GOOD), precious)
    assert not result.ok
    assert [d.code for d in result.errors] == ["E121"]
    assert "is not an empty folder nor a bot folder" in result.errors[0].message
    assert (precious / "thesis.txt").read_text() == "do not delete"


def test_build_reports_an_output_path_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("a file")
    result = build(bot_with(tmp_path, GOOD), tmp_path / "out")
    assert [d.code for d in result.errors] == ["E121"]


def test_is_source_bot(tmp_path: Path) -> None:
    src = bot_with(tmp_path, GOOD)
    assert build(src, tmp_path / "out").ok
    assert is_source_bot(src)
    assert not is_source_bot(tmp_path / "out")
    assert not is_source_bot(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    assert not is_source_bot(tmp_path / "empty")


def test_check_of_a_missing_folder_is_a_diagnostic(tmp_path: Path) -> None:
    assert [d.code for d in check(tmp_path / "missing")] == ["E113"]


def test_a_bug_in_the_compiler_is_an_internal_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> list[Any]:
        raise KeyError("oops")

    monkeypatch.setattr(pipeline, "check_graph", broken)
    diags = check(bot_with(tmp_path, GOOD))
    assert [d.code for d in diags] == ["E900"]
    assert diags[0].is_internal and diags[0].message.startswith("internal error: KeyError: 'oops' (test_build.py:")
    result = build(bot_with(tmp_path, GOOD), tmp_path / "out")
    assert not result.ok and [d.code for d in result.internal_errors] == ["E900"]


class _FakeModel:
    def __init__(self, intents: list[str]) -> None:
        self.intents = intents

    def save(self, folder: Path) -> None:
        folder.mkdir()
        (folder / "model.json").write_text(",".join(self.intents))


def test_build_trains_the_nlu_when_the_module_is_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType(pipeline.NLU_MODULE)
    fake.train_nlu = lambda bot: _FakeModel(sorted(i.name for i in bot.intents))  # type: ignore[attr-defined]
    fake.copy_if_current = lambda bot, previous, target: False  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, pipeline.NLU_MODULE, fake)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object() if name == pipeline.NLU_MODULE else None)
    source = "intent hi\n  - hi\n  - hello\n  - hey\n" + GOOD
    assert build(bot_with(tmp_path, source), tmp_path / "out").ok
    assert (tmp_path / "out" / "nlu" / "model.json").read_text() == "hi"


def test_nlu_training_reads_what_load_bot_would(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Training gets the emitted config, intents, entities and QnA without reading the folder back."""
    seen: list[Any] = []
    fake = types.ModuleType(pipeline.NLU_MODULE)
    fake.train_nlu = lambda bot: seen.append(bot) or _FakeModel([])  # type: ignore[attr-defined]
    fake.copy_if_current = lambda bot, previous, target: False  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, pipeline.NLU_MODULE, fake)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object() if name == pipeline.NLU_MODULE else None)
    source = ROOT / "bots" / "pizza"
    assert build(source, tmp_path / "out").ok
    [given] = seen
    loaded = load_bot(tmp_path / "out")
    assert (given.bot_id, given.config) == (loaded.bot_id, loaded.config)
    assert [i.name for i in given.intents] == [i.name for i in loaded.intents] != []
    assert (given.intents, given.entities, given.qna) == (loaded.intents, loaded.entities, loaded.qna)
    assert given.qna and given.entities


def test_build_skips_nlu_training_without_the_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert build(bot_with(tmp_path, GOOD), tmp_path / "out").ok
    assert not (tmp_path / "out" / "nlu").exists()


def test_hooks_are_copied(tmp_path: Path) -> None:
    hook = "async def run(event):\n    event['flags'] = {}\n"
    src = bot_with(tmp_path, GOOD, {"hooks/before_incoming/10_flags.py": hook, "hooks/README.md": "notes"})
    assert build(src, tmp_path / "out").ok
    assert (tmp_path / "out" / "hooks" / "before_incoming" / "10_flags.py").read_text() == hook
    assert not (tmp_path / "out" / "hooks" / "README.md").exists()


def test_gc_is_restored_after_compiling(tmp_path: Path) -> None:
    import gc

    assert gc.isenabled()
    check(bot_with(tmp_path, GOOD))
    assert gc.isenabled()


def test_build_without_the_nlu_model(tmp_path: Path) -> None:
    """Tools that keep trained models in a cache of their own (bot test, bot chat) build without one."""
    from tests.conftest import ROOT

    result = build(ROOT / "bots" / "weather", tmp_path / "out", train_nlu=False)
    assert result.ok
    assert (tmp_path / "out" / "flows" / "main.flow.json").is_file()
    assert not (tmp_path / "out" / "nlu").exists()


def test_what_compiling_made_is_not_left_in_the_youngest_generation() -> None:
    """With the collector paused, objects pile up in the youngest generation; left there, the
    first allocation after compiling would traverse them all. They go to the oldest."""
    import gc

    with pipeline._gc_paused():
        kept = [[index] for index in range(5000)]
    oldest = {id(item) for item in gc.get_objects(generation=2)}
    assert all(id(item) in oldest for item in kept)
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_objects_frozen_by_others_stay_frozen(tmp_path: Path) -> None:
    import gc

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        check(bot_with(tmp_path, GOOD))
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_training_keeps_objects_frozen_by_others_frozen(tmp_path: Path) -> None:
    """``bot serve`` freezes its startup objects; a recompile on --reload trains the NLU and must
    not release them (each full collection would walk them all again)."""
    import gc

    from tests.conftest import ROOT

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert build(ROOT / "bots" / "weather", tmp_path / "out").ok
        assert (tmp_path / "out" / "nlu" / "model.json").is_file()
        # frozen objects may still be freed by reference counting; unfrozen, the count is 0
        assert gc.get_freeze_count() > frozen * 0.9
    finally:
        gc.unfreeze()
