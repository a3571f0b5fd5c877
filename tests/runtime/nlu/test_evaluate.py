"""The evaluation protocol of `bot nlu eval` (and the CLINC150 benchmark)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowbot.runtime.nlu.evaluate import OOS_LABELS
from flowbot.runtime.nlu.evaluate import Dataset
from flowbot.runtime.nlu.evaluate import DatasetError
from flowbot.runtime.nlu.evaluate import evaluate
from flowbot.runtime.nlu.evaluate import load_clinc
from flowbot.runtime.nlu.evaluate import load_tsv
from flowbot.runtime.nlu.train import train_classifier
from tests.conftest import shared_path

TRAIN = (
    [
        (t, "weather")
        for t in [
            "what's the weather",
            "will it rain today",
            "is it sunny",
            "weather forecast please",
            "do i need an umbrella",
            "how hot is it outside",
            "temperature today",
            "is it cold out",
        ]
    ]
    + [
        (t, "music")
        for t in [
            "play some music",
            "put on a song",
            "play jazz",
            "i want to hear rock",
            "start my playlist",
            "play the next track",
            "music please",
            "play something relaxing",
        ]
    ]
    + [
        (t, "alarm")
        for t in [
            "set an alarm",
            "wake me up at 7",
            "alarm for tomorrow morning",
            "set my alarm clock",
            "remind me to wake up",
            "alarm at 6am",
            "cancel my alarm",
            "turn off the alarm",
        ]
    ]
    + [("book a cab", "oos")]
)
TEST = [
    ("is it going to rain", "weather"),
    ("play a song by queen", "music"),
    ("set an alarm for 8", "alarm"),
    ("what's the capital of peru", "oos"),
    ("how do i bake bread", "none"),
]


def test_evaluate_reports_every_figure() -> None:
    result = evaluate(Dataset(train=TRAIN, test=TEST))
    assert result.intents == 3 and result.train_examples == 24  # the oos example is not trained on
    assert (result.test_in_scope, result.test_oos) == (3, 2)
    assert 0 <= result.in_scope_accuracy <= result.in_scope_accuracy_no_threshold <= 1
    assert result.oos_recall is not None and 0 <= result.oos_recall <= 1
    assert 0 < result.macro_f1 <= 1
    # the timings are reported (their values are the benchmark's business, not a test's)
    assert result.latency_p50_ms <= result.latency_p99_ms
    assert result.model_bytes > 0
    assert result.val_in_scope_accuracy is None


def test_the_threshold_is_chosen_on_validation_when_given() -> None:
    val = [
        ("rain tomorrow?", "weather"),
        ("some jazz please", "music"),
        ("wake me at 9", "alarm"),
        ("sing", "oos"),
    ]
    result = evaluate(Dataset(train=TRAIN, test=TEST, val=val), max_loss=0.0)
    assert result.val_in_scope_accuracy is not None
    assert result.val_in_scope_loss == 0.0
    assert result.in_scope_accuracy <= result.in_scope_accuracy_no_threshold


def test_out_of_scope_validation_utterances_choose_the_most_accurate_threshold() -> None:
    # out-of-scope utterances that score above two of the in-scope ones: rejecting them all is the
    # most accurate choice, where a loss budget of 1 point keeps every in-scope one
    val = [
        ("some jazz please", "music"),
        ("wake me at 9", "alarm"),
        ("umbrella", "weather"),
        ("play football", "oos"),
        ("play a game", "oos"),
        ("alarm system prices", "none"),
        ("music theory class", "oos"),
    ]
    result = evaluate(Dataset(train=TRAIN, test=TEST, val=val))
    in_scope = [(t, lab) for t, lab in TRAIN if lab != "oos"]
    texts, labels = [t for t, _ in in_scope], [lab for _, lab in in_scope]
    validation = ([t for t, _ in val], [lab for _, lab in val])
    paper = train_classifier(texts, labels, "en", validation=validation, oos_labels=OOS_LABELS)
    assert result.threshold == paper.theta
    with_budget = evaluate(Dataset(train=TRAIN, test=TEST, val=val), max_loss=0.01)
    assert with_budget.threshold == train_classifier(texts, labels, "en", validation=validation).theta
    assert with_budget.threshold < result.threshold


def test_tsv_files(tmp_path: Path) -> None:
    path = tmp_path / "data.tsv"
    path.write_text("# comment\nhello there\tgreet\n\nbye\tbye\n", encoding="utf-8")
    assert load_tsv(path) == [("hello there", "greet"), ("bye", "bye")]
    path.write_text("hello there greet\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"data.tsv:1: expected 'text<TAB>intent'"):
        load_tsv(path)


def test_clinc_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"train": []}))
    with pytest.raises(DatasetError, match="not a CLINC150 data file"):
        load_clinc(path)


def test_one_intent_is_not_enough() -> None:
    with pytest.raises(DatasetError, match="at least two in-scope intents"):
        evaluate(Dataset(train=[("hi", "greet"), ("hello", "greet")], test=[("hey", "greet")]))


@pytest.mark.slow
def test_clinc150_targets() -> None:
    """CLINC150 full, the paper's oos-threshold protocol (train on in-scope train only, threshold of
    the best accuracy on val + oos_val): issue 5's targets of in-scope accuracy >= 93% with
    out-of-scope recall >= 60%, and a model under 40 MB; the figures docs/performance.md reports
    (93.02% / 60.4%, 93.69% before the threshold). Training time and latency are not asserted:
    speed is measured in benchmarks/clinc150.py, never in timed tests (a loaded machine would fail
    them)."""
    result = evaluate(load_clinc(shared_path("data", "clinc150", "data_full.json")))
    assert result.oos_recall is not None and result.oos_recall >= 0.60
    assert result.in_scope_accuracy >= 0.93
    assert result.in_scope_accuracy_no_threshold >= 0.935
    # the threshold keeps to issue 5's rule: at most 1 point of in-scope accuracy given up on val
    assert result.val_in_scope_loss is not None and 0 <= result.val_in_scope_loss <= 0.01
    assert result.model_bytes < 40_000_000
