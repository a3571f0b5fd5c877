"""``bot nlu``: evaluate the intent classifier on labelled data, or see what the NLU makes of a text."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import click


@click.group(name="nlu")
def command() -> None:
    """The built-in NLU: evaluate it, or run it on a text."""


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _print_result(result: Any) -> None:
    rows = [
        ("in-scope accuracy", f"{result.in_scope_accuracy:.2%}"),
        ("  without the out-of-scope threshold", f"{result.in_scope_accuracy_no_threshold:.2%}"),
        (
            "out-of-scope recall",
            "n/a (no out-of-scope test data)" if result.oos_recall is None else f"{result.oos_recall:.2%}",
        ),
        ("macro F1", f"{result.macro_f1:.4f}"),
        ("training time", f"{result.train_seconds:.1f} s ({result.train_cpu_seconds:.1f} s of CPU)"),
        ("prediction latency p50 / p99", f"{result.latency_p50_ms:.3f} / {result.latency_p99_ms:.3f} ms"),
        ("model size", f"{result.model_bytes / 1e6:.1f} MB"),
        ("intents / training utterances", f"{result.intents} / {result.train_examples}"),
        ("test utterances in scope / out of scope", f"{result.test_in_scope} / {result.test_oos}"),
        ("threshold (SVM score)", f"{result.threshold:.4f}"),
    ]
    if result.val_in_scope_loss is not None:
        rows.append(("  in-scope accuracy it gives up on validation", f"{result.val_in_scope_loss * 100:.2f} points"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        click.echo(f"{name.ljust(width)}  {value}")


@command.command(name="eval")
@click.option(
    "--train",
    "train_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Training utterances, one 'text<TAB>intent' per line.",
)
@click.option(
    "--test",
    "test_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Test utterances; intent 'oos' (or 'none') marks out-of-scope ones.",
)
@click.option(
    "--val",
    "val_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Validation utterances on which to choose the out-of-scope threshold "
    "(default: held-out folds of the training data).",
)
@click.option(
    "--clinc",
    "clinc_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CLINC150's data_full.json, instead of --train/--test/--val.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the figures as JSON.",
)
@click.option(
    "--language", default="en", show_default=True, help="Language of the utterances (stemming, numbers)."
)
@click.option(
    "--max-loss",
    default=None,
    type=click.FloatRange(0.0, 0.5),
    help="Share of in-scope accuracy the out-of-scope threshold may give up. Default: the threshold "
    "of the best validation accuracy when the validation split has out-of-scope utterances (labels "
    "oos/none; the rule of Larson et al.), else 0.01.",
)
@click.option("--seed", default=0, show_default=True, type=int)
def eval_command(
    train_path: Path | None,
    test_path: Path | None,
    val_path: Path | None,
    clinc_path: Path | None,
    json_path: Path | None,
    language: str,
    max_loss: float | None,
    seed: int,
) -> None:
    """Train on labelled utterances and report in-scope accuracy, out-of-scope recall, macro F1,
    training time and prediction latency."""
    from flowbot.runtime.nlu.evaluate import Dataset
    from flowbot.runtime.nlu.evaluate import DatasetError
    from flowbot.runtime.nlu.evaluate import evaluate
    from flowbot.runtime.nlu.evaluate import load_clinc
    from flowbot.runtime.nlu.evaluate import load_tsv

    try:
        if clinc_path is not None:
            if train_path or test_path or val_path:
                _fail("use either --clinc or --train/--test/--val, not both")
            dataset = load_clinc(clinc_path)
        elif train_path is None or test_path is None:
            _fail("give --train and --test (or --clinc)")
        else:
            dataset = Dataset(
                train=load_tsv(train_path),
                test=load_tsv(test_path),
                val=load_tsv(val_path) if val_path else None,
            )
        click.echo(f"training on {len(dataset.train)} utterances...", err=True)
        result = evaluate(dataset, language=language, max_loss=max_loss, seed=seed)
    except DatasetError as exc:
        _fail(str(exc))
    _print_result(result)
    if json_path is not None:
        json_path.write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "flowbot" / "nlu"


def _load_bot(bot_dir: Path, workdir: Path) -> Any:
    from flowbot.runtime.bot import BotLoadError
    from flowbot.runtime.bot import load_bot

    if not (bot_dir / "bot.config.json").exists() and any(bot_dir.glob("*.flow")):
        try:
            from flowbot.compiler import build
        except ImportError:
            _fail(
                f"{bot_dir} is a DSL source folder, and the compiler is not available in this installation: "
                "compile it with `bot build` and pass the output folder"
            )
        result = build(bot_dir, workdir / "bot")
        if not result.ok:
            _fail(f"{bot_dir} does not compile; run `bot build {bot_dir}` to see why")
        bot_dir = workdir / "bot"
    try:
        return load_bot(bot_dir)
    except BotLoadError as exc:
        _fail(str(exc))


@command.command(name="predict")
@click.argument("bot_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("text")
@click.option(
    "--context", "contexts", multiple=True, help="An included context (repeatable; default: global)."
)
@click.option("--language", default=None, help="The user's language, used when it cannot be detected.")
@click.option(
    "--cache",
    "cache_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where trained models are kept (default: ~/.cache/flowbot/nlu).",
)
def predict_command(
    bot_dir: Path, text: str, contexts: tuple[str, ...], language: str | None, cache_dir: Path | None
) -> None:
    """Print the event.nlu object the bot in BOT_DIR computes for TEXT (a compiled or Botpress
    bot folder, or a DSL source folder)."""
    from flowbot.errors import FlowbotError
    from flowbot.runtime.nlu import load_or_train

    with tempfile.TemporaryDirectory() as workdir:
        bot = _load_bot(bot_dir, Path(workdir))
        try:
            model = load_or_train(bot, cache_dir or _default_cache())
        except FlowbotError as exc:
            _fail(str(exc))
        nlu = model.predict(text, list(contexts) or ["global"], language)
    click.echo(json.dumps(nlu, indent=2, ensure_ascii=False))
