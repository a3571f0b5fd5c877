"""Coordination of several ``bot serve`` processes through Redis (``--redis redis://...``).

* :class:`RedisRateLimiter`: the token buckets of :mod:`flowbot.server.ratelimit`, kept in Redis
  and updated by one Lua script per hit, so that every process counts against the same bucket
  (the clock is Redis's, so that processes on several hosts agree).
* :class:`RedisNotifier`: when a process stores a proactive message in the outbox because it has
  no stream open for the user, it publishes the user on a channel; the process that has the
  user's stream takes the outbox at once instead of at its next poll. The outbox stays the
  durable path: a notification that nobody hears loses nothing.

If Redis does not answer, requests are let through (a rate limit must not take the service down
with it) and streams fall back to polling; both are logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from flowbot.runtime.store.urls import parse_redis_url
from flowbot.server.ratelimit import RateDecision

logger = logging.getLogger("flowbot.server.cluster")

RECONNECT_DELAY = 1.0
WARN_EVERY = 30.0

# A token bucket per key: ``limit`` tokens, refilled at limit/window per second, in Redis's time.
# The retry delay is returned as a string: Redis truncates Lua numbers to integers.
_TOKEN_BUCKET = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local rate = limit / window
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local updated = tonumber(state[2])
if tokens == nil or updated == nil then
  tokens = limit
  updated = now
end
tokens = math.min(limit, tokens + math.max(0, now - updated) * rate)
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
return {allowed, tostring(retry)}
"""


def redis_client(url: str) -> tuple[Any, str]:
    """A redis-py asyncio client for ``url`` (it connects on first use) and the key prefix."""
    import redis.asyncio as redis

    plain, prefix = parse_redis_url(url)
    return redis.Redis.from_url(plain, health_check_interval=30, socket_connect_timeout=5), prefix


class _Throttled:
    """Logs one warning per ``WARN_EVERY`` seconds, not one per request."""

    def __init__(self) -> None:
        self._last = -WARN_EVERY

    def warn(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._last >= WARN_EVERY:
            self._last = now
            logger.warning(message, *args)


class RedisRateLimiter:
    def __init__(self, client: Any, prefix: str) -> None:
        self._script = client.register_script(_TOKEN_BUCKET)
        self._prefix = prefix
        self._warning = _Throttled()

    async def hit(self, key: str, limit: int, window: float) -> RateDecision:
        try:
            allowed, retry = await self._script(keys=[f"{self._prefix}:rate:{key}"], args=[limit, window])
        except Exception as exc:
            self._warning.warn("rate limits are not enforced: Redis does not answer (%s)", exc)
            return RateDecision(True, 0.0)
        return RateDecision(bool(int(allowed)), float(retry))


Listener = Callable[[str, str], None]


class RedisNotifier:
    """Publishes "the outbox of (bot, user) has messages"; calls the listener for each received."""

    def __init__(self, client: Any, prefix: str) -> None:
        self._client = client
        self.channel = f"{prefix}:outbox"
        self._listeners: list[Listener] = []
        self._task: asyncio.Task[None] | None = None
        self._warning = _Throttled()
        self.subscribed = asyncio.Event()

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def publish(self, bot_id: str, user_id: str) -> None:
        try:
            await self._client.publish(self.channel, json.dumps([bot_id, user_id]))
        except Exception as exc:  # the message is in the outbox: the stream's poll finds it
            self._warning.warn("could not notify other processes through Redis (%s)", exc)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="flowbot-redis-notifier")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.subscribed.clear()
                self._warning.warn("Redis notifications interrupted, retrying (%s)", exc)
                await asyncio.sleep(RECONNECT_DELAY)

    async def _listen_once(self) -> None:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            self.subscribed.set()
            async for message in pubsub.listen():
                self._dispatch(message.get("data"))
        finally:
            await pubsub.aclose()

    def _dispatch(self, data: Any) -> None:
        try:
            bot_id, user_id = json.loads(data)
        except (TypeError, ValueError):
            logger.warning("ignoring a malformed notification on %s", self.channel)
            return
        for listener in self._listeners:
            listener(str(bot_id), str(user_id))


class RedisCoordination:
    """The Redis side of a deployment: one client, its rate limiter and its notifier; started
    and closed with the app (a ``resources`` entry of :func:`flowbot.server.app.create_app`)."""

    def __init__(self, url: str) -> None:
        self.client, self.prefix = redis_client(url)
        self.limiter = RedisRateLimiter(self.client, self.prefix)
        self.notifier = RedisNotifier(self.client, self.prefix)

    async def start(self) -> None:
        try:
            await self.client.ping()
        except Exception as exc:
            logger.warning("Redis does not answer yet (%s): rate limits are open until it does", exc)
        await self.notifier.start()

    async def close(self) -> None:
        await self.notifier.close()
        await self.client.aclose()
