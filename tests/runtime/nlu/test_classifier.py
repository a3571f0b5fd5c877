"""The intent classifier: features as scikit-learn computes them, thresholds, calibration."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from flowbot.runtime.nlu.classifier import BACKGROUND
from flowbot.runtime.nlu.classifier import IntentClassifier
from flowbot.runtime.nlu.classifier import choose_threshold
from flowbot.runtime.nlu.classifier import choose_threshold_balanced
from flowbot.runtime.nlu.classifier import fit_classifier
from flowbot.runtime.nlu.features import Analyzer
from flowbot.runtime.nlu.features import TfidfBlock
from flowbot.runtime.nlu.features import block_getter
from flowbot.runtime.nlu.train import train_classifier

TEXTS = [
    "Where is my order?",
    "track my parcel",
    "I want a refund",
    "refund me please",
    "where's my parcel",
    "money back now",
    "Hello there",
    "hi",
    "good morning to you",
]
LABELS = ["track", "track", "refund", "refund", "track", "refund", "hello", "hello", "hello"]


def test_analyzer_blocks() -> None:
    words, chars, pairs = Analyzer("en").analyze("Tracking  my ORDERS")
    assert words == ["track", "my", "order", "<s> track", "track my", "my order", "order </s>"]
    assert {" tr", "ord", "ers ", "my"} <= set(chars)
    assert pairs == ["my|order", "my|track", "order|track"]
    assert Analyzer("xx").analyze("tracking")[0][0] == "tracking"  # no stemmer for this language


def test_numpy_tfidf_equals_scikit_learn() -> None:
    analyzer = Analyzer("en")
    docs = [analyzer.analyze(t) for t in TEXTS]
    for i in range(3):
        vec = TfidfVectorizer(analyzer=block_getter(i), sublinear_tf=True)
        expected = vec.fit_transform(docs).toarray()
        block = TfidfBlock(sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__), vec.idf_, 0)
        for row, doc in zip(expected, docs):
            got = np.zeros(len(block))
            cols, values = block.transform(doc[i])
            got[cols] = values
            assert np.allclose(got, row, atol=1e-12)


def test_scores_match_the_svm_decision_function() -> None:
    clf = fit_classifier(TEXTS, LABELS, "en")
    assert clf.labels == ["hello", "refund", "track"]
    assert clf.coef.dtype == np.float32
    scores = clf.scores("where is my refund")
    assert scores.shape == (3,)
    assert clf.labels[int(scores.argmax())] in {"refund", "track"}


def test_a_single_intent_gets_a_background_class() -> None:
    clf = fit_classifier(["hello", "hi there", "good morning"], ["hello"] * 3, "en")
    assert clf.labels == [BACKGROUND, "hello"]


def test_loss_budget_threshold() -> None:
    scores = np.array([[0.9, 0.1], [0.5, 0.0], [0.3, 0.2], [0.0, 0.8], [0.6, 0.7]])
    y = np.array([0, 0, 0, 1, 0])  # the last one is misclassified
    # correct best scores sorted: 0.3, 0.5, 0.8, 0.9; rejecting at most 1 of 5 -> threshold 0.5
    assert choose_threshold(scores, y, 0.2) == 0.5
    assert choose_threshold(scores, y, 0.0) == 0.3


def test_balanced_threshold_separates_in_scope_from_background() -> None:
    scores = np.array([[0.9], [0.7], [0.4], [0.1], [-0.2], [0.3]])
    y = np.array([0, 0, 0, -1, -1, -1])
    negative = np.array([False, False, False, True, True, True])
    assert choose_threshold_balanced(scores, y, negative) == 0.4


def test_validation_threshold_gives_up_at_most_the_budget() -> None:
    clf = train_classifier(
        TEXTS,
        LABELS,
        "en",
        max_loss=0.0,
        validation=(["where is the parcel", "i want my money back", "hey"], ["track", "refund", "hello"]),
    )
    assert isinstance(clf, IntentClassifier)
    val = clf.scores_batch(["where is the parcel", "i want my money back", "hey"])
    correct = val.argmax(axis=1) == np.array([2, 1, 0])
    assert (val.max(axis=1)[correct] >= clf.theta).all()
    assert clf.slope > 0


@pytest.mark.parametrize("seed", [0, 3])
def test_training_is_deterministic(seed: int) -> None:
    a = train_classifier(TEXTS, LABELS, "en", seed=seed)
    b = train_classifier(TEXTS, LABELS, "en", seed=seed)
    assert np.array_equal(a.coef, b.coef) and a.theta == b.theta and a.slope == b.slope
