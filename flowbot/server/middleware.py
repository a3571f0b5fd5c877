"""The outermost layer of the app (plain ASGI, it runs on every request):

* a JSON access log line per request: method, route template, status, duration, bot; never the
  message text, the query string, a header or a token;
* the per-address rate limit on ``/api`` routes (``httpServer.rateLimit``);
* the last line of defence: an exception that escaped the routes is logged with its traceback and
  answered as a JSON 500 without internals;
* a shortcut for the busiest route (the public converse POST), answered here without the router.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from typing import Protocol

from starlette.routing import BaseRoute
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp
from starlette.types import Message
from starlette.types import Receive
from starlette.types import Scope
from starlette.types import Send

from flowbot.server.errors import ApiError
from flowbot.server.errors import InternalServerError
from flowbot.server.errors import TooManyRequestsError
from flowbot.server.logs import AccessSink
from flowbot.server.ratelimit import RateLimiter
from flowbot.settings import RateLimitSettings

error_logger = logging.getLogger("flowbot.server.error")


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "(no route)"


class Shortcut(Protocol):
    """A route that :class:`ServerMiddleware` answers itself, past Starlette's router (see
    :class:`flowbot.server.routes.converse.PublicConverseShortcut`)."""

    route: BaseRoute  # its template goes to the access log

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters when ``path`` is the route's, else None."""

    async def answer(self, scope: Scope, receive: Receive) -> Any:
        """The response to send (``status_code``, called as an ASGI app); client errors included."""


class ServerMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        address_limit: RateLimitSettings,
        access_log: AccessSink | None,
        shortcut: Shortcut | None = None,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.address_limit = address_limit
        self.access_log = access_log
        self.shortcut = shortcut

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            # (a coroutine per request costs: only await one when the limit is on)
            refusal = await self._limit(scope) if self.address_limit.enabled else None
            if refusal is not None:
                await refusal.response()(scope, receive, send_wrapper)
            elif self.shortcut is not None and (params := self._shortcut_params(scope)) is not None:
                scope["path_params"] = params
                scope["route"] = self.shortcut.route
                response = await self.shortcut.answer(scope, receive)
                status = response.status_code  # as send_wrapper would, without a call per message
                await response(scope, receive, send)
            else:
                await self.app(scope, receive, send_wrapper)
        except ClientDisconnect:
            # The client went away before its body was read: nobody to answer, nothing broken
            # (the access log says 499, as for any request that got no answer).
            error_logger.info("client went away on %s %s", scope.get("method"), route_template(scope))
        except Exception:
            error_logger.exception("unhandled error on %s %s", scope.get("method"), route_template(scope))
            if status is None:
                await InternalServerError().response()(scope, receive, send_wrapper)
        finally:
            if self.access_log is not None:
                self.access_log(self._fields(scope, status, time.perf_counter() - started))

    def _shortcut_params(self, scope: Scope) -> dict[str, str] | None:
        # With a root_path the router strips it first: leave such requests to the router.
        if scope["method"] != "POST" or scope.get("root_path") or self.shortcut is None:
            return None
        return self.shortcut.match(scope["path"])

    async def _limit(self, scope: Scope) -> ApiError | None:
        if not self.address_limit.enabled or not scope["path"].startswith("/api/"):
            return None
        limits = self.address_limit
        decision = await self.limiter.hit(f"addr:{client_address(scope)}", limits.limit, limits.limitWindow)
        return None if decision.allowed else TooManyRequestsError(decision.retry_after)

    @staticmethod
    def _fields(scope: Scope, status: int | None, seconds: float) -> dict[str, Any]:
        params = scope.get("path_params") or {}
        return {
            "method": scope.get("method"),
            "path": route_template(scope),
            "status": status if status is not None else 499,
            "ms": round(seconds * 1000, 2),
            "bot": params.get("botId"),
            "client": client_address(scope),
        }
