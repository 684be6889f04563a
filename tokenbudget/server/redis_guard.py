"""Calls to the optional Redis that degrade instead of failing requests.

Redis only carries the shared rate-limit counters and the analytics cache. When it stops answering, refusing
every ingest with a 500 would lose calls for the sake of a limit, so the server keeps going: rate limits are
counted per process (the in-memory limiter) and analytics are not cached, with one warning when Redis goes away
and one when it comes back. After a failure Redis is not asked again for PAUSE_S seconds, so a dead Redis costs
one connection attempt per pause, not one per request. `/readyz` reports its state.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
PAUSE_S = 5.0
log = logging.getLogger("tokenbudget.server")


class RedisUnavailable(Exception):
    """Redis did not answer (or is in its pause after a failure): use the per-process fallback."""


class RedisGuard:
    def __init__(
        self, client: Any, errors: tuple[type[BaseException], ...], *, pause_s: float | None = None
    ) -> None:
        self.client = client
        self._errors = errors
        self._pause_s = PAUSE_S if pause_s is None else pause_s
        self._lock = threading.Lock()
        self._retry_at = 0.0  # monotonic time before which Redis is not asked
        self._down = False

    @property
    def state(self) -> str:
        return "unreachable" if self._down else "ok"

    def call(self, work: Callable[[Any], T]) -> T:
        """`work(client)`, or RedisUnavailable when Redis fails now or failed less than pause_s ago."""
        if self._down and time.monotonic() < self._retry_at:
            raise RedisUnavailable
        try:
            result = work(self.client)
        except self._errors as exc:
            with self._lock:
                self._retry_at = time.monotonic() + self._pause_s
                if not self._down:
                    self._down = True
                    log.warning(
                        "Redis unreachable (%s): rate limits are counted per process and analytics are not "
                        "cached until it answers again",
                        exc,
                    )
            raise RedisUnavailable from exc
        if self._down:
            with self._lock:
                if self._down:
                    self._down = False
                    log.warning("Redis answers again: shared rate limits and analytics cache are back")
        return result
