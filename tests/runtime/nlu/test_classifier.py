"""The intent classifier: features as scikit-learn computes them, thresholds, calibration."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from flowbot.runtime.nlu.classifier import BACKGROUND
from flowbot.runtime.nlu.classifier import OUT_OF_SCOPE
from flowbot.runtime.nlu.classifier import ClassifierOptions
from flowbot.runtime.nlu.classifier import IntentClassifier
from flowbot.runtime.nlu.classifier import calibrate
from flowbot.runtime.nlu.classifier import choose_threshold
from flowbot.runtime.nlu.classifier import choose_threshold_accuracy
from flowbot.runtime.nlu.classifier import choose_threshold_balanced
from flowbot.runtime.nlu.classifier import classifier_from_parts
from flowbot.runtime.nlu.classifier import classifier_parts
from flowbot.runtime.nlu.classifier import fit_classifier
from flowbot.runtime.nlu.features import Analyzer
from flowbot.runtime.nlu.features import TfidfBlock
from flowbot.runtime.nlu.features import block_getter
from flowbot.runtime.nlu.features import unseen_idf
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


def test_unseen_idf_is_scikit_learns_idf_of_document_frequency_zero() -> None:
    docs = [["a"], ["a"], ["b"]]  # idf = ln((1 + n) / (1 + df)) + 1
    vec = TfidfVectorizer(analyzer=lambda d: d).fit(docs)
    assert np.isclose(vec.idf_[vec.vocabulary_["b"]], np.log(4 / 2) + 1)
    assert np.isclose(unseen_idf(3), np.log(4 / 1) + 1)


def test_unseen_features_count_in_the_norm_when_asked() -> None:
    idf = np.array([1.0, 2.0])
    plain = TfidfBlock(["a", "b"], idf, 5)
    counted = TfidfBlock(["a", "b"], idf, 5, unknown_idf=3.0)
    assert plain.transform(["a", "zz"]) == ([5], [1.0])  # scikit-learn's way: unseen ones dropped
    cols, values = counted.transform(["a", "zz", "zz"])
    # a: tf 1 x idf 1; zz (twice, sublinear tf 1 + ln 2) x the unseen idf 3
    assert cols == [5] and np.isclose(values[0], 1.0 / np.hypot(1.0, (1 + np.log(2)) * 3.0))
    assert counted.transform(["a", "b"]) == plain.transform(["a", "b"])
    assert counted.transform(["zz"]) == ([], [])


def test_large_data_counts_unseen_words_and_characters_and_keeps_it_when_saved() -> None:
    large = ClassifierOptions(large_data=1)
    clf = fit_classifier(TEXTS, LABELS, "en", large)
    n = len(TEXTS)
    assert [b.unknown_idf for b in clf.blocks] == [unseen_idf(n), unseen_idf(n), 0.0]
    assert all(b.unknown_idf == 0 for b in fit_classifier(TEXTS, LABELS, "en").blocks)  # small data
    meta, arrays = classifier_parts(clf, "")
    loaded = classifier_from_parts("en", type(meta).model_validate_json(meta.model_dump_json()), arrays, "")
    text = "where is my zorglub parcel"
    assert np.array_equal(loaded.scores(text), clf.scores(text))
    # an unseen word lowers every score's distance to the intercept (a shorter vector of known features)
    plain = classifier_from_parts("en", meta.model_copy(update={"unknown_idf": {}}), arrays, "")
    assert np.all(np.abs(clf.scores(text) - clf.intercept) < np.abs(plain.scores(text) - plain.intercept))


def test_models_saved_without_unknown_idf_still_load() -> None:
    meta, arrays = classifier_parts(fit_classifier(TEXTS, LABELS, "en"), "")
    raw = meta.model_dump(mode="json")
    del raw["unknown_idf"]
    clf = classifier_from_parts("en", type(meta).model_validate(raw), arrays, "")
    assert all(b.unknown_idf == 0 for b in clf.blocks)


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


def test_accuracy_threshold_counts_out_of_scope_as_one_more_class() -> None:
    # in-scope, classified right, at 0.9, 0.8, 0.7, 0.6, 0.45, 0.4; out-of-scope at 0.5 and 0.3
    scores = np.array([[0.9], [0.8], [0.7], [0.6], [0.45], [0.4], [0.5], [0.3]])
    y = np.array([0, 0, 0, 0, 0, 0, -1, -1])
    negative = y < 0
    # t=0.4: 6 + 1 right; t=0.6: 4 + 2; t=0.3: 6 + 0
    assert choose_threshold_accuracy(scores, y, negative) == 0.4
    # balanced weighs the 2 out-of-scope ones as much as the 6 in-scope ones: 0.6 gives 4/6 + 2/2
    assert choose_threshold_balanced(scores, y, negative) == 0.6


def test_calibration_uses_real_out_of_scope_examples_unless_given_a_loss_budget() -> None:
    clf = fit_classifier(TEXTS, LABELS, "en")
    scores = clf.scores_batch(["where is my parcel", "refund please", "hello", "what is the capital of peru"])
    y = np.array([2, 1, 0, OUT_OF_SCOPE])
    calibrate(clf, scores, y, None)
    assert clf.theta == choose_threshold_accuracy(scores, y, y == OUT_OF_SCOPE)
    calibrate(clf, scores, y, 0.0)
    assert clf.theta == choose_threshold(scores[:3], y[:3], 0.0)


def test_validation_out_of_scope_labels_choose_the_most_accurate_threshold() -> None:
    texts = ["where is the parcel", "i want my money back", "hey", "bake bread", "capital of peru"]
    labels = ["track", "refund", "hello", "oos", "oos"]
    clf = train_classifier(TEXTS, LABELS, "en", validation=(texts, labels), oos_labels=["oos"])
    scores = clf.scores_batch(texts)
    y = np.array([2, 1, 0, OUT_OF_SCOPE, OUT_OF_SCOPE])
    assert clf.theta == choose_threshold_accuracy(scores, y, y == OUT_OF_SCOPE)
    # without oos_labels the out-of-scope utterances are ignored and 1 point is given up
    ignored = train_classifier(TEXTS, LABELS, "en", validation=(texts, labels))
    assert ignored.theta == choose_threshold(scores[:3], y[:3], 0.01)


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
