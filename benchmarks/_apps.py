"""The apps the server benchmark loads, each started as ``python -m benchmarks._apps KIND PORT``:

* ``bare``: a Starlette endpoint that parses the converse body and returns a JSON answer of the same
  shape: the ceiling for any Python server on this machine (same uvicorn, uvloop, httptools).
* ``echo``: flowbot's real app (routing, validation, limits, outbox check, access log) on a
  conversation service that answers at once: the cost of the server layer alone. It is set up as
  ``bot serve`` sets up one worker: the garbage collector tuned
  (:class:`flowbot.server.gctuning.ServingGc`; untuned, its figure was mostly gen-0 collections,
  not the server layer) and the SQLite server store ``alone`` (the only process on its file).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from flowbot.runtime.conversation import IncomingMessage
from flowbot.runtime.conversation import TurnResult

ANSWER = [
    {"type": "typing", "value": True},
    {"type": "text", "markdown": True, "text": "Hey there, welcome!"},
]


def bare_app() -> Starlette:
    async def converse(request: Request) -> JSONResponse:
        body = await request.json()
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            return JSONResponse({"statusCode": 400}, status_code=400)
        return JSONResponse({"responses": ANSWER})

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/api/v1/bots/{botId}/converse/{userId}", converse, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


class EchoConversations:
    async def converse(
        self, bot_id: str, user_id: str, message: IncomingMessage, *, responses_only: bool = False
    ) -> TurnResult:
        return TurnResult(responses=ANSWER)

    async def trigger(
        self,
        bot_id: str,
        user_id: str,
        flow: str,
        node: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> TurnResult:
        return TurnResult(responses=ANSWER)


def echo_app(data_dir: Path) -> Starlette:
    from flowbot.runtime.flow import BotConfig
    from flowbot.server import create_app
    from flowbot.server.gctuning import ServingGc
    from flowbot.server.logs import configure_logging
    from flowbot.server.store import store_from_url
    from flowbot.settings import bot_serving
    from flowbot.settings import load_settings

    configure_logging("info")
    settings = load_settings(data_dir, {})
    bots = {"support": bot_serving(settings, "support", BotConfig())}
    store = store_from_url(settings.database_url, data_dir, alone=True)
    return create_app(settings, EchoConversations(), bots, store, resources=[ServingGc()])


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    with tempfile.TemporaryDirectory() as data:
        app = bare_app() if kind == "bare" else echo_app(Path(data))
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
        )
        asyncio.run(uvicorn.Server(config).serve())


if __name__ == "__main__":
    main()
