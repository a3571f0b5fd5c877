"""Entity extraction: the bot's list and pattern entities, and the system entities.

System entities (``name`` / ``type``): ``number`` / ``system.number``, ``ordinal``, ``amountOfMoney``,
``email``, ``url``, ``phoneNumber``, ``time``, ``duration``. A number or ordinal inside a larger
system entity ("$20", "tomorrow at 5pm", a phone number) is not reported on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flowbot.runtime.flow import EntityDefinition
from flowbot.runtime.nlu.entities.contact import extract_emails
from flowbot.runtime.nlu.entities.contact import extract_phones
from flowbot.runtime.nlu.entities.contact import extract_urls
from flowbot.runtime.nlu.entities.custom import EntityDefinitionError
from flowbot.runtime.nlu.entities.custom import ListExtractor
from flowbot.runtime.nlu.entities.custom import PatternExtractor
from flowbot.runtime.nlu.entities.model import Entity
from flowbot.runtime.nlu.entities.model import overlaps
from flowbot.runtime.nlu.entities.numbers import extract_money
from flowbot.runtime.nlu.entities.numbers import extract_numbers
from flowbot.runtime.nlu.entities.temporal import TemporalExtractor
from flowbot.runtime.nlu.tokens import Token
from flowbot.runtime.nlu.tokens import tokenize

SYSTEM_ENTITIES = ("number", "ordinal", "amountOfMoney", "email", "url", "phoneNumber", "time", "duration")

__all__ = ["SYSTEM_ENTITIES", "Entity", "EntityDefinitionError", "EntityExtractor"]


class EntityExtractor:
    def __init__(
        self,
        definitions: list[EntityDefinition],
        timezone: str = "UTC",
        phone_region: str = "US",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.lists = ListExtractor(definitions)
        self.patterns = PatternExtractor(definitions)
        self.temporal = TemporalExtractor(timezone, clock)
        self.phone_region = phone_region

    def extract(self, text: str, language: str, tokens: list[Token] | None = None) -> list[Entity]:
        tokens = tokenize(text) if tokens is None else tokens
        custom = self.lists.extract(text, tokens) + self.patterns.extract(text)
        return sorted(custom + self.system(text, tokens, language), key=lambda e: (e.start, -e.end, e.name))

    def system(self, text: str, tokens: list[Token], language: str) -> list[Entity]:
        emails = extract_emails(text)
        containers = emails + extract_urls(text, emails) + extract_phones(text, self.phone_region)
        numbers = [
            n for n in extract_numbers(text, tokens, language) if not any(overlaps(n, c) for c in containers)
        ]
        money = extract_money(text, numbers, language)
        temporal = self.temporal.extract(text, tokens, language, numbers)
        containers += money + temporal
        numbers = [
            n
            for n in numbers
            if not any(overlaps(n, c) and c.end - c.start > n.end - n.start for c in containers)
        ]
        return containers + numbers

    def warm_up(self, languages: list[str]) -> None:
        """Load dateparser's data for these languages now rather than on a user's first date."""
        for language in languages:
            self.extract("tomorrow at 5pm 3 days", language)
