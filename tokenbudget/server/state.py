"""What every request shares: settings, store, the price book, the key cache, the rate limiter, Redis."""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tokenbudget.core.alerts.worker import AlertWorker
from tokenbudget.server.auth import Authenticator
from tokenbudget.server.ratelimit import RateLimiter, make_rate_limiter
from tokenbudget.server.redis_guard import RedisGuard, RedisUnavailable

if TYPE_CHECKING:
    from tokenbudget.core.pricing import PriceBook
    from tokenbudget.core.settings import Settings
    from tokenbudget.core.store import Store

# Custom prices set with `tb pricing set` (another process) reach the server within this many seconds.
BOOK_REFRESH_S = 60.0


class BookSource:
    """The active price book (latest synced table or the bundled one, custom prices on top), re-read every BOOK_REFRESH_S."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._book: PriceBook | None = None
        self._loaded_at = 0.0

    def get(self) -> PriceBook:
        now = time.monotonic()
        book = self._book
        if book is not None and now - self._loaded_at < BOOK_REFRESH_S:
            return book
        with self._lock:
            if self._book is None or now - self._loaded_at >= BOOK_REFRESH_S:
                from tokenbudget.core.pricing.active import active_book

                self._book = active_book(self._store)
                self._loaded_at = now
            return self._book

    def invalidate(self) -> None:
        """Re-read the book on the next call (after a sync or a custom price change on this process)."""
        with self._lock:
            self._book = None


class AnalyticsCache:
    """Short-TTL cache of analytics answers in Redis (shared by every server process); a no-op without Redis
    and while Redis is unreachable."""

    def __init__(self, redis: RedisGuard | None, prefix: str, ttl_s: float) -> None:
        self.redis = redis if ttl_s > 0 else None
        self.prefix = prefix
        self.ttl_ms = int(ttl_s * 1000)

    def key(self, *parts: Any) -> str:
        digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]
        return f"{self.prefix}an:{digest}"

    def get(self, key: str) -> Any | None:
        if self.redis is None:
            return None
        try:
            raw = self.redis.call(lambda client: client.get(key))
        except RedisUnavailable:
            return None
        return None if raw is None else json.loads(raw)

    def put(self, key: str, value: Any) -> None:
        if self.redis is None:
            return
        with contextlib.suppress(RedisUnavailable):  # an answer not cached is only recomputed
            self.redis.call(lambda client: client.set(key, json.dumps(value), px=self.ttl_ms))


@dataclass
class ServerState:
    settings: Settings
    store: Store
    authenticator: Authenticator
    limiter: RateLimiter  # per API key
    public_limiter: RateLimiter  # per client IP, for the endpoints that take no key
    cache: AnalyticsCache
    books: BookSource
    alerts: AlertWorker
    redis: RedisGuard | None = None
    owns_store: bool = field(default=True)

    @classmethod
    def create(cls, settings: Settings, store: Store | None = None) -> ServerState:
        owns = store is None
        if store is None:
            from tokenbudget.core.store import open_store

            store = open_store(settings)
        client = guard = None
        if settings.redis_url:
            import redis

            client = redis.Redis.from_url(
                settings.redis_url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30
            )
            guard = RedisGuard(client, (redis.RedisError, OSError))
        return cls(
            settings=settings,
            store=store,
            authenticator=Authenticator(store, settings.key_cache_ttl_s),
            limiter=make_rate_limiter(settings.rate_limit_per_minute, settings.redis_prefix, guard),
            public_limiter=make_rate_limiter(
                settings.public_rate_limit_per_minute, settings.redis_prefix, guard
            ),
            cache=AnalyticsCache(guard, settings.redis_prefix, settings.analytics_cache_ttl_s),
            books=BookSource(store),
            alerts=AlertWorker(store, default_timezone=settings.timezone),
            redis=guard,
            owns_store=owns,
        )

    def close(self) -> None:
        if self.redis is not None:
            self.redis.client.close()
        if self.owns_store:
            self.store.close()
