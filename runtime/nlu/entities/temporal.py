"""System entities ``time`` (dates and times) and ``duration``.

Dates are parsed by ``dateparser``, which is thorough but costs about a millisecond a call: it runs
only on candidate spans. A candidate is a run of tokens drawn from dateparser's own vocabulary for
the language (month and weekday names, "tomorrow", "next", "ago", units, am/pm...), digits shaped
like dates or times, numbers and dateparser's filler words, that holds at least one date word or
date-shaped number. Filler words at its edges are dropped; a run that does not parse is split at
fillers and its parts tried. Values are ISO 8601 with the bot's time zone, as Duckling gives them,
and ``unit`` is the grain (``day``, ``hour``, ``minute``, ``week``, ``month``, ``year``).

A duration is a number (or "a"/"an") followed by a unit word: its value is in seconds, with the
number and unit as written in ``extras`` (the shape Botpress gives Duckling's durations).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from flowbot.runtime.nlu.entities.model import Entity
from flowbot.runtime.nlu.entities.model import system_entity
from flowbot.runtime.nlu.tokens import Token

CACHE_SIZE = 4096
UNIT_SECONDS = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 604800,
    "fortnight": 1209600,
    "month": 2592000,
    "year": 31536000,
    "decade": 315360000,
    "century": 3153600000,
}
_DATE_SHAPES = re.compile(
    r"(?<![\w.,:/-])(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d{1,2}\.\d{1,2}\.\d{2,4}|\d{1,2}:\d{2}(?::\d{2})?"
    r"|\d{1,2}(?:am|pm|h\d{0,2}))(?![\w.,:/-])",
    re.IGNORECASE,
)
_TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}|\d(?:am|pm)|\d{1,2}h|\b(?:am|pm)\b", re.IGNORECASE)
_NAME_KEYS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
_PART_KEYS = ("early_morning", "morning", "afternoon", "evening", "night")
# Month and weekday names that are also everyday words ("may I ask", "march on"): they start a date
# only next to a number or another date word.
_AMBIGUOUS = {"may", "march", "mars", "sat", "sun", "wed", "second"}


def _words(phrases: list[str] | tuple[str, ...]) -> set[str]:
    return {w for p in phrases for w in re.findall(r"\w+", p.casefold())}


class _Vocabulary:
    """Words of one language, from dateparser's locale data."""

    def __init__(self, language: str) -> None:
        from dateparser.languages.loader import LocaleDataLoader

        info = LocaleDataLoader().get_locale(language).info
        # Two-letter abbreviations ("we", "sa", French "je") are mostly everyday words.
        names = {w for w in _words([p for k in _NAME_KEYS for p in info.get(k, [])]) if len(w) > 2}
        self.strong = {w for w in names if len(w) > 3 and w not in _AMBIGUOUS}
        parts = {p.casefold() for k in _PART_KEYS for p in info.get(k, []) if re.fullmatch(r"\w{4,}", p)}
        self.weak = (names - self.strong) | parts
        self.ampm = _words(info.get("am", []) + info.get("pm", []))
        self.relative = _words(info.get("in", []) + info.get("ago", []))
        for phrases in info.get("relative-type", {}).values():
            for phrase in phrases:
                words = _words([phrase])
                if len(words) == 1:
                    self.strong |= words  # today, tomorrow, demain, maintenant...
                else:
                    self.relative |= words  # next, last, this, prochain...
        self.numberish: set[str] = set()
        clock_words: set[str] = set()
        for simplification in info.get("simplifications", []):
            for pattern, value in simplification.items():
                if re.fullmatch(r"[^\W\d_]+", pattern) and str(value).isdigit():
                    self.numberish.add(pattern)  # "a", "an", "three" -> a number
                else:
                    plain = re.sub(r"\(\?:[^()]*\)\??", "", pattern).strip()  # "(?:12\s+)?noon" -> "noon"
                    if re.fullmatch(r"[^\W\d_]{4,}", plain):
                        self.strong.add(plain)  # noon, midnight, tonight
                        clock_words.add(plain)
        self.units = {w: unit for unit in UNIT_SECONDS for w in _words(info.get(unit, [])) if len(w) > 1}
        self.relative = {w for w in self.relative if len(w) > 1} - self.strong - self.weak - set(self.units)
        self.fillers = _words(info.get("skip", []) + info.get("pertain", [])) - self.strong - self.weak
        hours = {w for unit in ("hour", "minute") for w in _words(info.get(unit, []))}
        self.time_words = hours | parts | self.ampm | clock_words


class TemporalExtractor:
    def __init__(self, timezone: str, clock: Callable[[], datetime] | None = None) -> None:
        self.zone = ZoneInfo(timezone)
        self.timezone = timezone
        self.clock = clock or (lambda: datetime.now(self.zone))
        self._vocab: dict[str, _Vocabulary | None] = {}
        self._cache: OrderedDict[tuple[str, str, datetime], tuple[datetime | None, str | None]] = (
            OrderedDict()
        )

    def vocabulary(self, language: str) -> _Vocabulary | None:
        if language not in self._vocab:
            try:
                self._vocab[language] = _Vocabulary(language)
            except (ValueError, KeyError):
                self._vocab[language] = None  # a language dateparser does not know
        return self._vocab[language]

    @cached_property
    def _parser_class(self) -> type:
        from dateparser.date import DateDataParser

        return DateDataParser

    def extract(self, text: str, tokens: list[Token], language: str, numbers: list[Entity]) -> list[Entity]:
        vocab = self.vocabulary(language)
        if vocab is None:
            return []
        number_at = {n.start: n for n in numbers if n.name == "number"}
        found = self._durations(text, tokens, vocab, number_at)
        now = self.clock().astimezone(self.zone).replace(tzinfo=None)
        for first, last in self._runs(text, tokens, vocab, number_at):
            found.extend(self._parse_run(text, tokens, first, last, vocab, language, now))
        return found

    def _kind(
        self,
        tokens: list[Token],
        k: int,
        vocab: _Vocabulary,
        number_at: dict[int, Entity],
        shapes: list[tuple[int, int]],
    ) -> str | None:
        tok = tokens[k]
        word = tok.text.casefold()
        if word in vocab.strong or any(s <= tok.start and tok.end <= e for s, e in shapes):
            return "strong"
        if word in vocab.ampm:
            return "strong" if k > 0 and tokens[k - 1].text.isdigit() else None
        if word in vocab.weak:
            return "weak"
        if word in vocab.units:
            return "unit"
        if (
            any(n.start <= tok.start and tok.end <= n.end for n in number_at.values())
            or word in vocab.numberish
            or word.isdigit()
            or re.fullmatch(r"\d+(st|nd|rd|th|er|e)", word)
        ):
            return "number"
        if word in vocab.relative:
            return "relative"
        if word in vocab.fillers or tok.text in {":", "/", "-", "."}:
            return "filler"
        return None

    def _runs(
        self, text: str, tokens: list[Token], vocab: _Vocabulary, number_at: dict[int, Entity]
    ) -> list[tuple[int, int]]:
        """Runs of date-like tokens that hold a date word: a strong one, a weak one next to a number
        or another date word, or a unit with a relative word ("in 3 days", "2 weeks ago")."""
        shapes = [(m.start(), m.end()) for m in _DATE_SHAPES.finditer(text)]
        kinds = [self._kind(tokens, k, vocab, number_at, shapes) for k in range(len(tokens))]
        runs, i = [], 0
        while i < len(tokens):
            if kinds[i] is None:
                i += 1
                continue
            j = i
            while j + 1 < len(tokens) and kinds[j + 1] is not None:
                j += 1
            span = kinds[i : j + 1]
            weak_ok = "weak" in span and ("number" in span or span.count("weak") > 1)
            relative_ok = "unit" in span and "relative" in span
            if "strong" in span or weak_ok or relative_ok:
                runs.append((i, j))
            i = j + 1
        return runs

    def _parse_run(
        self,
        text: str,
        tokens: list[Token],
        first: int,
        last: int,
        vocab: _Vocabulary,
        language: str,
        now: datetime,
    ) -> list[Entity]:
        filler = lambda k: tokens[k].text.casefold() in vocab.fillers or not tokens[k].is_word  # noqa: E731
        while first <= last and filler(first):
            first += 1
        while last >= first and filler(last):
            last -= 1
        if first > last:
            return []
        start, end = tokens[first].start, tokens[last].end
        entity = self._parse(text, start, end, language, vocab, now)
        if entity is not None:
            return [entity]
        cuts = [k for k in range(first + 1, last) if filler(k)]
        if not cuts:
            return []
        out, lo = [], first
        for cut in [*cuts, last + 1]:
            out.extend(
                self._parse_run(text, tokens, lo, cut - 1, vocab, language, now) if cut - 1 >= lo else []
            )
            lo = cut + 1
        return out

    def _date_data(self, span: str, language: str, now: datetime) -> tuple[datetime | None, str | None]:
        """dateparser's reading of a span, cached: "tomorrow" or "at 5pm" recur across users, and a
        parse costs about a millisecond. Keys hold the minute, on which relative dates depend."""
        key = (span.casefold(), language, now.replace(second=0, microsecond=0))
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        settings = {
            "RELATIVE_BASE": key[2],
            "PREFER_DATES_FROM": "future",
            "RETURN_AS_TIMEZONE_AWARE": True,
            "TIMEZONE": self.timezone,
            "TO_TIMEZONE": self.timezone,
        }
        data = self._parser_class(languages=[language], settings=settings).get_date_data(span)
        self._cache[key] = (data.date_obj, data.period)
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return self._cache[key]

    def _parse(
        self, text: str, start: int, end: int, language: str, vocab: _Vocabulary, now: datetime
    ) -> Entity | None:
        span = text[start:end]
        date_obj, period = self._date_data(span, language, now)
        if date_obj is None:
            return None
        grain = period or "day"
        words = set(re.findall(r"\w+", span.casefold()))
        if grain in ("day", "time") and (_TIME_OF_DAY.search(span) or words & vocab.time_words):
            grain = "minute" if date_obj.minute else "hour"
        value = date_obj.isoformat(timespec="milliseconds")
        return system_entity("time", text, start, end, value, unit=grain)

    def _durations(
        self, text: str, tokens: list[Token], vocab: _Vocabulary, number_at: dict[int, Entity]
    ) -> list[Entity]:
        found = []
        for i, tok in enumerate(tokens[1:], start=1):
            unit = vocab.units.get(tok.text.casefold())
            if unit is None:
                continue
            prev = tokens[i - 1]
            number = next((n for n in number_at.values() if n.end == prev.end), None)
            if number is not None:
                amount, start = number.data.value, number.start
            elif prev.text.casefold() in {"a", "an", "one"}:
                amount, start = 1, prev.start
            else:
                continue
            seconds = amount * UNIT_SECONDS[unit]
            extras = {"value": amount, "unit": unit, unit: amount, "type": "value"}
            found.append(
                system_entity("duration", text, start, tok.end, seconds, unit="second", extras=extras)
            )
        return found
