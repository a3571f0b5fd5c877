"""The server store: users, API keys, token versions and the proactive-message outbox.

An async interface with no SQL in it, so that SQLite (here) and PostgreSQL (later) implement the
same thing. Conversation state is not here: it belongs to the runtime's store.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from typing import Literal
from typing import Protocol

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

Role = Literal["admin", "user"]


class User(BaseModel):
    """A collaborator. ``admin`` opens every bot; ``user`` only the bots listed in ``bots``.
    ``token_version`` is in every token; bumping it revokes all of the user's tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: str
    password_hash: str
    role: Role = "user"
    bots: list[str] = Field(default_factory=list)
    token_version: int = 1
    created_at: float = 0.0

    def may_access(self, bot_id: str) -> bool:
        return self.role == "admin" or bot_id in self.bots


class ApiKey(BaseModel):
    """A long-lived key for one bot. Only a hash of its secret is kept; ``key_id`` is public
    (it is part of the key) and lets the key be found without scanning."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key_id: str
    bot_id: str
    name: str = ""
    secret_hash: str
    created_at: float = 0.0
    last_used_at: float | None = None


class OutboxMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int
    bot_id: str
    user_id: str
    payload: dict[str, Any]
    created_at: float


# Rows of server_users and server_api_keys, in their columns' order (schema.py, the same for
# SQLite and PostgreSQL): both stores read and write them through these.
def user_values(user: User) -> tuple[Any, ...]:
    bots = json.dumps(user.bots)
    return (user.email, user.password_hash, user.role, bots, user.token_version, user.created_at)


def user_of(row: Sequence[Any]) -> User:
    email, password_hash, role, bots, token_version, created_at = row
    return User(
        email=email,
        password_hash=password_hash,
        role=role,
        bots=json.loads(bots),
        token_version=token_version,
        created_at=created_at,
    )


def key_values(key: ApiKey) -> tuple[Any, ...]:
    return (key.key_id, key.bot_id, key.name, key.secret_hash, key.created_at, key.last_used_at)


def key_of(row: Sequence[Any]) -> ApiKey:
    key_id, bot_id, name, secret_hash, created_at, last_used_at = row
    return ApiKey(
        key_id=key_id,
        bot_id=bot_id,
        name=name,
        secret_hash=secret_hash,
        created_at=created_at,
        last_used_at=last_used_at,
    )


class DuplicateError(Exception):
    """The user or key already exists."""


class ServerStore(Protocol):
    """Every method is safe to call concurrently from one event loop; implementations that several
    worker processes share (SQLite in WAL mode, PostgreSQL) keep each method atomic."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def ping(self) -> None:
        """Raise when the store cannot answer (``/readyz``)."""

    # users
    async def add_user(self, user: User) -> None: ...

    async def get_user(self, email: str) -> User | None: ...

    async def list_users(self) -> list[User]: ...

    async def remove_user(self, email: str) -> bool: ...

    async def bump_token_version(self, email: str) -> int | None:
        """Revoke every token of the user; the new version, or None for an unknown user."""

    # API keys
    async def add_api_key(self, key: ApiKey) -> None: ...

    async def get_api_key(self, key_id: str) -> ApiKey | None: ...

    async def list_api_keys(self) -> list[ApiKey]: ...

    async def revoke_api_key(self, key_id: str) -> bool: ...

    # outbox
    async def push_outbox(
        self, bot_id: str, user_id: str, payloads: list[dict[str, Any]], now: float
    ) -> None: ...

    async def take_outbox(self, bot_id: str, user_id: str) -> list[OutboxMessage]:
        """Remove and return the user's stored messages, oldest first. Each message is returned
        to exactly one caller, even when several take at once."""
