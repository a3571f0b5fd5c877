"""User and API key management for the CLI (``bot users``, ``bot keys``): the same store the
server uses, opened for one command."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from flowbot.errors import FlowbotError
from flowbot.server.auth import NewApiKey
from flowbot.server.auth import hash_password
from flowbot.server.auth import new_api_key
from flowbot.server.store import ApiKey
from flowbot.server.store import DuplicateError
from flowbot.server.store import ServerStore
from flowbot.server.store import User
from flowbot.server.store import store_from_url
from flowbot.settings import Settings

MIN_PASSWORD_LENGTH = 8


class AdminError(FlowbotError):
    pass


@asynccontextmanager
async def opened_store(settings: Settings) -> AsyncIterator[ServerStore]:
    store = store_from_url(settings.database_url, settings.data_dir)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or any(char.isspace() for char in email):
        raise AdminError(f"{email!r} is not an email address")
    return email


async def add_user(settings: Settings, email: str, password: str, role: str, bots: list[str]) -> User:
    email = normalize_email(email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AdminError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if role == "user" and not bots:
        raise AdminError("a user needs --bots (the bots it may open) or --role admin")
    if role == "admin" and bots:
        raise AdminError("an admin opens every bot: --bots does not apply")
    user = User(
        email=email, password_hash=hash_password(password), role=role, bots=bots, created_at=time.time()
    )  # type: ignore[arg-type]
    async with opened_store(settings) as store:
        try:
            await store.add_user(user)
        except DuplicateError:
            raise AdminError(f"a user {email} already exists") from None
    return user


async def list_users(settings: Settings) -> list[User]:
    async with opened_store(settings) as store:
        return await store.list_users()


async def remove_user(settings: Settings, email: str) -> None:
    async with opened_store(settings) as store:
        if not await store.remove_user(normalize_email(email)):
            raise AdminError(f"no user {email}")


async def create_key(settings: Settings, bot_id: str, name: str) -> NewApiKey:
    created = new_api_key(bot_id, name, time.time())
    async with opened_store(settings) as store:
        await store.add_api_key(created.record)
    return created


async def list_keys(settings: Settings) -> list[ApiKey]:
    async with opened_store(settings) as store:
        return await store.list_api_keys()


async def revoke_key(settings: Settings, key_id: str) -> None:
    async with opened_store(settings) as store:
        if not await store.revoke_api_key(key_id):
            raise AdminError(f"no API key {key_id}")
