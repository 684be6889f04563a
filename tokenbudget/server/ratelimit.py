"""Rate limits (per API key; per client address on the public endpoints): fixed one-minute windows, in-process or shared through Redis.

Fixed windows rather than a token bucket: one INCR per request in Redis, and the same arithmetic in both
implementations, so several `tb serve` processes sharing one Redis enforce exactly one limit per key.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Protocol

from tokenbudget.server.redis_guard import RedisGuard, RedisUnavailable

WINDOW_S = 60


class RateLimiter(Protocol):
    def hit(self, subject: str) -> float | None:
        """Count one request; None when allowed, else the seconds until the window resets (Retry-After)."""


def _retry_after(now: float) -> float:
    return max(1.0, math.ceil((math.floor(now / WINDOW_S) + 1) * WINDOW_S - now))


class Unlimited:
    def hit(self, subject: str) -> float | None:
        return None


class MemoryRateLimiter:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}  # subject -> (window index, requests in it)

    def hit(self, subject: str) -> float | None:
        now = time.time()
        window = int(now // WINDOW_S)
        with self._lock:
            seen_window, count = self._counts.get(subject, (window, 0))
            count = count + 1 if seen_window == window else 1
            self._counts[subject] = (window, count)
            if len(self._counts) > 100_000:  # old windows of keys that went quiet
                self._counts = {s: v for s, v in self._counts.items() if v[0] == window}
        return None if count <= self.limit else _retry_after(now)


class RedisRateLimiter:
    """One limit shared by every process through Redis; per process (in memory) while Redis is unreachable."""

    def __init__(self, redis: RedisGuard, prefix: str, limit: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.limit = limit
        self.fallback = MemoryRateLimiter(limit)

    def hit(self, subject: str) -> float | None:
        now = time.time()
        key = f"{self.prefix}rl:{subject}:{int(now // WINDOW_S)}"

        def count(client: Any) -> int:
            pipe = client.pipeline()
            pipe.incr(key)
            pipe.expire(key, WINDOW_S + 5)
            return int(pipe.execute()[0])

        try:
            requests = self.redis.call(count)
        except RedisUnavailable:
            return self.fallback.hit(subject)
        return None if requests <= self.limit else _retry_after(now)


def make_rate_limiter(limit: int, redis_prefix: str, redis: RedisGuard | None) -> RateLimiter:
    """`limit` requests per minute per subject (0: unlimited), shared through Redis when there is one."""
    if limit <= 0:
        return Unlimited()
    if redis is not None:
        return RedisRateLimiter(redis, redis_prefix, limit)
    return MemoryRateLimiter(limit)
