"""Rate limits: per client address (``httpServer.rateLimit``) and per user id of a bot
(``converse.rateLimit``), answered with 429 and ``Retry-After``.

:class:`RateLimiter` is the seam: the in-process token bucket below serves one process; a shared
implementation (Redis) can replace it for several workers or hosts without touching the routes.
"""

from __future__ import annotations

from typing import NamedTuple
from typing import Protocol

from flowbot.server.clock import Clock


class RateDecision(NamedTuple):
    allowed: bool
    retry_after: float  # seconds until one request would be allowed; 0 when allowed


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window: float) -> RateDecision:
        """Count one request for ``key``, allowing ``limit`` per ``window`` seconds."""


class _Bucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, tokens: float, updated: float) -> None:
        self.tokens = tokens
        self.updated = updated


class TokenBucketLimiter:
    """A bucket of ``limit`` tokens per key, refilled at ``limit / window`` per second: bursts up
    to ``limit`` pass, and the sustained rate is ``limit`` per ``window``. Full buckets are dropped
    when the table grows, so idle keys cost no memory."""

    def __init__(self, clock: Clock, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._max_keys = max_keys

    async def hit(self, key: str, limit: int, window: float) -> RateDecision:
        now = self._clock.monotonic()
        rate = limit / window
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._evict(now, rate, limit)
            bucket = self._buckets[key] = _Bucket(float(limit), now)
        else:
            bucket.tokens = min(float(limit), bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return RateDecision(True, 0.0)
        return RateDecision(False, (1.0 - bucket.tokens) / rate)

    def _evict(self, now: float, rate: float, limit: int) -> None:
        full = [key for key, b in self._buckets.items() if b.tokens + (now - b.updated) * rate >= limit]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self._max_keys:
            # Under a flood of distinct keys, forget the oldest half rather than grow without bound.
            oldest = sorted(self._buckets, key=lambda k: self._buckets[k].updated)[: len(self._buckets) // 2]
            for key in oldest:
                del self._buckets[key]
