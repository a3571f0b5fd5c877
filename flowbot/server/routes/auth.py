"""Collaborator login, token refresh and logout, as Botpress v12's basic strategy answers them
(reference §6): ``POST /api/v1/auth/login/basic/default``, ``GET /api/v1/auth/refresh``,
``GET /api/v1/auth/logout`` (also POST), the latter revoking every token of the user."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from flowbot.server.auth import STRATEGY
from flowbot.server.auth import check_password
from flowbot.server.context import authenticate
from flowbot.server.context import context
from flowbot.server.context import read_json
from flowbot.server.errors import InvalidCredentialsError
from flowbot.server.errors import NotFoundError
from flowbot.server.schemas import LoginBody
from flowbot.server.schemas import parse_body

logger = logging.getLogger("flowbot.server.auth")


def _success(message: str, payload: dict[str, object]) -> JSONResponse:
    return JSONResponse({"status": "success", "message": message, "payload": payload})


async def login(request: Request) -> JSONResponse:
    ctx = context(request)
    if request.path_params["strategy"] != STRATEGY:
        raise NotFoundError("Strategy not found")
    body = parse_body(LoginBody, await read_json(request, ctx.settings.httpServer.bodyLimit))
    email = body.email.strip().lower()
    user = await ctx.store.get_user(email)
    if not await check_password(user, body.password):
        # Never says whether the email exists; the address is logged, the password never.
        logger.info("failed login for %s", email)
        raise InvalidCredentialsError()
    assert user is not None
    token = ctx.tokens.issue(user)
    return _success("Login successful", {"jwt": token, "exp": ctx.tokens.duration_ms})


async def refresh(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await authenticate(request, ctx, allow_api_key=False)
    if not ctx.settings.jwtToken.allowRefresh:
        original = request.headers["authorization"].partition(" ")[2].strip()
        return _success("Token not refreshed, sending back original", {"newToken": original})
    assert principal.user is not None
    token = ctx.tokens.issue(principal.user)
    return _success(
        "Token refreshed successfully", {"newToken": {"jwt": token, "exp": ctx.tokens.duration_ms}}
    )


async def logout(request: Request) -> JSONResponse:
    ctx = context(request)
    principal = await authenticate(request, ctx, allow_api_key=False)
    assert principal.user is not None
    await ctx.store.bump_token_version(principal.user.email)
    return _success("Logout successful", {})
