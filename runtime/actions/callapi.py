"""``basic-skills/call_api``: an HTTP request from a flow, through the service's shared ApiClient (§4.2).

``url`` and ``body`` are top-level args, already rendered once by the dialog engine; ``headers``
is an object, rendered here (each string once). Unlike Botpress we never render ``body`` a second
time (text typed by a user is never evaluated) and every request has a timeout: the node's
``timeout`` arg in seconds, else the bot's ``callApi.timeout``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flowbot.runtime.actions.base import ActionContext
from flowbot.runtime.actions.base import ActionError
from flowbot.runtime.actions.base import js_number
from flowbot.runtime.actions.builtin import scope_of
from flowbot.runtime.actions.builtin import set_path
from flowbot.runtime.callapi import ApiRequest

METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})


def _render_headers(ctx: ActionContext, headers: Any) -> dict[str, str]:
    if headers is None or headers == "":
        return {}
    if isinstance(headers, str):
        try:
            headers = json.loads(headers)
        except json.JSONDecodeError as exc:
            raise ActionError(f"headers must be a JSON object: {exc.msg}") from exc
    if not isinstance(headers, dict):
        raise ActionError("headers must be an object of header names to values")
    variables = ctx.turn.variables()
    rendered: dict[str, str] = {}
    for name, value in headers.items():
        text = value if isinstance(value, str) else json.dumps(value)
        rendered[str(name)] = ctx.renderer.render(text, variables)
    return rendered


def _body(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _timeout(ctx: ActionContext) -> float:
    seconds = js_number(ctx.args.get("timeout")) if ctx.args.get("timeout") not in (None, "") else math.nan
    if math.isnan(seconds) or seconds <= 0:
        return float(ctx.bot.config.callApi.timeout)
    return seconds


def build_request(ctx: ActionContext) -> ApiRequest:
    url = ctx.args.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ActionError("argument 'url' must be a non-empty string")
    method = str(ctx.args.get("method") or "get").lower()
    if method not in METHODS:
        raise ActionError(f"unsupported method {method!r} (expected one of: {', '.join(sorted(METHODS))})")
    return ApiRequest(
        method=method.upper(),
        url=url.strip(),
        headers=_render_headers(ctx, ctx.args.get("headers")),
        body=_body(ctx.args.get("body")),
        timeout=_timeout(ctx),
    )


async def call_api(ctx: ActionContext) -> None:
    """Send the request and store ``{"body", "status"}`` in ``<memory>.<variable>``; set
    ``temp.valid_<randomId>`` (``temp.valid`` without randomId) to whether the status is < 400."""
    if ctx.api_client is None:
        raise ActionError("no HTTP client is configured for the Call API")
    memory = scope_of(ctx, ctx.args.get("memory") or "temp")
    variable = ctx.args.get("variable") or "response"
    if not isinstance(variable, str):
        raise ActionError("argument 'variable' must be a string")
    response = await ctx.api_client.send(build_request(ctx))
    set_path(memory, variable, response.to_memory())
    random_id = ctx.args.get("randomId")
    ctx.turn.temp[f"valid_{random_id}" if random_id else "valid"] = response.ok
