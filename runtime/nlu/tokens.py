"""Tokens with their character offsets, shared by the entity extractors and the slot tagger.

Offsets point into the text the user typed (after surrounding whitespace is stripped), so that an
entity's ``start``/``end`` can slice ``event.payload.text`` directly.
"""

from __future__ import annotations

import re
import unicodedata

from typing import NamedTuple

# A word (letters, digits, underscore, any script) or one punctuation sign.
_TOKEN = re.compile(r"\w+|[^\w\s]")
_SPACES = re.compile(r"\s+")


class Token(NamedTuple):
    """A light value (not a pydantic model): a turn tokenizes its text several times."""

    text: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        return self.text[0].isalnum() or self.text[0] == "_"


def tokenize(text: str) -> list[Token]:
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def normalize(text: str) -> str:
    """The form that intent features and exact matching see: NFKC, case-folded, single spaces."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def exact_key(text: str) -> str:
    """The key of the exact-match index: words only, so that "Hello!" and "hello" meet."""
    return " ".join(m.group() for m in re.finditer(r"\w+", normalize(text)))
