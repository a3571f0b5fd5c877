"""What Botpress's Converse API cannot do: proactive messages.

``POST /api/v1/bots/{botId}/users/{userId}/events`` starts a flow for a user (a scheduler, a CRM,
a hook of another system); the turn's messages go to the user's open streams, else to the outbox.
``GET /api/v1/bots/{botId}/converse/{userId}/stream`` is a Server-Sent Events stream of them.

Both need the credentials of the secured route (a collaborator's JWT or the bot's API key): a
stream carries a user's messages, so knowing a user id must not be enough to read them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio
from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import JSONResponse

from flowbot.errors import FlowbotError
from flowbot.server.context import ServerContext
from flowbot.server.context import authenticate
from flowbot.server.context import authorize
from flowbot.server.context import context
from flowbot.server.context import find_bot
from flowbot.server.context import limit_user
from flowbot.server.context import read_json
from flowbot.server.errors import BadRequestError
from flowbot.server.jsonout import bot_json
from flowbot.server.proactive import Subscription
from flowbot.server.routes.converse import check_user_id
from flowbot.server.routes.converse import open_bot
from flowbot.server.schemas import EventBody
from flowbot.server.schemas import parse_body

logger = logging.getLogger("flowbot.server.events")

STREAM_PING_SECONDS = 15.0


async def post_event(request: Request) -> JSONResponse:
    ctx = context(request)
    bot_id, user_id = request.path_params["botId"], request.path_params["userId"]
    body = await read_json(request, ctx.settings.httpServer.bodyLimit)
    bot = find_bot(ctx, bot_id)
    check_user_id(user_id)
    authorize(await authenticate(request, ctx, allow_api_key=True), bot_id)
    event = parse_body(EventBody, body)
    await limit_user(ctx, bot, user_id)
    try:
        result = await ctx.turns.trigger(
            bot_id, user_id, event.flow, event.node, event.payload, bot.converse.timeout
        )
    except FlowbotError as exc:
        raise BadRequestError(str(exc)) from None
    if result is None:
        return JSONResponse({"status": "accepted", "delivered": "pending", "messages": None}, status_code=202)
    delivered = await ctx.hub.deliver(bot_id, user_id, result.responses)
    return JSONResponse({"status": "delivered", "delivered": delivered, "messages": len(result.responses)})


def _event(payload: dict[str, Any]) -> dict[str, str]:
    return {"event": "message", "data": bot_json(payload)}


async def _stream(
    ctx: ServerContext, subscription: Subscription, shutdown: anyio.Event
) -> AsyncIterator[dict[str, str]]:
    """Sends what is pending for the stream, and what another process stored for the user (when
    it says so through the notifier, and at each poll)."""
    yield {
        "event": "ready",
        "data": json.dumps({"botId": subscription.bot_id, "userId": subscription.user_id}),
    }
    while not shutdown.is_set():
        if not subscription.pending:
            with anyio.move_on_after(ctx.hub.poll_interval):
                await subscription.wait()
        # woken by a notification, or by the poll timer: look at the outbox
        if subscription.stored or not subscription.pending:
            subscription.stored = False
            for payload in await ctx.hub.take_stored(subscription.bot_id, subscription.user_id):
                subscription.push(payload)
        while subscription.pending:
            # The generator resumes only once the event was sent; then the message is done.
            yield _event(subscription.pending[0])
            subscription.pending.popleft()


async def stream(request: Request) -> EventSourceResponse:
    ctx = context(request)
    bot_id, user_id = request.path_params["botId"], request.path_params["userId"]
    open_bot(ctx, bot_id, user_id)
    authorize(await authenticate(request, ctx, allow_api_key=True), bot_id)
    shutdown = anyio.Event()

    async def events() -> AsyncIterator[dict[str, str]]:
        async with ctx.hub.subscribe(bot_id, user_id) as subscription:
            for payload in await ctx.hub.take_stored(bot_id, user_id):
                subscription.push(payload)
            async for item in _stream(ctx, subscription, shutdown):
                yield item

    return EventSourceResponse(events(), ping=STREAM_PING_SECONDS, shutdown_event=shutdown)
