"""CLINC150 (Larson et al., 2019), full split, out-of-scope threshold protocol.

flowbot's classifier against a baseline measured in the same run: scikit-learn's plain word
TF-IDF (1-2 grams) + LinearSVC pipeline, the paper's "SVM". Both with the two threshold rules:
the paper's (the best accuracy on val + oos_val, oos as one more class; ``bot nlu eval``'s default
for CLINC150) and the one for data without out-of-scope utterances (give up at most 1 point of
validation in-scope accuracy). Also the cost of a whole ``NluModel.predict`` (entities, language,
election) on the test utterances. Figures go to stdout and benchmarks/results/clinc150.json;
docs/performance.md quotes a run. Training time is given in CPU seconds too: on a shared machine
wall-clock time moves with the other jobs.

    python -m benchmarks clinc150
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PAPER = {"Rasa": (91.5, 45.3), "Dialogflow": (91.7, 14.0), "BERT": (96.9, 40.3)}


def _baseline_thresholds(model, data: dict) -> dict[str, float]:
    """The baseline's threshold by each rule, from its validation scores."""
    from flowbot.runtime.nlu.classifier import choose_threshold
    from flowbot.runtime.nlu.classifier import choose_threshold_accuracy

    labels = list(model.classes_)
    val = model.decision_function([t for t, _ in data["val"] + data["oos_val"]])
    y = np.array([labels.index(lab) for _, lab in data["val"]] + [-1] * len(data["oos_val"]))
    negative = y < 0
    return {
        "paper": choose_threshold_accuracy(val, y, negative),
        "max_loss_0.01": choose_threshold(val[~negative], y[~negative], 0.01),
    }


def _baseline(data: dict) -> dict:
    """Word TF-IDF + LinearSVC through scikit-learn's own pipeline, thresholds of both rules."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    started, started_cpu = time.perf_counter(), time.process_time()
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LinearSVC(C=1.0, random_state=0)
    )
    model.fit([t for t, _ in data["train"]], [lab for _, lab in data["train"]])
    thresholds = _baseline_thresholds(model, data)
    out = {
        "train_seconds": time.perf_counter() - started,
        "train_cpu_seconds": time.process_time() - started_cpu,
    }
    labels = list(model.classes_)
    times, test = [], []
    for text, _ in data["test"]:
        t0 = time.perf_counter()
        test.append(model.decision_function([text])[0])
        times.append((time.perf_counter() - t0) * 1000)
    scores = np.array(test)
    right = np.array([labels[i] == gold for i, (_, gold) in zip(scores.argmax(axis=1), data["test"])])
    oos_best = model.decision_function([t for t, _ in data["oos_test"]]).max(axis=1)
    for rule, theta in thresholds.items():
        out[rule] = {
            "in_scope_accuracy": float(np.mean(right & (scores.max(axis=1) >= theta))),
            "oos_recall": float(np.mean(oos_best < theta)),
        }
    out["latency_p50_ms"] = float(np.percentile(times, 50))
    out["latency_p99_ms"] = float(np.percentile(times, 99))
    return out


def _full_predict_latency(data: dict) -> dict:
    """``NluModel.predict`` (what a turn pays) for a bot made of CLINC150's intents."""
    from flowbot.runtime.nlu.data import Example
    from flowbot.runtime.nlu.data import IntentInfo
    from flowbot.runtime.nlu.data import NluConfig
    from flowbot.runtime.nlu.data import TrainingData
    from flowbot.runtime.nlu.train import train_from_data

    names = sorted({lab for _, lab in data["train"]})
    training = TrainingData(
        default_language="en",
        languages=["en"],
        entities=[],
        config=NluConfig(),
        intents=[IntentInfo(name=n, contexts=("global",)) for n in names],
        examples={"en": [Example(text=t, intent=lab) for t, lab in data["train"]]},
    )
    started = time.perf_counter()
    model = train_from_data(training)
    train_seconds = time.perf_counter() - started
    model.warm_up()
    texts = [t for t, _ in data["test"] + data["oos_test"]]
    times = []
    for text in texts:
        t0 = time.perf_counter()
        model.predict(text, ["global"])
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "bot_train_seconds": train_seconds,
        "predict_p50_ms": float(np.percentile(times, 50)),
        "predict_p99_ms": float(np.percentile(times, 99)),
    }


def _print(ours: dict, ours_loss: dict, base: dict, full: dict) -> None:
    columns = (
        ("in-scope acc", 13), ("oos recall", 11), ("train s", 9), ("CPU s", 7), ("p50 ms", 8), ("p99 ms", 8)
    )
    print(" " * 40 + "".join(f"{name:>{width}}" for name, width in columns))
    for name, r in (("flowbot, paper's rule", ours), ("flowbot, 1-point rule", ours_loss)):
        print(
            f"{name:40}{r['in_scope_accuracy']:>13.2%}{r['oos_recall']:>11.2%}{r['train_seconds']:>9.1f}"
            f"{r['train_cpu_seconds']:>7.1f}{r['latency_p50_ms']:>8.3f}{r['latency_p99_ms']:>8.3f}"
        )
    for rule, name in (("paper", "baseline, paper's rule"), ("max_loss_0.01", "baseline, 1-point rule")):
        print(
            f"{name:40}{base[rule]['in_scope_accuracy']:>13.2%}{base[rule]['oos_recall']:>11.2%}"
            f"{base['train_seconds']:>9.1f}{base['train_cpu_seconds']:>7.1f}"
            f"{base['latency_p50_ms']:>8.3f}{base['latency_p99_ms']:>8.3f}"
        )
    for name, (acc, rec) in PAPER.items():
        print(f"{name + ' (paper, oos-train)':40}{acc:>12.1f}%{rec:>10.1f}%")
    print(
        f"in-scope accuracy without the threshold: {ours['in_scope_accuracy_no_threshold']:.2%} "
        f"(the paper's-rule threshold gives up {ours['val_in_scope_loss'] * 100:.2f} points on validation); "
        f"macro F1 {ours['macro_f1']:.4f}; model {ours['model_bytes'] / 1e6:.1f} MB"
    )
    print(
        f"ratios to the baseline: training x{ours['train_seconds'] / base['train_seconds']:.2f} "
        f"(CPU x{ours['train_cpu_seconds'] / base['train_cpu_seconds']:.2f}), "
        f"p50 latency x{ours['latency_p50_ms'] / base['latency_p50_ms']:.2f}, "
        f"p99 latency x{ours['latency_p99_ms'] / base['latency_p99_ms']:.2f}"
    )
    print(
        f"whole NluModel.predict (entities, election): p50 {full['predict_p50_ms']:.3f} ms, "
        f"p99 {full['predict_p99_ms']:.3f} ms "
        f"(x{full['predict_p99_ms'] / base['latency_p99_ms']:.2f} the baseline's p99); "
        f"bot training {full['bot_train_seconds']:.1f} s"
    )


def main() -> None:
    from flowbot.runtime.nlu.evaluate import evaluate
    from flowbot.runtime.nlu.evaluate import load_clinc

    shared = Path(os.environ.get("FLOWBOT_SHARED_DIR") or ROOT.parent / "shared")
    path = shared / "data" / "clinc150" / "data_full.json"
    if not path.exists():
        print(f"skipped: {path} is absent (set FLOWBOT_SHARED_DIR to the shared folder)")
        return
    dataset = load_clinc(path)
    ours = evaluate(dataset).model_dump()
    ours_loss = evaluate(dataset, max_loss=0.01).model_dump()
    data = json.loads(path.read_text(encoding="utf-8"))
    base = _baseline(data)
    full = _full_predict_latency(data)
    _print(ours, ours_loss, base, full)
    results = {
        "flowbot": ours,
        "flowbot_max_loss_0.01": ours_loss,
        "baseline_word_tfidf_linearsvc": base,
        "flowbot_full_predict": full,
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "clinc150.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
