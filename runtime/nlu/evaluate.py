"""Evaluating the intent classifier on labelled utterances (``bot nlu eval``, the CLINC150 benchmark).

The protocol is the out-of-scope *threshold* one of Larson et al. (2019): the classifier is trained
on in-scope utterances only (examples labelled ``oos``/``none`` are left out of training); the
threshold is chosen on the validation split: as the paper does, the one of the best accuracy there
when it has out-of-scope utterances (``oos`` counted as one more class), otherwise the one giving up
at most ``max_loss`` (default 1 point) of its in-scope accuracy (also when ``max_loss`` is given);
or on held-out folds of the training data when there is no validation split.
In-scope accuracy counts an in-scope utterance rejected as out-of-scope as wrong; out-of-scope
recall is the share of out-of-scope utterances rejected.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from flowbot.errors import FlowbotError
from flowbot.runtime.nlu.classifier import BACKGROUND
from flowbot.runtime.nlu.classifier import IntentClassifier
from flowbot.runtime.nlu.classifier import classifier_parts
from flowbot.runtime.nlu.storage import write_arrays
from flowbot.runtime.nlu.storage import write_meta
from flowbot.runtime.nlu.train import train_classifier

OOS_LABELS = ("oos", "none")
Pairs = list[tuple[str, str]]


class DatasetError(FlowbotError):
    """An evaluation file that cannot be read."""


class Dataset(BaseModel):
    train: Pairs
    test: Pairs
    val: Pairs | None = None


class EvalResult(BaseModel):
    in_scope_accuracy: float
    in_scope_accuracy_no_threshold: float
    oos_recall: float | None
    macro_f1: float
    val_in_scope_accuracy: float | None
    # what the chosen threshold gives up of in-scope accuracy on the validation split (issue 5's
    # rule: at most 1 point), whichever way the threshold was chosen
    val_in_scope_loss: float | None = None
    threshold: float
    train_seconds: float
    train_cpu_seconds: float  # of this process: steadier than wall-clock time on a loaded machine
    latency_p50_ms: float
    latency_p99_ms: float
    model_bytes: int
    intents: int
    train_examples: int
    test_in_scope: int
    test_oos: int


def load_tsv(path: Path) -> Pairs:
    """``text<TAB>intent`` lines; blank lines and lines starting with ``#`` are skipped."""
    pairs = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        text, sep, label = line.rpartition("\t")
        if not sep or not text.strip() or not label.strip():
            raise DatasetError(f"{path}:{number}: expected 'text<TAB>intent', got {line[:60]!r}")
        pairs.append((text.strip(), label.strip()))
    if not pairs:
        raise DatasetError(f"{path}: no 'text<TAB>intent' line")
    return pairs


def load_clinc(path: Path) -> Dataset:
    """CLINC150's ``data_full.json``: train, val + oos_val, test + oos_test (oos_train is not used:
    the threshold protocol trains on in-scope data only)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        split = lambda *keys: [(str(t), str(lab)) for k in keys for t, lab in data[k]]  # noqa: E731
        return Dataset(train=split("train"), val=split("val", "oos_val"), test=split("test", "oos_test"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read: {exc}") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise DatasetError(
            f"{path}: not a CLINC150 data file (keys train, val, test, oos_val, oos_test): {exc}"
        ) from exc


def _model_bytes(clf: IntentClassifier) -> int:
    meta, arrays = classifier_parts(clf, "")
    with tempfile.TemporaryDirectory() as folder:
        write_meta(Path(folder) / "model.json", meta.model_dump(mode="json"))
        write_arrays(Path(folder) / "arrays.npz", arrays)
        return sum(p.stat().st_size for p in Path(folder).iterdir())


def _score(clf: IntentClassifier, texts: Sequence[str]) -> tuple[np.ndarray, list[float]]:
    """Each text's scores of the real intents (background ones at -inf), one utterance at a time,
    and the time each took (ms): the figures of the thresholded and unthresholded predictions."""
    real = np.array([lab != BACKGROUND for lab in clf.labels])
    rows, times = [], []
    for text in texts:
        started = time.perf_counter()
        scores = np.where(real, clf.scores(text), -np.inf)
        times.append((time.perf_counter() - started) * 1000)
        rows.append(scores)
    return (np.vstack(rows) if rows else np.zeros((0, len(clf.labels)))), times


def _labels(clf: IntentClassifier, scores: np.ndarray, theta: float) -> list[str]:
    """The predicted intents, ``oos`` where the best score is below ``theta``."""
    best = scores.argmax(axis=1) if len(scores) else np.zeros(0, dtype=int)
    return [clf.labels[b] if row[b] >= theta else "oos" for row, b in zip(scores, best)]


def _accuracy(pairs: Pairs, predicted: list[str], oos: set[str]) -> float:
    scope = [(gold, pred) for (_, gold), pred in zip(pairs, predicted) if gold not in oos]
    return sum(g == p for g, p in scope) / max(1, len(scope))


def evaluate(
    dataset: Dataset,
    *,
    language: str = "en",
    max_loss: float | None = None,
    seed: int = 0,
    oos_labels: Sequence[str] = OOS_LABELS,
) -> EvalResult:
    from sklearn.metrics import f1_score

    oos = set(oos_labels)
    train = [(t, lab) for t, lab in dataset.train if lab not in oos]
    if len({lab for _, lab in train}) < 2:
        raise DatasetError("the training data needs at least two in-scope intents")
    validation = None
    if dataset.val:
        validation = ([t for t, _ in dataset.val], [lab for _, lab in dataset.val])
    elif max_loss is None:
        max_loss = 0.01  # held-out folds of the training data have no out-of-scope utterances
    started, started_cpu = time.perf_counter(), time.process_time()
    clf = train_classifier(
        [t for t, _ in train],
        [lab for _, lab in train],
        language,
        max_loss=max_loss,
        seed=seed,
        validation=validation,
        oos_labels=tuple(oos),
    )
    train_seconds = time.perf_counter() - started
    train_cpu_seconds = time.process_time() - started_cpu
    test_scores, times = _score(clf, [t for t, _ in dataset.test])
    predicted = _labels(clf, test_scores, clf.theta)
    unthresholded = _labels(clf, test_scores, -np.inf)
    val_accuracy = val_loss = None
    if dataset.val:
        val_scores, _ = _score(clf, [t for t, _ in dataset.val])
        val_accuracy = _accuracy(dataset.val, _labels(clf, val_scores, -np.inf), oos)
        val_loss = val_accuracy - _accuracy(dataset.val, _labels(clf, val_scores, clf.theta), oos)
    gold = ["oos" if lab in oos else lab for _, lab in dataset.test]
    oos_rows = [p for g, p in zip(gold, predicted) if g == "oos"]
    return EvalResult(
        in_scope_accuracy=_accuracy(dataset.test, predicted, oos),
        in_scope_accuracy_no_threshold=_accuracy(dataset.test, unthresholded, oos),
        oos_recall=sum(p == "oos" for p in oos_rows) / len(oos_rows) if oos_rows else None,
        macro_f1=float(f1_score(gold, predicted, average="macro", zero_division=0)),
        val_in_scope_accuracy=val_accuracy,
        val_in_scope_loss=val_loss,
        threshold=clf.theta,
        train_seconds=train_seconds,
        train_cpu_seconds=train_cpu_seconds,
        latency_p50_ms=float(np.percentile(times, 50)),
        latency_p99_ms=float(np.percentile(times, 99)),
        model_bytes=_model_bytes(clf),
        intents=len([lab for lab in clf.labels if lab != BACKGROUND]),
        train_examples=len(train),
        test_in_scope=len(gold) - len(oos_rows),
        test_oos=len(oos_rows),
    )
