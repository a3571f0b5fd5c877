"""Training a bot's NLU, and reusing a saved model while the bot's NLU data is unchanged."""

from __future__ import annotations

import logging
import random
import shutil
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from flowbot.runtime.bot import BotDefinition
from flowbot.runtime.nlu.classifier import ClassifierOptions
from flowbot.runtime.nlu.classifier import IntentClassifier
from flowbot.runtime.nlu.classifier import BACKGROUND
from flowbot.runtime.nlu.classifier import OUT_OF_SCOPE
from flowbot.runtime.nlu.classifier import background_texts
from flowbot.runtime.nlu.classifier import calibrate
from flowbot.runtime.nlu.classifier import fit_classifier
from flowbot.runtime.nlu.data import TrainingData
from flowbot.runtime.nlu.data import data_hash
from flowbot.runtime.nlu.data import training_data
from flowbot.runtime.nlu.entities import EntityExtractor
from flowbot.runtime.nlu.model import FORMAT
from flowbot.runtime.nlu.model import FORMAT_VERSION
from flowbot.runtime.nlu.model import LanguageModel
from flowbot.runtime.nlu.model import ModelMeta
from flowbot.runtime.nlu.model import NluModel
from flowbot.runtime.nlu.model import read_model_meta
from flowbot.runtime.nlu.slots import train_tagger
from flowbot.runtime.nlu.storage import ARRAYS_FILE
from flowbot.runtime.nlu.storage import META_FILE
from flowbot.runtime.nlu.storage import NluModelError
from flowbot.runtime.nlu.tokens import exact_key

log = logging.getLogger(__name__)

FOLDS = 5
BACKGROUND_BELOW = 4
# On large data one held-out split is as good as cross-validation and five times cheaper.
HOLDOUT_ABOVE = 1000


def _fold_ids(labels: Sequence[str], seed: int) -> list[int]:
    """Stratified fold numbers; an intent's only utterance stays in training (fold -1)."""
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    folds = [-1] * len(labels)
    large = len(labels) > HOLDOUT_ABOVE
    for label in sorted(by_label):
        members = by_label[label]
        if len(members) < 2:
            continue
        rng.shuffle(members)
        for rank, index in enumerate(members):
            if large:
                folds[index] = 0 if rank % FOLDS == 0 else -1
            else:
                folds[index] = rank % FOLDS
    return folds


def heldout_scores(
    texts: Sequence[str],
    labels: Sequence[str],
    language: str,
    options: ClassifierOptions,
    seed: int,
    label_names: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Scores of utterances by models that did not see them, as columns of ``label_names``."""
    folds = _fold_ids(labels, seed)
    rows, ys = [], []
    for fold in sorted(set(folds) - {-1}):
        train = [i for i, f in enumerate(folds) if f != fold]
        test = [i for i, f in enumerate(folds) if f == fold]
        clf = fit_classifier([texts[i] for i in train], [labels[i] for i in train], language, options, seed)
        scores = clf.scores_batch([texts[i] for i in test])
        full = np.full((len(test), len(label_names)), -10.0)
        for col, name in enumerate(clf.labels):
            full[:, label_names.index(name)] = scores[:, col]
        rows.append(full)
        ys.extend(label_names.index(labels[i]) for i in test)
    if not rows:
        return np.zeros((0, len(label_names))), np.zeros(0, dtype=int)
    return np.vstack(rows), np.asarray(ys)


def _validation_scores(
    clf: IntentClassifier, validation: tuple[Sequence[str], Sequence[str]], oos_labels: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Scores of the validation utterances of trained intents and of ``oos_labels``, and their label
    indices (:data:`OUT_OF_SCOPE` for the latter)."""
    texts, labels = validation
    oos = set(oos_labels)
    keep = [i for i, lab in enumerate(labels) if lab in oos or (lab in clf.labels and lab != BACKGROUND)]
    y = [OUT_OF_SCOPE if labels[i] in oos else clf.labels.index(labels[i]) for i in keep]
    return clf.scores_batch([texts[i] for i in keep]), np.asarray(y, dtype=int)


def train_classifier(
    texts: Sequence[str],
    labels: Sequence[str],
    language: str,
    *,
    max_loss: float | None = None,
    seed: int = 0,
    options: ClassifierOptions | None = None,
    validation: tuple[Sequence[str], Sequence[str]] | None = None,
    background: Sequence[str] = (),
    oos_labels: Sequence[str] = (),
) -> IntentClassifier:
    """Fit a classifier and its out-of-scope threshold.

    With ``validation`` (text, label lists), the threshold is chosen there: when some of its labels
    are ``oos_labels`` (real out-of-scope utterances) and ``max_loss`` is not given, as the one of
    the best validation accuracy, out-of-scope counted as one more class (Larson et al.'s rule);
    otherwise as the one giving up at most ``max_loss`` (default 1 point) of its in-scope accuracy.
    Without validation it is chosen on held-out folds of the training data: against held-out
    ``background`` texts (see :func:`background_texts`; a single intent always gets them) unless
    ``max_loss`` is given.
    """
    options = options or ClassifierOptions()
    if not background and len(set(labels)) < 2:
        background = background_texts(texts, texts, seed)
    all_texts = [*texts, *background]
    all_labels = [*labels, *([BACKGROUND] * len(background))]
    clf = fit_classifier(all_texts, all_labels, language, options, seed)
    if validation is not None:
        scores, y = _validation_scores(clf, validation, oos_labels)
        if max_loss is None and not (y == OUT_OF_SCOPE).any():
            max_loss = 0.01
    else:
        scores, y = heldout_scores(all_texts, all_labels, language, options, seed, clf.labels)
    if len(y):
        calibrate(clf, scores, y, max_loss)
    else:
        clf.theta, clf.slope = 0.0, 2.0  # nothing held out: the SVM's own margin
    return clf


def _context_classifiers(data: TrainingData, language: str, seed: int) -> dict[str, IntentClassifier]:
    """One classifier per context, over the intents of that context (as Botpress trains them), so
    that an utterance of another context cannot outvote them.

    The out-of-scope threshold comes from cross-validation. A context of fewer than
    :data:`BACKGROUND_BELOW` intents also learns a background class (random bags of the bot's words,
    random strings) and its threshold separates held-out background from held-out utterances; a
    larger one gives up at most ``oosMaxInScopeLoss`` of its held-out utterances. Measured on
    CLINC150 intents sampled into small bots, each is the better trade-off in its range.
    """
    examples = data.examples.get(language, [])
    contexts_of = {i.name: i.contexts for i in data.intents}
    contexts = sorted({c for e in examples for c in contexts_of[e.intent]})
    all_texts = [e.text for e in examples]
    out = {}
    for index, context in enumerate(contexts):
        members = [e for e in examples if context in contexts_of[e.intent]]
        texts = [e.text for e in members]
        small = len({e.intent for e in members}) < BACKGROUND_BELOW
        background = background_texts(texts, all_texts, seed + index) if small else ()
        out[context] = train_classifier(
            texts,
            [e.intent for e in members],
            language,
            seed=seed,
            background=background,
            max_loss=None if small else data.config.oosMaxInScopeLoss,
        )
    return out


def _language_model(
    data: TrainingData, language: str, extractor: EntityExtractor, seed: int
) -> LanguageModel:
    examples = data.examples.get(language, [])
    exact: dict[str, list[str]] = defaultdict(list)
    for ex in examples:
        key = exact_key(ex.text)
        if key and ex.intent not in exact[key]:
            exact[key].append(ex.intent)
    slotted = {i.name for i in data.intents if i.slots}
    tagger = train_tagger(
        [e for e in examples if e.intent in slotted], lambda text: extractor.extract(text, language), seed
    )
    classifiers = _context_classifiers(data, language, seed)
    return LanguageModel(classifiers, {k: sorted(v) for k, v in sorted(exact.items())}, tagger)


def train_from_data(data: TrainingData, seed: int = 0) -> NluModel:
    extractor = EntityExtractor(data.entities, data.config.timezone, data.config.phoneRegion)
    languages = {lang: _language_model(data, lang, extractor, seed) for lang in data.languages}
    meta = ModelMeta(
        format=FORMAT,
        version=FORMAT_VERSION,
        data_hash=data_hash(data, seed),
        seed=seed,
        default_language=data.default_language,
        languages=data.languages,
        intents=data.intents,
        entities=data.entities,
        config=data.config,
        per_language={},
    )
    return NluModel(meta, languages)


def train_nlu(bot: BotDefinition, *, seed: int = 0) -> NluModel:
    """Train the NLU of a bot (deterministic: the same data and seed give the same model)."""
    return train_from_data(training_data(bot), seed)


def _saved_if_current(directory: Path, wanted: str) -> NluModel | None:
    if not (directory / "model.json").exists():
        return None
    try:
        if read_model_meta(directory).data_hash != wanted:
            return None
        return NluModel.load(directory)
    except NluModelError as exc:
        log.warning("ignoring the NLU model in %s: %s", directory, exc)
        return None


def copy_if_current(bot: BotDefinition, previous: Path | str, target: Path | str, *, seed: int = 0) -> bool:
    """Copy the model saved in ``previous`` to ``target`` when it was trained on the bot's current
    NLU data with ``seed`` (training is deterministic: it would write the same bytes again), and
    say so; False, copying nothing, when it is missing, unreadable or out of date."""
    previous, target = Path(previous), Path(target)
    if _saved_if_current(previous, data_hash(training_data(bot), seed)) is None:
        return False
    target.mkdir(parents=True, exist_ok=True)
    for name in (META_FILE, ARRAYS_FILE):  # only the model's own files, nothing else left there
        if (previous / name).is_file():
            shutil.copyfile(previous / name, target / name)
    return True


def load_or_train(bot: BotDefinition, cache_dir: Path | str, *, seed: int = 0) -> NluModel:
    """The bot's model from ``<bot>/nlu/`` or the cache when it was trained on the same data;
    otherwise train it and store it in ``cache_dir/<data hash>/``."""
    data = training_data(bot)
    wanted = data_hash(data, seed)
    cache = Path(cache_dir) / wanted
    for directory in (Path(bot.root) / "nlu", cache):
        model = _saved_if_current(directory, wanted)
        if model is not None:
            return model
    model = train_from_data(data, seed)
    model.save(cache)
    return model
