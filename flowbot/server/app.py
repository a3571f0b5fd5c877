"""``create_app``: the Starlette application of the Converse API, wired from its collaborators.

Everything is passed in (settings, the conversation service, the bots, the store, the clock), so
that tests run the real app on a fake conversation service and a fake clock.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.responses import Response
from starlette.routing import Route

from flowbot.runtime.conversation import Conversations
from flowbot.server.auth import TokenService
from flowbot.server.clock import Clock
from flowbot.server.clock import SystemClock
from flowbot.server.context import ServerContext
from flowbot.server.errors import ApiError
from flowbot.server.errors import MethodNotAllowedError
from flowbot.server.errors import NotFoundError
from flowbot.server.errors import PlainTextError
from flowbot.server.logs import AccessLog
from flowbot.server.logs import AccessSink
from flowbot.server.middleware import ServerMiddleware
from flowbot.server.openapi import openapi_document
from flowbot.server.proactive import Notifier
from flowbot.server.proactive import ProactiveHub
from flowbot.server.ratelimit import RateLimiter
from flowbot.server.ratelimit import TokenBucketLimiter
from flowbot.server.routes import auth
from flowbot.server.routes import converse
from flowbot.server.routes import events
from flowbot.server.routes import health
from flowbot.server.store.base import ServerStore
from flowbot.server.turns import TurnRunner
from flowbot.settings import BotServing
from flowbot.settings import Settings

logger = logging.getLogger("flowbot.server")

# How long shutdown waits for turns that outlived their request, beyond converse.timeout.
SHUTDOWN_GRACE_SECONDS = 30.0


def _flowbot_version() -> str:
    try:
        return version("flowbot")
    except PackageNotFoundError:
        return "0.0.0"


BASE = "/api/v1/bots/{botId}"


def _routes(document: dict[str, object], public: Route) -> list[Route]:
    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(document)

    return [
        public,
        Route(f"{BASE}/converse/{{userId}}/secured", converse.converse_secured, methods=["POST"]),
        Route(f"{BASE}/converse/{{userId}}/stream", events.stream, methods=["GET"]),
        Route(f"{BASE}/users/{{userId}}/events", events.post_event, methods=["POST"]),
        Route("/api/v1/auth/login/basic/{strategy}", auth.login, methods=["POST"]),
        Route("/api/v1/auth/refresh", auth.refresh, methods=["GET"]),
        Route("/api/v1/auth/logout", auth.logout, methods=["GET", "POST"]),
        Route("/healthz", health.healthz, methods=["GET"]),
        Route("/readyz", health.readyz, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError | PlainTextError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return MethodNotAllowedError("Method Not Allowed").response()
    if exc.status_code == 404:
        return NotFoundError("no such route").response()
    return JSONResponse(
        {"statusCode": exc.status_code, "type": "Error", "message": exc.detail}, status_code=exc.status_code
    )


def _lifespan(
    ctx: ServerContext, not_ready: str | None, resources: Sequence[Any]
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await ctx.store.open()
        for resource in resources:
            await resource.start()
        ctx.ready = not_ready is None
        ctx.not_ready_reason = not_ready or ""
        names = ", ".join(sorted(ctx.bots)) or "(none)"
        logger.info("serving %d bot%s: %s", len(ctx.bots), "" if len(ctx.bots) == 1 else "s", names)
        try:
            yield
        finally:
            ctx.ready = False
            ctx.not_ready_reason = "shutting down"
            await ctx.turns.drain(ctx.settings.converse.timeout + SHUTDOWN_GRACE_SECONDS)
            for resource in reversed(resources):
                await resource.close()
            await ctx.store.close()

    return lifespan


def create_app(
    settings: Settings,
    conversations: Conversations,
    bots: Mapping[str, BotServing],
    store: ServerStore,
    clock: Clock | None = None,
    limiter: RateLimiter | None = None,
    not_ready: str | None = None,
    access_log: AccessSink | None = None,
    resources: Sequence[Any] = (),
    notifier: Notifier | None = None,
) -> Starlette:
    """The app. ``bots`` maps each served bot id to its serving settings (:func:`flowbot.settings.bot_serving`).
    The store is opened and closed with the app's lifespan; the conversation service is owned by
    the caller (who closes it after the app stops). ``not_ready`` keeps ``/readyz`` at 503 with
    that reason (the conversation service could not be built). ``access_log`` receives one dict
    per request (default: JSON lines on stderr when ``logs.accessLog`` is on). ``resources`` (such as
    the conversation service) are started (``await r.start()``) when the app starts and closed
    (``await r.close()``), in reverse order, after in-flight turns have finished. ``limiter`` and
    ``notifier`` are shared by several processes when they come from Redis
    (:class:`flowbot.server.cluster.RedisCoordination`, which is then one of the ``resources``)."""
    clock = clock or SystemClock()
    limiter = limiter or TokenBucketLimiter(clock)
    hub = ProactiveHub(store, clock, notifier)
    ctx = ServerContext(
        settings=settings,
        conversations=conversations,
        bots=dict(bots),
        store=store,
        clock=clock,
        tokens=TokenService(settings.appSecret.get_secret_value(), settings.jwtToken.duration, clock),
        limiter=limiter,
        hub=hub,
        turns=TurnRunner(conversations, hub),
    )

    # First of the routes, as the router tries them; the middleware's shortcut answers its POSTs.
    public = Route(f"{BASE}/converse/{{userId}}", converse.converse_public, methods=["POST"])
    app = Starlette(
        routes=_routes(openapi_document(_flowbot_version()), public),
        middleware=[
            Middleware(
                ServerMiddleware,
                limiter=limiter,
                address_limit=settings.httpServer.rateLimit,
                access_log=access_log or (AccessLog(sys.stderr) if settings.logs.accessLog else None),
                shortcut=converse.PublicConverseShortcut(ctx, public),
            )
        ],
        exception_handlers={ApiError: _api_error, PlainTextError: _api_error, HTTPException: _http_error},
        lifespan=_lifespan(ctx, not_ready, resources),
    )
    app.state.ctx = ctx
    return app
