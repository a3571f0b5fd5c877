"""Building the served app in a worker process (uvicorn calls :func:`app_from_environment` in
every worker). ``bot serve`` prepares the bots once, then hands this factory the data folder and
the bot folders through ``FLOWBOT_SERVE_SPEC`` (workers are separate processes)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from starlette.applications import Starlette

from flowbot.runtime.bot import BotDefinition
from flowbot.runtime.conversation import IncomingMessage
from flowbot.runtime.conversation import TurnResult
from flowbot.server.app import create_app
from flowbot.server.bots import load
from flowbot.server.cluster import RedisCoordination
from flowbot.server.errors import ServiceUnavailableError
from flowbot.server.gctuning import ServingGc
from flowbot.server.logs import configure_logging
from flowbot.server.store import store_from_url
from flowbot.settings import Settings
from flowbot.settings import bot_serving
from flowbot.settings import load_settings

SPEC_VARIABLE = "FLOWBOT_SERVE_SPEC"

logger = logging.getLogger("flowbot.server")


class ServeSpec(BaseModel):
    data_dir: Path
    bots: dict[str, Path]
    log_level: str = "info"
    # bot serve --reload: the folder to watch for each bot id (the sources of a source bot)
    reload: dict[str, Path] | None = None
    # How many processes serve the data folder: more than one makes a SQLite store lock users
    # across processes (PostgreSQL always does).
    workers: int = 1
    # --store and --redis, over database.url and redis.url of the settings.
    store: str | None = None
    redis: str | None = None


class UnavailableConversations:
    """Stands in when the conversation runtime cannot be built: the server still starts (health,
    login, user and key management work), ``/readyz`` says why it is not ready, and every turn is a
    503 rather than a crash."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def converse(
        self, bot_id: str, user_id: str, message: IncomingMessage, *, responses_only: bool = False
    ) -> TurnResult:
        raise ServiceUnavailableError(self.reason)

    async def trigger(
        self,
        bot_id: str,
        user_id: str,
        flow: str,
        node: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> TurnResult:
        raise ServiceUnavailableError(self.reason)


def build_conversations(bots: dict[str, BotDefinition], settings: Settings, *, shared: bool = False) -> Any:
    """The runtime's conversation service for ``bots`` (imported here: the server knows nothing of
    flows). Its constructor is the runtime's; this is the one place that calls it. Each bot gets
    its NLU model (trained at build time, or trained once and cached in the data folder for
    Botpress bots) and the shared, pooled Call API client. ``shared``: other processes use the
    same store (``bot serve --workers N``)."""
    try:
        from flowbot.runtime.callapi.client import HttpApiClient
        from flowbot.runtime.nlu import load_or_train
        from flowbot.runtime.service import ConversationService
    except ImportError as exc:
        logger.error("the conversation runtime is not available: %s", exc)
        return UnavailableConversations("the conversation runtime (flowbot.runtime.service) is not installed")
    cache = settings.data_dir / "nlu-cache"
    return ConversationService.from_definitions(
        bots,
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        shared_store=shared,
        nlu_for=lambda definition: load_or_train(definition, cache),
        api_client=HttpApiClient(),
    )


def with_overrides(settings: Settings, store: str | None, redis: str | None) -> Settings:
    """The settings with ``bot serve --store/--redis`` laid over ``database.url``/``redis.url``."""
    update: dict[str, Any] = {}
    if store:
        update["database"] = settings.database.model_copy(update={"url": store})
    if redis:
        update["redis"] = settings.redis.model_copy(update={"url": redis})
    return settings.model_copy(update=update) if update else settings


def app_from_spec(spec: ServeSpec, environ: dict[str, str] | None = None) -> Starlette:
    settings = load_settings(spec.data_dir, os.environ if environ is None else environ)
    settings = with_overrides(settings, spec.store, spec.redis)
    definitions = {bot_id: load(folder, bot_id) for bot_id, folder in spec.bots.items()}
    serving = {bot_id: bot_serving(settings, bot_id, bot.config) for bot_id, bot in definitions.items()}
    conversations = build_conversations(definitions, settings, shared=spec.workers > 1)
    unavailable = conversations.reason if isinstance(conversations, UnavailableConversations) else None
    # One worker on SQLite: its state store holds the file alone (a second server fails to open
    # it), so no other process writes the outbox either. Without a runtime, nothing holds the file.
    alone = spec.workers == 1 and unavailable is None
    store = store_from_url(settings.database_url, settings.data_dir, alone=alone)
    redis = RedisCoordination(settings.redis.url) if settings.redis.url else None
    resources: list[Any] = [redis, conversations] if redis else [conversations]
    if spec.reload is not None and unavailable is None:
        resources.append(reloader_for(spec, settings, conversations))
    resources.append(ServingGc())
    app = create_app(
        settings,
        conversations,
        serving,
        store,
        not_ready=unavailable,
        limiter=redis.limiter if redis else None,
        notifier=redis.notifier if redis else None,
        resources=resources,
    )
    if hasattr(conversations, "on_proactive"):
        # what the janitor's timeout flows say reaches the user's stream, or the outbox
        hub = app.state.ctx.hub

        async def deliver(bot_id: str, user_id: str, result: TurnResult) -> None:
            await hub.deliver(bot_id, user_id, result.responses)

        conversations.on_proactive = deliver
    return app


def reloader_for(spec: ServeSpec, settings: Settings, conversations: Any) -> Any:
    """The watcher of ``bot serve --reload``: a bot whose watched folder is not the folder it runs
    from is a source bot, rebuilt into that folder on every change."""
    from flowbot.server.reload import BotReloader
    from flowbot.server.reload import WatchedBot

    watched = [
        WatchedBot(bot_id=bot_id, source=source, compiled=None if source.resolve() == spec.bots[bot_id].resolve() else spec.bots[bot_id])
        for bot_id, source in (spec.reload or {}).items()
    ]
    return BotReloader(watched, conversations, nlu_cache=settings.data_dir / "nlu-cache", ignore=[settings.data_dir])


def app_from_environment() -> Starlette:
    """uvicorn's factory in each worker."""
    spec = ServeSpec.model_validate(json.loads(os.environ[SPEC_VARIABLE]))
    configure_logging(spec.log_level)
    return app_from_spec(spec)
