"""What every route needs, gathered in one object built by ``create_app`` (no globals), plus
the checks routes share: reading a JSON body within the limit, finding the bot, authenticating."""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import orjson
from starlette.requests import ClientDisconnect
from starlette.requests import Request
from starlette.types import Receive
from starlette.types import Scope

from flowbot.runtime.conversation import Conversations
from flowbot.server.auth import InvalidToken
from flowbot.server.auth import Principal
from flowbot.server.auth import TokenService
from flowbot.server.auth import api_key_id
from flowbot.server.auth import api_key_matches
from flowbot.server.clock import Clock
from flowbot.server.errors import ForbiddenError
from flowbot.server.errors import MalformedJsonError
from flowbot.server.errors import NotFoundError
from flowbot.server.errors import PayloadTooLargeError
from flowbot.server.errors import TooManyRequestsError
from flowbot.server.errors import UnauthorizedError
from flowbot.server.proactive import ProactiveHub
from flowbot.server.ratelimit import RateLimiter
from flowbot.server.store.base import ServerStore
from flowbot.server.turns import TurnRunner
from flowbot.settings import BotServing
from flowbot.settings import Settings

API_KEY_HEADER = "x-api-key"


@dataclass
class ServerContext:
    settings: Settings
    conversations: Conversations
    bots: dict[str, BotServing]
    store: ServerStore
    clock: Clock
    tokens: TokenService
    limiter: RateLimiter
    hub: ProactiveHub
    turns: TurnRunner
    ready: bool = False
    not_ready_reason: str = "starting"
    extra: dict[str, Any] = field(default_factory=dict)


def context(request: Request) -> ServerContext:
    ctx: ServerContext = request.app.state.ctx
    return ctx


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


async def read_json(request: Request, limit: int) -> Any:
    """The JSON body, refused past ``limit`` bytes (413, before reading it all when the length is
    declared) and when it is not JSON (400). An empty body reads as ``{}``, as body-parser does."""
    return await receive_json(request.scope, request.receive, limit)


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header ``name`` (lower case), as ``Request.headers.get`` reads it,
    without building the request's header mapping."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def receive_json(scope: Scope, receive: Receive, limit: int) -> Any:
    """:func:`read_json` straight from ASGI (the public converse route runs without a Request)."""
    declared = header(scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError()
    raw = await _receive_body(receive, limit)
    if not raw.strip():
        return {}
    return parse_json(raw)


async def _receive_body(receive: Receive, limit: int) -> bytes:
    # What Request.stream does, without the generator: a disconnect mid-body is ClientDisconnect.
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise PayloadTooLargeError()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()


def parse_json(raw: bytes) -> Any:
    """A JSON document, or :class:`MalformedJsonError` worded as body-parser words it."""
    try:
        # orjson accepts a subset of what json does, parsed to the same values, several times
        # faster; whatever it refuses goes through json, which accepts it or words the error.
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise MalformedJsonError("Invalid JSON: the body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise MalformedJsonError(f"Invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:
        raise MalformedJsonError(f"Invalid JSON: {exc}") from None
    except RecursionError:
        raise MalformedJsonError("Invalid JSON: nested too deeply") from None


def find_bot(ctx: ServerContext, bot_id: str) -> BotServing:
    """Botpress's ``checkBotVisibility``: 404 for an unknown or disabled bot."""
    bot = ctx.bots.get(bot_id)
    if bot is None:
        raise NotFoundError("Invalid Bot ID")
    if bot.disabled:
        raise NotFoundError("Bot is disabled")
    return bot


async def authenticate(request: Request, ctx: ServerContext, *, allow_api_key: bool) -> Principal:
    """The caller, from ``Authorization: Bearer <jwt>`` or (where allowed) ``X-API-Key``; 401 with
    Botpress's messages otherwise. The token's version must be the user's current one."""
    presented_key = request.headers.get(API_KEY_HEADER)
    if presented_key is not None and allow_api_key:
        return await _authenticate_key(ctx, presented_key)
    header = request.headers.get("authorization")
    if not header:
        raise UnauthorizedError("Authorization header is missing")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        raise UnauthorizedError(f'Unknown scheme "{scheme}"')
    try:
        claims = ctx.tokens.decode(token.strip())
    except InvalidToken:
        raise UnauthorizedError("Invalid authentication token") from None
    user = await ctx.store.get_user(claims.email)
    if user is None or user.token_version != claims.tokenVersion:
        raise UnauthorizedError("Invalid authentication token")
    return Principal(kind="user", user=user)


async def _authenticate_key(ctx: ServerContext, presented: str) -> Principal:
    key_id = api_key_id(presented.strip())
    record = await ctx.store.get_api_key(key_id) if key_id else None
    if record is None or not api_key_matches(record, presented.strip()):
        raise UnauthorizedError("Invalid API key")
    return Principal(kind="api_key", key=record)


def authorize(principal: Principal, bot_id: str) -> None:
    """Unlike Botpress, a valid token opens only the bots its user may access."""
    if not principal.may_access(bot_id):
        raise ForbiddenError(f'no access to bot "{bot_id}"')


async def limit_user(ctx: ServerContext, bot: BotServing, user_id: str) -> None:
    limits = bot.converse.rateLimit
    if not limits.enabled:
        return
    decision = await ctx.limiter.hit(f"user:{bot.bot_id}:{user_id}", limits.limit, limits.limitWindow)
    if not decision.allowed:
        raise TooManyRequestsError(decision.retry_after)
