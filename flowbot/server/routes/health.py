"""``GET /healthz`` (the process answers) and ``GET /readyz`` (it can serve turns: bots loaded, the
store answers, not shutting down), for load balancers and orchestrators."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from flowbot.server.context import context

logger = logging.getLogger("flowbot.server.health")


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    ctx = context(request)
    if not ctx.ready:
        return JSONResponse({"status": "unavailable", "reason": ctx.not_ready_reason}, status_code=503)
    try:
        await ctx.store.ping()
    except Exception as exc:
        logger.warning("readiness: the server store does not answer: %s", exc)
        return JSONResponse(
            {"status": "unavailable", "reason": "the server store does not answer"}, status_code=503
        )
    return JSONResponse({"status": "ready", "bots": sorted(ctx.bots), "turnsInFlight": ctx.turns.in_flight})
