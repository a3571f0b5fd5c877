"""System entities ``email``, ``url`` and ``phoneNumber``.

Phone numbers are found and validated by ``phonenumbers`` (Google's libphonenumber metadata); a
number written without ``+country`` is read in the bot's ``nlu.phoneRegion``. Values are E.164.
"""

from __future__ import annotations

import re

import phonenumbers

from flowbot.runtime.nlu.entities.model import Entity
from flowbot.runtime.nlu.entities.model import system_entity

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}(?![\w-])")
_URL_SCHEME = re.compile(r"(?<![\w@])(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
# A bare domain needs a known top-level domain: "file.txt" or "e.g" are not addresses.
_TLDS = (
    "com|org|net|io|co|ai|app|dev|edu|gov|info|biz|me|tv|us|uk|ca|fr|de|es|it|nl|be|ch|at|se|no|dk|fi|"
    "pl|pt|br|mx|ar|jp|cn|in|au|nz|ru|eu|ly|gg|xyz|tech|shop|store|online|site"
)
_BARE_DOMAIN = re.compile(
    rf"(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})(?::\d+)?(?:/[^\s<>\"']*)?(?![\w@-])",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?)]}'\""


def extract_emails(text: str) -> list[Entity]:
    return [system_entity("email", text, m.start(), m.end(), m.group()) for m in _EMAIL.finditer(text)]


def _host(url: str) -> str:
    rest = re.sub(r"^[a-z]+://", "", url, flags=re.IGNORECASE)
    return re.split(r"[/:?#]", rest, maxsplit=1)[0].lower()


def extract_urls(text: str, emails: list[Entity]) -> list[Entity]:
    found: list[Entity] = []
    taken = [(e.start, e.end) for e in emails]
    for pattern in (_URL_SCHEME, _BARE_DOMAIN):
        for m in pattern.finditer(text):
            start, end = m.start(), m.end()
            while end > start and text[end - 1] in _TRAILING:
                end -= 1
            if end <= start or any(s < end and start < e for s, e in taken):
                continue
            taken.append((start, end))
            url = text[start:end]
            found.append(system_entity("url", text, start, end, url, extras={"domain": _host(url)}))
    return found


def extract_phones(text: str, region: str) -> list[Entity]:
    found = []
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
        value = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        found.append(system_entity("phoneNumber", text, match.start, match.end, value))
    return found
