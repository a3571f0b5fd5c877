"""Store URLs: which database a URL names, and flowbot's own options in its query string.

``postgresql://user@host:5432/db?schema=flowbot&pool_max=10&lock_ttl=30`` keeps the driver's
parameters (``sslmode``...) for asyncpg and takes flowbot's (see :class:`PostgresOptions`) out.
``redis://host:6379/0?prefix=flowbot`` likewise for the Redis client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from flowbot.errors import FlowbotError

POSTGRES_SCHEMES = ("postgresql", "postgres")
DEFAULT_SCHEMA = "flowbot"


class StoreUrlError(FlowbotError):
    """A store URL that names no store flowbot knows, or with an invalid option."""


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and urlsplit(str(url)).scheme in POSTGRES_SCHEMES


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class PostgresOptions:
    """flowbot's options of a PostgreSQL URL.

    ``schema``: where the tables live (created by the migrations); ``pool_min``/``pool_max``:
    connections per process (a turn holds one while it holds its user's lock); ``lock_ttl``: seconds
    after which PostgreSQL ends the session of a lock holder that stopped answering (a frozen
    process), releasing the user's lock; ``migrate``: ``auto`` applies safe migrations on start,
    ``off`` only checks that the schema is current.
    """

    schema: str = DEFAULT_SCHEMA
    pool_min: int = 1
    pool_max: int = 10
    lock_ttl: float = 30.0
    migrate: Literal["auto", "off"] = "auto"


def _number(name: str, raw: str, kind: type[int] | type[float], minimum: float) -> float:
    try:
        value = kind(raw)
    except ValueError:
        raise StoreUrlError(f"store URL option {name}={raw!r}: expected a number") from None
    if value < minimum:
        raise StoreUrlError(f"store URL option {name}={raw!r}: must be at least {minimum:g}")
    return value


def parse_postgres_url(url: str) -> tuple[str, PostgresOptions]:
    """The DSN for asyncpg (flowbot's options removed) and flowbot's options."""
    parts = urlsplit(url)
    if parts.scheme not in POSTGRES_SCHEMES:
        raise StoreUrlError(f"not a PostgreSQL URL: {redact(url)!r}")
    kept: list[tuple[str, str]] = []
    found: dict[str, str] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name in ("schema", "pool_min", "pool_max", "lock_ttl", "migrate"):
            found[name] = value
        else:
            kept.append((name, value))
    from flowbot.runtime.store.schema import SchemaError
    from flowbot.runtime.store.schema import check_identifier

    try:
        schema = check_identifier(found.get("schema", DEFAULT_SCHEMA))
    except SchemaError as exc:
        raise StoreUrlError(f"store URL option schema: {exc}") from None
    migrate = found.get("migrate", "auto")
    if migrate not in ("auto", "off"):
        raise StoreUrlError(f"store URL option migrate={migrate!r}: expected auto or off")
    pool_min = int(_number("pool_min", found.get("pool_min", "1"), int, 0))
    pool_max = int(_number("pool_max", found.get("pool_max", "10"), int, 1))
    if pool_min > pool_max:
        raise StoreUrlError(f"store URL options: pool_min ({pool_min}) is above pool_max ({pool_max})")
    options = PostgresOptions(
        schema=schema,
        pool_min=pool_min,
        pool_max=pool_max,
        lock_ttl=_number("lock_ttl", found.get("lock_ttl", "30"), float, 1.0),
        migrate=migrate,  # type: ignore[arg-type]
    )
    return urlunsplit(parts._replace(query=urlencode(kept))), options


def parse_redis_url(url: str) -> tuple[str, str]:
    """The URL for redis-py (``prefix`` removed) and the key prefix (default ``flowbot``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise StoreUrlError(f"not a Redis URL: {redact(url)!r} (expected redis://host:port/db)")
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "prefix"]
    prefix = dict(parse_qsl(parts.query)).get("prefix", "flowbot")
    if not prefix or any(char.isspace() for char in prefix):
        raise StoreUrlError(f"redis URL option prefix={prefix!r}: expected a word")
    return urlunsplit(parts._replace(query=urlencode(kept))), prefix
