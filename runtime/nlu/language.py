"""Which of the bot's languages a message is in.

``py3langid`` (a langid.py model shipped inside the package, loaded without pickle) ranks the
97 languages it knows; the most probable of the bot's languages is the candidate. Short texts are
hard to identify, so, as Botpress does, a detection is trusted above 0.5 for texts longer than 20
characters and 0.3 otherwise; when it is not, the share of the text made of words the bot was
trained on in each language decides; failing that, the caller's language (the user's) or the
bot's default language is used.
"""

from __future__ import annotations

import re
from typing import Any

NOT_AVAILABLE = "n/a"


class LanguageDetector:
    def __init__(self, languages: list[str], vocabularies: dict[str, set[str]]) -> None:
        self.languages = languages
        self.vocabularies = vocabularies
        self._identifier: Any = None

    def _langid(self) -> Any:
        if self._identifier is None:
            from py3langid.langid import MODEL_FILE
            from py3langid.langid import LanguageIdentifier

            # Ranked among all the languages it knows: restricted to the bot's two or three, even
            # "ok" would get a probability of 0.5.
            self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return self._identifier

    def detect(self, text: str) -> tuple[str, float]:
        """The most likely bot language and its probability (``n/a``, 0 when none fits)."""
        if len(self.languages) < 2:
            return (self.languages[0], 1.0) if self.languages else (NOT_AVAILABLE, 0.0)
        threshold = 0.5 if len(text) > 20 else 0.3
        identifier = self._langid()
        for lang, prob in identifier.rank(text):
            if lang in self.languages:
                if prob > threshold:
                    return lang, float(prob)
                break
        return self._by_vocabulary(text, threshold)

    def _by_vocabulary(self, text: str, threshold: float) -> tuple[str, float]:
        words = re.findall(r"\w+", text.casefold())
        total = sum(len(w) for w in words)
        if not total:
            return NOT_AVAILABLE, 0.0
        best, score = NOT_AVAILABLE, 0.0
        for lang in self.languages:
            known = sum(len(w) for w in words if w in self.vocabularies.get(lang, set()))
            share = known / total
            if share >= threshold and share > score:
                best, score = lang, share
        return best, score
