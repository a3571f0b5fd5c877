"""Collaborator authentication: argon2 password hashes, HS256 JWTs shaped like Botpress's
(``email, strategy, tokenVersion, isSuperAdmin, iat, exp, aud: "collaborators"``), and per-bot API keys.

A token is valid only when its signature, audience and expiry check out *and* its ``tokenVersion``
equals the user's current one: logout bumps the version, which revokes every earlier token.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import secrets
from typing import Any
from typing import Literal

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from pydantic import BaseModel
from pydantic import ConfigDict

from flowbot.server.clock import Clock
from flowbot.server.store.base import ApiKey
from flowbot.server.store.base import User

AUDIENCE = "collaborators"
STRATEGY = "default"
ALGORITHM = "HS256"
API_KEY_PREFIX = "fbk"

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the email is unknown, so that a login takes as long either way.
    return _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def check_password(user: User | None, password: str) -> bool:
    """argon2 is deliberately slow (tens of ms): run it off the event loop."""
    stored = user.password_hash if user is not None else _dummy_hash()
    ok = await asyncio.to_thread(verify_password, stored, password)
    return ok and user is not None


class TokenClaims(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    email: str
    tokenVersion: int
    exp: int
    iat: int


class InvalidToken(Exception):
    """The token cannot be trusted (bad signature, algorithm, audience, claims, expiry)."""


class TokenService:
    """Issues and checks collaborator tokens. Expiry is checked against the injected clock."""

    def __init__(self, secret: str, duration: float, clock: Clock) -> None:
        self._secret = secret
        self.duration = duration
        self._clock = clock

    def issue(self, user: User) -> str:
        now = int(self._clock.time())
        claims: dict[str, Any] = {
            "email": user.email,
            "strategy": STRATEGY,
            "tokenVersion": user.token_version,
            "isSuperAdmin": user.role == "admin",
            "iat": now,
            "exp": now + max(1, int(self.duration)),
            "aud": AUDIENCE,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    @property
    def duration_ms(self) -> int:
        return int(self.duration * 1000)

    def decode(self, token: str) -> TokenClaims:
        try:
            # algorithms pins HS256: "none" and every other algorithm are refused by pyjwt.
            raw = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                options={"require": ["exp", "iat", "aud"], "verify_exp": False, "verify_iat": False},
            )
            claims = TokenClaims.model_validate(raw)
        except (jwt.PyJWTError, ValueError) as exc:
            raise InvalidToken(str(exc)) from None
        if claims.exp <= self._clock.time():
            raise InvalidToken("expired")
        return claims


class NewApiKey(BaseModel):
    """A key as created: ``secret`` is the full key the client sends, shown once and never stored."""

    model_config = ConfigDict(frozen=True)

    record: ApiKey
    secret: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_api_key(bot_id: str, name: str, now: float) -> NewApiKey:
    """A random key ``fbk_<id>_<secret>``. The secret has 256 random bits, so a fast hash is enough
    to store it (unlike a password, it cannot be guessed from a dictionary)."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    full = f"{API_KEY_PREFIX}_{key_id}_{secret}"
    record = ApiKey(key_id=key_id, bot_id=bot_id, name=name, secret_hash=_digest(full), created_at=now)
    return NewApiKey(record=record, secret=full)


def api_key_id(presented: str) -> str | None:
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1]


def api_key_matches(record: ApiKey, presented: str) -> bool:
    return hmac.compare_digest(record.secret_hash, _digest(presented))


class Principal(BaseModel):
    """Who is calling: a collaborator (by JWT) or an API key of one bot."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["user", "api_key"]
    user: User | None = None
    key: ApiKey | None = None

    def may_access(self, bot_id: str) -> bool:
        if self.user is not None:
            return self.user.may_access(bot_id)
        return self.key is not None and self.key.bot_id == bot_id

    def credentials(self) -> dict[str, Any]:
        """What the turn's ``event.credentials`` says about the caller (never a secret)."""
        if self.user is not None:
            return {"type": "collaborator", "email": self.user.email, "strategy": STRATEGY}
        assert self.key is not None
        return {"type": "apiKey", "keyId": self.key.key_id, "name": self.key.name, "botId": self.key.bot_id}
