"""`bot nlu eval` and `bot nlu predict`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from flowbot.cli import cli
from tests.runtime.nlu.botfactory import PIZZA_INTENTS
from tests.runtime.nlu.botfactory import SIZE_ENTITY
from tests.runtime.nlu.botfactory import make_bot
from tests.runtime.nlu.test_evaluate import TEST
from tests.runtime.nlu.test_evaluate import TRAIN


def _tsv(path: Path, pairs: list[tuple[str, str]]) -> Path:
    path.write_text("".join(f"{t}\t{lab}\n" for t, lab in pairs), encoding="utf-8")
    return path


def test_eval_prints_the_figures_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = CliRunner().invoke(
        cli,
        [
            "nlu",
            "eval",
            "--train",
            str(_tsv(tmp_path / "train.tsv", TRAIN)),
            "--test",
            str(_tsv(tmp_path / "test.tsv", TEST)),
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    labels = ("in-scope accuracy", "out-of-scope recall", "macro F1", "training time", "of CPU", "p50 / p99")
    for label in labels:
        assert label in result.output
    figures = json.loads(out.read_text())
    keys = {"in_scope_accuracy", "oos_recall", "macro_f1", "train_seconds", "train_cpu_seconds"}
    keys |= {"latency_p50_ms", "latency_p99_ms"}
    assert keys <= set(figures)


def test_eval_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("no tab here\n")
    result = CliRunner().invoke(cli, ["nlu", "eval", "--train", str(bad), "--test", str(bad)])
    assert result.exit_code == 2
    assert "bad.tsv:1: expected 'text<TAB>intent'" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["nlu", "eval", "--train", str(bad)])
    assert result.exit_code == 2 and "give --train and --test" in result.output


def test_predict_prints_event_nlu(tmp_path: Path) -> None:
    make_bot(tmp_path / "pizza", PIZZA_INTENTS, [SIZE_ENTITY])
    args = [
        "nlu",
        "predict",
        str(tmp_path / "pizza"),
        "one large pizza please",
        "--cache",
        str(tmp_path / "cache"),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    nlu = json.loads(result.output)
    assert nlu["intent"]["name"] == "order_pizza"
    assert nlu["slots"]["size"]["value"] == "large"
    assert any((tmp_path / "cache").iterdir())  # trained once, cached


def test_predict_on_a_broken_bot_says_why(tmp_path: Path) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "bot.config.json").write_text("{}")
    result = CliRunner().invoke(
        cli, ["nlu", "predict", str(tmp_path / "broken"), "hi", "--cache", str(tmp_path / "c")]
    )
    assert result.exit_code == 2
    assert "no main.flow.json" in result.output


def test_predict_on_a_source_folder_without_the_compiler_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "flowbot.compiler", None)  # an installation without the compiler
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.flow").write_text("flow main:\n")
    result = CliRunner().invoke(
        cli, ["nlu", "predict", str(tmp_path / "src"), "hi", "--cache", str(tmp_path / "c")]
    )
    assert result.exit_code == 2
    assert "compiler is not available" in result.output
