"""CLINC150 (Larson et al., 2019), full split, out-of-scope threshold protocol.

flowbot's classifier against a baseline measured in the same run: scikit-learn's plain word
TF-IDF (1-2 grams) + LinearSVC pipeline, the paper's "SVM", with the same threshold rule. Also
the cost of a whole ``NluModel.predict`` (entities, language, election) on the test utterances.
Figures go to stdout and benchmarks/results/clinc150.json; docs/performance.md quotes a run.

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


def _baseline(data: dict) -> dict:
    """Word TF-IDF + LinearSVC through scikit-learn's own pipeline, threshold giving up 1 point on val."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    from flowbot.runtime.nlu.classifier import choose_threshold

    started = time.perf_counter()
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LinearSVC(C=1.0, random_state=0)
    )
    model.fit([t for t, _ in data["train"]], [lab for _, lab in data["train"]])
    labels = list(model.classes_)
    val = model.decision_function([t for t, _ in data["val"]])
    theta = choose_threshold(val, np.array([labels.index(lab) for _, lab in data["val"]]), 0.01)
    train_seconds = time.perf_counter() - started
    times, correct = [], 0
    for text, gold in data["test"]:
        t0 = time.perf_counter()
        scores = model.decision_function([text])[0]
        times.append((time.perf_counter() - t0) * 1000)
        correct += scores.max() >= theta and labels[int(scores.argmax())] == gold
    rejected = sum(model.decision_function([t])[0].max() < theta for t, _ in data["oos_test"])
    return {
        "in_scope_accuracy": correct / len(data["test"]),
        "oos_recall": rejected / len(data["oos_test"]),
        "train_seconds": train_seconds,
        "latency_p50_ms": float(np.percentile(times, 50)),
        "latency_p99_ms": float(np.percentile(times, 99)),
    }


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


def main() -> None:
    from flowbot.runtime.nlu.evaluate import evaluate
    from flowbot.runtime.nlu.evaluate import load_clinc

    shared = Path(os.environ.get("FLOWBOT_SHARED_DIR") or ROOT.parent / "shared")
    path = shared / "data" / "clinc150" / "data_full.json"
    if not path.exists():
        print(f"skipped: {path} is absent (set FLOWBOT_SHARED_DIR to the shared folder)")
        return
    ours = evaluate(load_clinc(path)).model_dump()
    data = json.loads(path.read_text(encoding="utf-8"))
    base = _baseline(data)
    full = _full_predict_latency(data)
    results = {"flowbot": ours, "baseline_word_tfidf_linearsvc": base, "flowbot_full_predict": full}
    print(f"{'':34}{'in-scope acc':>14}{'oos recall':>12}{'train s':>9}{'p50 ms':>8}{'p99 ms':>8}")
    print(
        f"{'flowbot (words+chars+pairs, SVM)':34}"
        f"{ours['in_scope_accuracy']:>14.2%}{ours['oos_recall']:>12.2%}"
        f"{ours['train_seconds']:>9.1f}{ours['latency_p50_ms']:>8.3f}{ours['latency_p99_ms']:>8.3f}"
    )
    print(
        f"{'baseline (word tf-idf, SVM)':34}{base['in_scope_accuracy']:>14.2%}{base['oos_recall']:>12.2%}"
        f"{base['train_seconds']:>9.1f}{base['latency_p50_ms']:>8.3f}{base['latency_p99_ms']:>8.3f}"
    )
    for name, (acc, rec) in PAPER.items():
        print(f"{name + ' (paper, oos-train)':34}{acc:>13.1f}%{rec:>11.1f}%")
    print(
        f"in-scope accuracy without the threshold: {ours['in_scope_accuracy_no_threshold']:.2%}; "
        f"macro F1 {ours['macro_f1']:.4f}; model {ours['model_bytes'] / 1e6:.1f} MB"
    )
    print(
        f"ratios to the baseline: training x{ours['train_seconds'] / base['train_seconds']:.2f}, "
        f"p99 latency x{ours['latency_p99_ms'] / base['latency_p99_ms']:.2f}"
    )
    print(
        f"whole NluModel.predict (entities, election): p50 {full['predict_p50_ms']:.3f} ms, "
        f"p99 {full['predict_p99_ms']:.3f} ms "
        f"(x{full['predict_p99_ms'] / base['latency_p99_ms']:.2f} the baseline's p99); "
        f"bot training {full['bot_train_seconds']:.1f} s"
    )
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "clinc150.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
