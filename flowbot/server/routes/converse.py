"""The Converse API: ``POST /api/v1/bots/{botId}/converse/{userId}`` (public) and ``.../secured``.

The checks run in Botpress's order (converse-router.ts): the bot's visibility (404), a private
bot's token, the public-endpoint switch (403 text), the body (400), ``include`` (403 text), then the
message length (400). flowbot adds the per-bot converse switch, per-user rate limits and the outbox:
stored proactive messages come first in ``responses``, so a Botpress client shows them unchanged.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive
from starlette.types import Scope

from flowbot.errors import FlowbotError
from flowbot.runtime.conversation import IncomingMessage
from flowbot.runtime.conversation import TurnResult
from flowbot.server.auth import Principal
from flowbot.server.context import ServerContext
from flowbot.server.context import authenticate
from flowbot.server.context import authorize
from flowbot.server.context import context
from flowbot.server.context import find_bot
from flowbot.server.context import limit_user
from flowbot.server.context import read_json
from flowbot.server.context import receive_json
from flowbot.server.errors import ApiError
from flowbot.server.errors import BadRequestError
from flowbot.server.errors import InvalidParameterError
from flowbot.server.errors import PlainTextError
from flowbot.server.jsonout import BotJSONAnswer
from flowbot.server.jsonout import BotJSONResponse
from flowbot.server.schemas import SecuredConverseBody
from flowbot.server.schemas import parse_body
from flowbot.server.schemas import parse_public_body
from flowbot.settings import BotServing

DEBUG_PARTS = ("nlu", "state", "suggestions", "decision", "credentials")
MAX_USER_ID_LENGTH = 255
BOTS_PREFIX = "/api/v1/bots/"


def js_length(text: str) -> int:
    """``text.length`` as JavaScript counts it (UTF-16 code units): an emoji counts 2, as in Botpress."""
    # surrogatepass: a lone surrogate (JSON can escape one) is one code unit, as in JavaScript
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def check_message(bot: BotServing, payload: dict[str, Any]) -> None:
    """Botpress's ``sendMessage`` check, on both routes: a text payload needs a string text of at
    most ``converse.maxMessageLength`` characters."""
    if payload.get("type", "text") != "text":
        return
    text = payload.get("text")
    limit = bot.converse.maxMessageLength
    if not isinstance(text, str) or not within_js_length(text, limit):
        raise InvalidParameterError(f"Text must be a valid string of less than {limit} chars")


def within_js_length(text: str, limit: int) -> bool:
    """``js_length(text) <= limit``; an ASCII text (most messages) is not encoded to be counted."""
    if text.isascii():
        return len(text) <= limit
    return js_length(text) <= limit


def check_user_id(user_id: str) -> None:
    # Botpress stores user ids in a varchar(255); flowbot refuses longer ones instead of failing later.
    if len(user_id) > MAX_USER_ID_LENGTH:
        raise BadRequestError(f"userId must be at most {MAX_USER_ID_LENGTH} characters")


def open_bot(ctx: ServerContext, bot_id: str, user_id: str) -> BotServing:
    bot = find_bot(ctx, bot_id)
    check_user_id(user_id)
    if not bot.converse.enabled:
        raise PlainTextError(403, f"Converse API is disabled for {bot_id}")
    return bot


async def run_turn(
    ctx: ServerContext,
    bot: BotServing,
    user_id: str,
    message: IncomingMessage,
    *,
    responses_only: bool = False,
) -> TurnResult:
    try:
        timeout = bot.converse.timeout
        return await ctx.turns.converse(bot.bot_id, user_id, message, timeout, responses_only=responses_only)
    except FlowbotError as exc:
        # The runtime refused the message itself (not a failure of the bot's flows, which go to
        # its error flow): a client error, worded by the runtime.
        raise BadRequestError(str(exc)) from None


async def with_outbox(
    ctx: ServerContext, bot_id: str, user_id: str, result: TurnResult
) -> list[dict[str, Any]]:
    stored = await ctx.hub.take_stored(bot_id, user_id)
    return [*stored, *result.responses]


async def answer_public(ctx: ServerContext, scope: Scope, receive: Receive) -> BotJSONAnswer:
    """The public route's answer, straight from ASGI (no Request: this runs on most requests).
    Client errors are raised (:class:`ApiError`, :class:`PlainTextError`)."""
    params = scope["path_params"]
    bot_id, user_id = params["botId"], params["userId"]
    body = await receive_json(scope, receive, ctx.settings.httpServer.bodyLimit)
    bot = open_bot(ctx, bot_id, user_id)
    if bot.private:
        authorize(await authenticate(Request(scope, receive), ctx, allow_api_key=True), bot_id)
    if bot.public_disabled_by_bot:
        raise PlainTextError(403, f"Unauthenticated Converse API is disabled for {bot_id}")
    if not ctx.settings.converse.enableUnsecuredEndpoint:
        raise PlainTextError(403, "Unauthenticated Converse API is disabled for all bots")
    parsed = parse_public_body(body)
    # Most calls have no query string: skip parsing it (Starlette builds a multi-dict every time).
    include = QueryParams(scope["query_string"]).get("include") if scope["query_string"] else None
    if include is not None and include.lower() != "responses":
        raise PlainTextError(403, 'Unauthenticated converse API can only return "responses"')
    if bot.converse.rateLimit.enabled:
        await limit_user(ctx, bot, user_id)
    payload = {"type": "text", "text": parsed.text}
    check_message(bot, payload)
    message = IncomingMessage(
        payload=payload, included_contexts=parsed.includedContexts, metadata=parsed.metadata
    )
    # The answer holds the responses alone: the runtime need not build the turn's other parts.
    result = await run_turn(ctx, bot, user_id, message, responses_only=True)
    return BotJSONAnswer({"responses": await with_outbox(ctx, bot_id, user_id, result)})


async def converse_public(request: Request) -> BotJSONAnswer:
    """The public route through Starlette's router (when the middleware's shortcut does not take it)."""
    return await answer_public(context(request), request.scope, request.receive)


class PublicConverseShortcut:
    """``POST /api/v1/bots/{botId}/converse/{userId}``, answered by :class:`ServerMiddleware`
    without Starlette's exception middleware, router and request wrapper (five coroutine layers,
    each resumed at every await of the turn, a regex per route, a Request and its header mapping):
    ~15 µs of CPU per request, a third of the server layer's. Client errors are answered here as
    Starlette's exception handlers answer them."""

    def __init__(self, ctx: ServerContext, route: Route) -> None:
        self.ctx = ctx
        self.route = route

    @staticmethod
    def match(path: str) -> dict[str, str] | None:
        """The path parameters when ``path`` is the route's (the router's ``[^/]+`` per parameter)."""
        if not path.startswith(BOTS_PREFIX):
            return None
        parts = path[len(BOTS_PREFIX) :].split("/")
        if len(parts) != 3 or parts[1] != "converse" or not parts[0] or not parts[2]:
            return None
        return {"botId": parts[0], "userId": parts[2]}

    async def answer(self, scope: Scope, receive: Receive) -> Response | BotJSONAnswer:
        try:
            return await answer_public(self.ctx, scope, receive)
        except (ApiError, PlainTextError) as exc:
            return exc.response()


def _include(request: Request) -> set[str]:
    raw = request.query_params.get("include", "")
    return {part.strip().lower() for part in raw.split(",") if part.strip()}


def _debug_answer(
    responses: list[dict[str, Any]], result: TurnResult, include: set[str], principal: Principal
) -> dict[str, Any]:
    answer: dict[str, Any] = {"responses": responses}
    parts: dict[str, Any] = {
        "nlu": result.nlu,
        "state": result.state,
        "suggestions": result.suggestions,
        "decision": result.decision,
        "credentials": principal.credentials(),
    }
    for name in DEBUG_PARTS:
        if name in include:
            answer[name] = parts[name]
    return answer


async def converse_secured(request: Request) -> JSONResponse:
    ctx = context(request)
    bot_id, user_id = request.path_params["botId"], request.path_params["userId"]
    body = await read_json(request, ctx.settings.httpServer.bodyLimit)
    bot = open_bot(ctx, bot_id, user_id)
    principal = await authenticate(request, ctx, allow_api_key=True)
    authorize(principal, bot_id)
    parsed = parse_body(SecuredConverseBody, body)
    await limit_user(ctx, bot, user_id)
    payload = {key: value for key, value in body.items() if key not in ("includedContexts", "metadata")}
    payload["type"] = parsed.type
    check_message(bot, payload)
    message = IncomingMessage(
        payload=payload,
        included_contexts=parsed.includedContexts,
        metadata=parsed.metadata,
        credentials=principal.credentials(),
    )
    result = await run_turn(ctx, bot, user_id, message)
    responses = await with_outbox(ctx, bot_id, user_id, result)
    return BotJSONResponse(_debug_answer(responses, result, _include(request), principal))
