"""System entities ``number``, ``ordinal`` and ``amountOfMoney``.

Digits are read with a regular expression (thousands separators, decimal point or comma as the
language writes it); numbers in words ("twenty three", "vingt-trois", "first") with ``text2num``,
which finds them in a token stream for en, fr, es, pt, de, nl, it and da. An amount of money is a
number with a currency sign, code or name next to it; its ``unit`` is the ISO 4217 code, or ``$`` and
``cent`` where the text does not say which dollar (as Duckling does).
"""

from __future__ import annotations

import re
from typing import Any

from text_to_num import find_numbers

from flowbot.runtime.nlu.entities.model import Entity
from flowbot.runtime.nlu.entities.model import system_entity
from flowbot.runtime.nlu.tokens import Token

WORD_NUMBER_LANGUAGES = {"en", "fr", "es", "pt", "de", "nl", "it", "da"}
DECIMAL_COMMA_LANGUAGES = {"fr", "es", "pt", "de", "nl", "it", "da", "ru", "pl", "sv", "nb", "fi", "tr", "cs"}
_DIGITS = re.compile(r"(?<![\w.,])-?\d+(?:[.,]\d+)*(?![\w]|[.,]\d)")
_DIGIT_ORDINALS = {
    "en": re.compile(r"(?<!\w)(\d+)(?:st|nd|rd|th)(?!\w)", re.IGNORECASE),
    "fr": re.compile(r"(?<!\w)(\d+)(?:er|re|ère|e|ème|eme)(?!\w)", re.IGNORECASE),
    "es": re.compile(r"(?<!\w)(\d+)(?:º|ª|\.º|\.ª|o|a)(?!\w)", re.IGNORECASE),
    "pt": re.compile(r"(?<!\w)(\d+)(?:º|ª|\.º|\.ª)(?!\w)", re.IGNORECASE),
    "it": re.compile(r"(?<!\w)(\d+)(?:º|ª)(?!\w)", re.IGNORECASE),
}
# Signs and codes are language-independent; names are looked up per language.
CURRENCY_SIGNS = {
    "US$": "USD",
    "C$": "CAD",
    "CA$": "CAD",
    "A$": "AUD",
    "AU$": "AUD",
    "NZ$": "NZD",
    "R$": "BRL",
    "HK$": "HKD",
    "$": "$",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "₩": "KRW",
    "₽": "RUB",
    "₺": "TRY",
    "₪": "ILS",
    "฿": "THB",
    "₫": "VND",
    "₴": "UAH",
    "₦": "NGN",
    "¢": "cent",
}
CURRENCY_CODES = {
    "USD",
    "EUR",
    "GBP",
    "JPY",
    "CHF",
    "CAD",
    "AUD",
    "NZD",
    "CNY",
    "HKD",
    "SGD",
    "INR",
    "BRL",
    "MXN",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "HUF",
    "RUB",
    "TRY",
    "ZAR",
    "KRW",
    "ILS",
    "THB",
    "AED",
    "SAR",
    "UAH",
    "NGN",
}
CURRENCY_NAMES = {
    "en": {
        "dollar": "$",
        "dollars": "$",
        "buck": "$",
        "bucks": "$",
        "euro": "EUR",
        "euros": "EUR",
        "pound": "GBP",
        "pounds": "GBP",
        "yen": "JPY",
        "cent": "cent",
        "cents": "cent",
        "rupee": "INR",
        "rupees": "INR",
        "franc": "CHF",
        "francs": "CHF",
    },
    "fr": {
        "dollar": "$",
        "dollars": "$",
        "euro": "EUR",
        "euros": "EUR",
        "livre": "GBP",
        "livres": "GBP",
        "yen": "JPY",
        "yens": "JPY",
        "centime": "cent",
        "centimes": "cent",
        "franc": "CHF",
        "francs": "CHF",
    },
    "es": {
        "dólar": "$",
        "dolar": "$",
        "dólares": "$",
        "dolares": "$",
        "euro": "EUR",
        "euros": "EUR",
        "libra": "GBP",
        "libras": "GBP",
        "peso": "MXN",
        "pesos": "MXN",
        "céntimo": "cent",
        "céntimos": "cent",
    },
    "de": {"dollar": "$", "euro": "EUR", "euros": "EUR", "pfund": "GBP", "franken": "CHF", "cent": "cent"},
    "pt": {"dólar": "$", "dólares": "$", "euro": "EUR", "euros": "EUR", "real": "BRL", "reais": "BRL"},
    "it": {"dollaro": "$", "dollari": "$", "euro": "EUR", "sterlina": "GBP", "sterline": "GBP"},
}


def _as_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)


def parse_digits(text: str, language: str) -> int | float | None:
    """``"1,000"`` -> 1000, ``"3.5"`` -> 3.5, ``"3,5"`` -> 3.5 in French; None when ambiguous."""
    comma_decimal = language in DECIMAL_COMMA_LANGUAGES
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("-")
    if re.fullmatch(r"\d+", body):
        return sign * int(body)
    thousands, decimal = (".", ",") if comma_decimal else (",", ".")
    if re.fullmatch(rf"\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+(?:{re.escape(decimal)}\d+)?", body):
        body = body.replace(thousands, "")
    if re.fullmatch(rf"\d+{re.escape(decimal)}\d+", body):
        return sign * float(body.replace(decimal, "."))
    if re.fullmatch(r"\d+", body):
        return sign * int(body)
    return None


class _T2NToken:
    """The token protocol of text2num."""

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        self._text = text

    def text(self) -> str:
        return self._text

    def nt_separated(self, previous: Any) -> bool:
        return False

    def not_a_number_part(self) -> bool:
        return False


def _with_spaces(text: str, tokens: list[Token]) -> list[tuple[str, int, int]]:
    out, last = [], 0
    for tok in tokens:
        if tok.start > last:
            out.append((text[last : tok.start], last, tok.start))
        out.append((tok.text, tok.start, tok.end))
        last = tok.end
    return out


def extract_numbers(text: str, tokens: list[Token], language: str) -> list[Entity]:
    """``number`` and ``ordinal`` entities, in digits and in words."""
    found: list[Entity] = []
    for m in _DIGITS.finditer(text):
        value = parse_digits(m.group(), language)
        if value is not None:
            found.append(system_entity("number", text, m.start(), m.end(), _as_number(value)))
    ordinal = _DIGIT_ORDINALS.get(language)
    if ordinal is not None:
        for m in ordinal.finditer(text):
            found.append(system_entity("ordinal", text, m.start(), m.end(), int(m.group(1))))
    if language in WORD_NUMBER_LANGUAGES and tokens:
        stream = _with_spaces(text, tokens)
        for occ in find_numbers([_T2NToken(t[0]) for t in stream], language, 0.0):
            start, end = stream[occ.start][1], stream[occ.end - 1][2]
            if any(c.isdigit() for c in text[start:end]):
                continue  # digits are the regex's job
            dim = "ordinal" if occ.is_ordinal else "number"
            found.append(system_entity(dim, text, start, end, _as_number(occ.value)))
    return found


def _currency_before(text: str, start: int) -> tuple[str, int] | None:
    head = text[:start].rstrip()
    for sign in sorted(CURRENCY_SIGNS, key=len, reverse=True):
        if head.endswith(sign):
            return CURRENCY_SIGNS[sign], len(head) - len(sign)
    m = re.search(r"(?<!\w)([A-Za-z]{3})$", head)
    if m and m.group(1).upper() in CURRENCY_CODES:
        return m.group(1).upper(), m.start(1)
    return None


def _currency_after(text: str, end: int, language: str) -> tuple[str, int] | None:
    tail = text[end:]
    stripped = tail.lstrip()
    offset = end + len(tail) - len(stripped)
    for sign in sorted(CURRENCY_SIGNS, key=len, reverse=True):
        if stripped.startswith(sign):
            return CURRENCY_SIGNS[sign], offset + len(sign)
    m = re.match(r"(\w+)", stripped)
    if m:
        word = m.group(1)
        if word.upper() in CURRENCY_CODES and len(word) == 3:
            return word.upper(), offset + m.end()
        unit = CURRENCY_NAMES.get(language, CURRENCY_NAMES["en"]).get(word.casefold())
        if unit is not None:
            return unit, offset + m.end()
    return None


def extract_money(text: str, numbers: list[Entity], language: str) -> list[Entity]:
    """``amountOfMoney``: a number entity with a currency before ($20, USD 20) or after (20€, 20 dollars)."""
    found = []
    for number in numbers:
        if number.name != "number":
            continue
        before = _currency_before(text, number.start)
        after = None if before else _currency_after(text, number.end, language)
        if before:
            unit, start, end = before[0], before[1], number.end
        elif after:
            unit, start, end = after[0], number.start, after[1]
        else:
            continue
        found.append(system_entity("amountOfMoney", text, start, end, number.data.value, unit=unit))
    return found
