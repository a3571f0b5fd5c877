"""Text features of the intent classifier, and the TF-IDF weighting applied to them.

Three blocks, each TF-IDF weighted (sublinear tf, smoothed idf) and L2-normalised on its own:
- words: stems and stem bigrams, with sentence start/end markers (``<s> what``, ``balanc </s>``);
- characters: 1- to 4-grams inside each word padded with spaces (robust to typos and inflection);
- pairs: every unordered pair of distinct stems of the sentence (``calendar|set``), which gives a
  linear model some of the power of a degree-2 kernel on short utterances.

Training hands these analyzers to scikit-learn's ``TfidfVectorizer``; prediction re-applies the same
analyzers and the saved vocabulary/idf with numpy (:class:`TfidfBlock`), so that the two can never
disagree on what a feature is. tests/runtime/nlu/test_classifier.py checks they agree numerically.

At prediction time a block may count the features it has never seen in the L2 norm
(``unknown_idf``): dropping them would give the known features of a sentence full of unknown words
the weight of a sentence made of known words only, and an out-of-scope sentence the confidence of
an in-scope one. An unseen feature weighs what scikit-learn's smoothed idf gives a document
frequency of 0.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from collections.abc import Sequence

import numpy as np
import snowballstemmer

from flowbot.runtime.nlu.tokens import normalize

BLOCKS = ("words", "chars", "pairs")
_WORD = re.compile(r"\w+")
_STEMMER_NAMES = {
    "ar": "arabic",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "et": "estonian",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "nb": "norwegian",
    "fa": "persian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
_STEM_CACHE_LIMIT = 50_000


class Analyzer:
    """Turns a text into the feature strings of each block, for one language."""

    def __init__(self, language: str) -> None:
        name = _STEMMER_NAMES.get(language.split("-")[0].lower())
        self._stemmer = snowballstemmer.stemmer(name) if name else None
        self._stems: dict[str, str] = {}

    def stems(self, norm_text: str) -> list[str]:
        words = _WORD.findall(norm_text)
        if self._stemmer is None:
            return words
        out = []
        for word in words:
            stem = self._stems.get(word)
            if stem is None:
                stem = self._stemmer.stemWord(word)
                if len(self._stems) < _STEM_CACHE_LIMIT:
                    self._stems[word] = stem
            out.append(stem)
        return out

    def analyze(self, text: str) -> tuple[list[str], list[str], list[str]]:
        norm = normalize(text)
        stems = self.stems(norm)
        return word_features(stems), char_features(norm), pair_features(stems)


def word_features(stems: Sequence[str]) -> list[str]:
    marked = ["<s>", *stems, "</s>"]
    return [*stems, *(f"{a} {b}" for a, b in zip(marked, marked[1:]))]


def char_features(norm_text: str, low: int = 1, high: int = 4) -> list[str]:
    out: list[str] = []
    for word in norm_text.split():
        padded = f" {word} "
        for n in range(low, high + 1):
            out.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return out


def pair_features(stems: Sequence[str]) -> list[str]:
    distinct = sorted(set(stems))
    return [f"{a}|{b}" for i, a in enumerate(distinct) for b in distinct[i + 1 :]]


def block_getter(index: int) -> Callable[[tuple[list[str], ...]], list[str]]:
    """The analyzer given to ``TfidfVectorizer`` for one block of pre-analysed documents."""

    def get(doc: tuple[list[str], ...]) -> list[str]:
        return doc[index]

    return get


def unseen_idf(documents: int) -> float:
    """The smoothed idf (scikit-learn's) of a feature no training document has."""
    return math.log(1.0 + documents) + 1.0


class TfidfBlock:
    """One block's vocabulary and idf, applied without scikit-learn at prediction time.

    ``unknown_idf`` > 0 counts the features outside the vocabulary in the norm with that idf (see
    the module's docstring); 0 leaves them out, as scikit-learn does."""

    def __init__(self, vocabulary: list[str], idf: np.ndarray, offset: int, unknown_idf: float = 0.0) -> None:
        self.vocabulary = vocabulary
        self.index = {term: i for i, term in enumerate(vocabulary)}
        self.idf = idf.astype(np.float64)
        self.offset = offset
        self.unknown_idf = unknown_idf

    def __len__(self) -> int:
        return len(self.vocabulary)

    def transform(self, features: list[str]) -> tuple[list[int], list[float]]:
        """Column indices (with the block offset) and L2-normalised tf-idf values."""
        counts = Counter(features)
        cols, values, unknown = [], [], 0.0
        for feature, count in counts.items():
            col = self.index.get(feature)
            if col is None:
                unknown += ((1.0 + math.log(count)) * self.unknown_idf) ** 2
            else:
                cols.append(col)
                values.append((1.0 + math.log(count)) * self.idf[col])
        if not cols:
            return [], []
        norm = math.sqrt(sum(v * v for v in values) + unknown) or 1.0
        return [col + self.offset for col in cols], [v / norm for v in values]
