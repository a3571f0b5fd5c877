"""The intent classifier: TF-IDF blocks (see features.py) and a one-vs-rest linear SVM.

Scores are the SVM's raw decision values, one per intent, independent of each other, so that
restricting the election to the intents of some contexts keeps them meaningful. Out-of-scope is a
threshold ``theta`` on the best score, chosen on held-out data (:func:`choose_threshold`); a
per-intent confidence ``sigmoid(slope * (score - theta))`` is 0.5 exactly at the threshold, with
``slope`` fitted on held-out scores (:func:`fit_slope`).

Training uses scikit-learn; prediction uses only numpy on the saved arrays.
"""

from __future__ import annotations

import math
import random
import string
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel
from pydantic import ConfigDict

from flowbot.runtime.nlu.features import BLOCKS
from flowbot.runtime.nlu.features import Analyzer
from flowbot.runtime.nlu.features import TfidfBlock
from flowbot.runtime.nlu.features import block_getter
from flowbot.runtime.nlu.features import unseen_idf

BACKGROUND = "__background__"
# The label index of a held-out example known to be out of scope (calibrate).
OUT_OF_SCOPE = -1
# Held-out data that separates perfectly would push the slope to infinity (confidences of 0 or 1).
MAX_SLOPE = 20.0


class ClassifierOptions(BaseModel):
    """Training hyper-parameters; the defaults were tuned on CLINC150's validation split."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    c: float = 0.5
    # Rare character n-grams and word pairs are noise on large data; on a small bot every one counts.
    large_data: int = 2000
    chars_min_df_large: int = 2
    pairs_min_df_large: int = 3
    # Blocks whose unseen features count in the norm (features.py), on large data: on CLINC150 it
    # raises in-scope accuracy at a given out-of-scope recall (docs/performance.md); pairs are too
    # often unseen (min_df). Small bots are left as they were: there it was not measured, and an
    # in-scope utterance has unseen words far more often.
    unknown_blocks_large: tuple[str, ...] = ("words", "chars")


class IntentClassifier:
    """Arrays of a trained classifier: vocabularies/idf per block, weights ``coef`` (features x intents)."""

    def __init__(
        self,
        language: str,
        labels: list[str],
        blocks: list[TfidfBlock],
        coef: np.ndarray,
        intercept: np.ndarray,
        theta: float = 0.0,
        slope: float = 1.0,
    ) -> None:
        self.language = language
        self.labels = labels
        self.blocks = blocks
        self.coef = coef
        self.intercept = intercept
        self.theta = theta
        self.slope = slope
        self.analyzer = Analyzer(language)

    def scores(self, text: str) -> np.ndarray:
        """Raw decision values of every intent for one text (numpy only)."""
        cols: list[int] = []
        values: list[float] = []
        for block, feats in zip(self.blocks, self.analyzer.analyze(text)):
            c, v = block.transform(feats)
            cols.extend(c)
            values.extend(v)
        if not cols:
            return self.intercept.astype(np.float64)
        weights = np.asarray(values, dtype=np.float32)
        return (weights @ self.coef[cols]).astype(np.float64) + self.intercept

    def scores_batch(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([self.scores(t) for t in texts]) if texts else np.zeros((0, len(self.labels)))

    def confidences(self, scores: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.slope * (scores - self.theta)))


class ClassifierMeta(BaseModel):
    """The JSON half of a saved classifier (the arrays are ``idf/<block>``, ``coef``, ``intercept``)."""

    model_config = ConfigDict(extra="forbid")

    labels: list[str]
    vocabularies: dict[str, list[str]]
    # idf of the unseen features of a block (features.TfidfBlock); absent from older models,
    # which keep scoring as they were calibrated
    unknown_idf: dict[str, float] = {}
    theta: float
    slope: float


def classifier_parts(clf: IntentClassifier, prefix: str) -> tuple[ClassifierMeta, dict[str, np.ndarray]]:
    meta = ClassifierMeta(
        labels=clf.labels,
        vocabularies={name: block.vocabulary for name, block in zip(BLOCKS, clf.blocks)},
        unknown_idf={name: block.unknown_idf for name, block in zip(BLOCKS, clf.blocks) if block.unknown_idf},
        theta=clf.theta,
        slope=clf.slope,
    )
    arrays = {
        f"{prefix}coef": clf.coef.astype(np.float32),
        f"{prefix}intercept": clf.intercept.astype(np.float32),
    }
    for name, block in zip(BLOCKS, clf.blocks):
        arrays[f"{prefix}idf/{name}"] = block.idf.astype(np.float32)
    return meta, arrays


def classifier_from_parts(
    language: str, meta: ClassifierMeta, arrays: dict[str, np.ndarray], prefix: str
) -> IntentClassifier:
    """Rebuild a classifier, checking that arrays and metadata agree (a mismatch is a corrupt model)."""
    blocks, offset = [], 0
    for name in BLOCKS:
        vocab = meta.vocabularies.get(name, [])
        idf = arrays[f"{prefix}idf/{name}"]
        if idf.shape != (len(vocab),):
            raise ValueError(f"idf of block {name!r} has shape {idf.shape}, expected ({len(vocab)},)")
        blocks.append(TfidfBlock(vocab, idf, offset, meta.unknown_idf.get(name, 0.0)))
        offset += len(vocab)
    coef, intercept = arrays[f"{prefix}coef"], arrays[f"{prefix}intercept"]
    if coef.shape != (offset, len(meta.labels)) or intercept.shape != (len(meta.labels),):
        raise ValueError(
            f"weights have shape {coef.shape}/{intercept.shape}, expected ({offset}, {len(meta.labels)})"
        )
    return IntentClassifier(
        language,
        meta.labels,
        blocks,
        coef.astype(np.float32),
        intercept.astype(np.float64),
        meta.theta,
        meta.slope,
    )


def _analyze_all(analyzer: Analyzer, texts: Sequence[str]) -> list[tuple[list[str], ...]]:
    return [analyzer.analyze(t) for t in texts]


def background_texts(texts: Sequence[str], vocabulary_texts: Sequence[str], seed: int) -> list[str]:
    """Utterances of an "anything else" class: random bags of the bot's words and random letter
    strings, shaped like the training texts. A classifier of one context learns from them what is
    not one of its intents (a linear SVM also needs a second class when a context has one intent)."""
    rng = random.Random(seed)
    words = sorted({w for t in vocabulary_texts for w in t.split()})
    lengths = [max(1, len(t.split())) for t in texts]
    out = []
    for i in range(max(20, len(texts))):
        n = lengths[i % len(lengths)]
        if words and i % 2 == 0:
            out.append(" ".join(rng.choices(words, k=n)))
        else:
            out.append(
                " ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 8))) for _ in range(n))
            )
    return out


def _vectorize(
    docs: list[tuple[list[str], ...]], min_df: dict[str, int], unknown_blocks: Sequence[str]
) -> tuple[Any, list[TfidfBlock]]:
    """The TF-IDF matrix of analysed documents, and each block's vocabulary and idf. Blocks of
    ``unknown_blocks`` count unseen features in the norm at prediction time (not in training: the
    SVM learns from the documents as scikit-learn weighs them)."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrices, blocks, offset = [], [], 0
    for i, name in enumerate(BLOCKS):
        vec = TfidfVectorizer(
            analyzer=block_getter(i), sublinear_tf=True, min_df=min_df[name], dtype=np.float64
        )
        try:
            matrices.append(vec.fit_transform(docs))
        except ValueError:  # an empty vocabulary (e.g. no word pair in one-word utterances)
            blocks.append(TfidfBlock([], np.zeros(0, dtype=np.float32), offset))
            continue
        unknown = unseen_idf(len(docs)) if name in unknown_blocks else 0.0
        vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
        # float32 now, as saved: a fresh model and its saved copy then score identically
        blocks.append(TfidfBlock(vocab, np.asarray(vec.idf_, dtype=np.float32), offset, unknown))
        offset += len(vocab)
    return hstack(matrices).tocsr(), blocks


def fit_classifier(
    texts: Sequence[str],
    labels: Sequence[str],
    language: str,
    options: ClassifierOptions | None = None,
    seed: int = 0,
    background: Sequence[str] = (),
) -> IntentClassifier:
    """Fit the vectorizers and the SVM (deterministic for a given seed). ``background`` texts form
    the :data:`BACKGROUND` class (a single intent always gets one). Threshold and slope are left at
    neutral values: set them with :func:`calibrate`."""
    from sklearn.svm import LinearSVC

    options = options or ClassifierOptions()
    texts, labels = list(texts), list(labels)
    if not background and len(set(labels)) < 2:
        background = background_texts(texts, texts, seed)
    texts, labels = texts + list(background), labels + [BACKGROUND] * len(background)
    large = len(texts) >= options.large_data
    min_df = {
        "words": 1,
        "chars": options.chars_min_df_large if large else 1,
        "pairs": options.pairs_min_df_large if large else 1,
    }
    unknown_blocks = options.unknown_blocks_large if large else ()
    matrix, blocks = _vectorize(_analyze_all(Analyzer(language), texts), min_df, unknown_blocks)
    label_names = sorted(set(labels))
    y = np.array([label_names.index(lab) for lab in labels])
    svm = LinearSVC(C=options.c, class_weight="balanced", random_state=seed, max_iter=5000)
    svm.fit(matrix, y)
    coef, intercept = svm.coef_, svm.intercept_
    if len(label_names) == 2:  # scikit-learn keeps one row, for the second class
        coef, intercept = np.vstack([-coef[0], coef[0]]), np.array([-intercept[0], intercept[0]])
    return IntentClassifier(
        language,
        label_names,
        blocks,
        np.ascontiguousarray(coef.T, dtype=np.float32),
        intercept.astype(np.float32).astype(np.float64),
    )


def choose_threshold(scores: np.ndarray, y: np.ndarray, max_loss: float) -> float:
    """The highest threshold on the best score that rejects at most ``max_loss`` (a fraction) of
    the held-out in-scope examples that the classifier got right. ``y`` holds label indices."""
    best = scores.max(axis=1)
    correct = np.sort(best[scores.argmax(axis=1) == y])
    if correct.size == 0:
        return 0.0
    allowed = int(math.floor(max_loss * len(y) + 1e-9))
    return float(correct[min(allowed, correct.size - 1)])


def _best_separating(good: np.ndarray, bad: np.ndarray, good_weight: float, bad_weight: float) -> float:
    """The lowest threshold maximising ``good_weight * accepted good + bad_weight * rejected bad``
    (a score is accepted when it is at least the threshold)."""
    candidates = np.unique(np.concatenate([good, bad]))
    if candidates.size == 0:
        return 0.0
    good, bad = np.sort(good), np.sort(bad)
    accepted = good.size - np.searchsorted(good, candidates, side="left")
    rejected = np.searchsorted(bad, candidates, side="left")
    return float(candidates[int(np.argmax(good_weight * accepted + bad_weight * rejected))])


def _good_and_bad(scores: np.ndarray, y: np.ndarray, negative: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best scores of the in-scope examples classified right, and of the ``negative`` ones."""
    best = scores.max(axis=1)
    return best[~negative & (scores.argmax(axis=1) == y)], best[negative]


def choose_threshold_balanced(scores: np.ndarray, y: np.ndarray, negative: np.ndarray) -> float:
    """The threshold that best separates, on held-out data, the in-scope examples classified right
    (accepted) from the ``negative`` ones (rejected), each group weighing the same: the maximum of
    ``accepted share + rejected share``, at the lowest such threshold."""
    good, bad = _good_and_bad(scores, y, negative)
    return _best_separating(good, bad, 1.0 / max(1, int((~negative).sum())), 1.0 / max(1, bad.size))


def choose_threshold_accuracy(scores: np.ndarray, y: np.ndarray, negative: np.ndarray) -> float:
    """The threshold of the best accuracy on held-out data where the ``negative`` examples are
    real out-of-scope ones, counted as one more class (right when rejected): the rule of Larson et
    al. (2019) for CLINC150's validation split. The lowest such threshold."""
    good, bad = _good_and_bad(scores, y, negative)
    return _best_separating(good, bad, 1.0, 1.0)


def fit_slope(scores: np.ndarray, targets: np.ndarray, theta: float) -> float:
    """The slope of ``sigmoid(slope * (score - theta))`` that best predicts, on held-out data,
    whether each intent is the right one (``targets``: 1 where it is; maximum likelihood)."""
    from scipy.optimize import minimize_scalar

    shifted = scores - theta

    def loss(log_slope: float) -> float:
        z = math.exp(log_slope) * shifted
        return float(np.mean(np.logaddexp(0.0, -z) * targets + np.logaddexp(0.0, z) * (1 - targets)))

    result = minimize_scalar(loss, bounds=(math.log(0.1), math.log(MAX_SLOPE)), method="bounded")
    return float(round(math.exp(result.x), 6))


def calibrate(
    classifier: IntentClassifier, scores: np.ndarray, y: np.ndarray, max_loss: float | None
) -> None:
    """Set the out-of-scope threshold and the confidence slope from held-out scores (columns: the
    classifier's labels; ``y``: label indices, :data:`OUT_OF_SCOPE` for real out-of-scope examples).
    With ``max_loss``, the threshold gives up at most that share of the in-scope examples
    (:func:`choose_threshold`). Without, it is the most accurate one when there are real
    out-of-scope examples (:func:`choose_threshold_accuracy`), or the one that separates held-out
    background examples from in-scope ones (:func:`choose_threshold_balanced`), or 0 loss."""
    real = [i for i, lab in enumerate(classifier.labels) if lab != BACKGROUND]
    out_of_scope = y == OUT_OF_SCOPE
    negative = out_of_scope.copy()
    if BACKGROUND in classifier.labels:
        negative |= y == classifier.labels.index(BACKGROUND)
    real_scores = scores[:, real]
    real_y = np.array([real.index(v) if v in real else -1 for v in y], dtype=int)
    if max_loss is not None or not negative.any():
        classifier.theta = choose_threshold(real_scores[~negative], real_y[~negative], max_loss or 0.0)
    elif out_of_scope.any():
        classifier.theta = choose_threshold_accuracy(real_scores, real_y, negative)
    else:
        classifier.theta = choose_threshold_balanced(real_scores, real_y, negative)
    targets = np.zeros_like(real_scores)
    rows = np.flatnonzero(~negative)
    targets[rows, real_y[rows]] = 1.0
    classifier.slope = fit_slope(real_scores, targets, classifier.theta)
