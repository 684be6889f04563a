"""API-key authentication with a short-lived in-process cache of verified keys.

A cache miss costs one indexed lookup and one bcrypt check (core/keys.py); a hit costs a dict lookup, so a busy
client does not pay bcrypt per request and the cost does not grow with the number of stored keys. The cache is
keyed by a SHA-256 of the full key (never the key itself). Revocation: the revoking process drops the key at once;
every other process keeps accepting it for at most `key_cache_ttl_s` seconds (default 30).
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import TYPE_CHECKING

from tokenbudget.core import keys

if TYPE_CHECKING:
    from tokenbudget.core.keys import KeyIdentity
    from tokenbudget.core.store import Store

MAX_ENTRIES = 10_000  # a bound, not a tuning knob: beyond it the cache starts over


class Authenticator:
    def __init__(self, store: Store, ttl_s: float) -> None:
        self._store = store
        self._ttl = ttl_s
        self._lock = threading.Lock()
        self._cache: dict[bytes, tuple[float, KeyIdentity]] = {}

    def identify(self, key: str) -> KeyIdentity | None:
        digest = hashlib.sha256(key.encode()).digest()
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        identity = keys.authenticate(self._store, key)
        with self._lock:
            if identity is None:
                self._cache.pop(digest, None)
            elif self._ttl > 0:
                if len(self._cache) >= MAX_ENTRIES:
                    self._cache.clear()
                self._cache[digest] = (now + self._ttl, identity)
        return identity

    def refresh(self, key: str, identity: KeyIdentity) -> KeyIdentity | None:
        """Re-read a key's project scope now (a project it names may have been created a moment ago)."""
        fresh = keys.refresh_scope(self._store, identity)
        digest = hashlib.sha256(key.encode()).digest()
        with self._lock:
            if fresh is None:
                self._cache.pop(digest, None)
            elif digest in self._cache:
                self._cache[digest] = (self._cache[digest][0], fresh)
        return fresh

    def forget_key(self, key_id: int) -> None:
        """Drop a revoked key from this process's cache: it stops working here at once."""
        with self._lock:
            for digest in [d for d, (_, ident) in self._cache.items() if ident.key_id == key_id]:
                del self._cache[digest]

    def clear(self) -> None:
        """Forget every verified key (after a project change: scopes must be read again)."""
        with self._lock:
            self._cache.clear()
