"""Local mode: price events with the bundled price book plus the store's custom prices and write them to the store.

Runs on the worker thread only; the store is opened there on first use, never at import or on the caller's thread.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from tokenbudget.sdk.log import warn_once
from tokenbudget.sdk.spool import Spool
from tokenbudget.sdk.wire import to_wire

if TYPE_CHECKING:
    from tokenbudget.core.pricing import PriceBook
    from tokenbudget.core.settings import Settings
    from tokenbudget.core.store import Store

# Custom prices may change while an app runs (`tb pricing set`): reload them now and then.
BOOK_TTL_S = 60.0


class LocalSink:
    def __init__(self, settings: Settings, spool: Spool) -> None:
        self.settings = settings
        self.spool = spool
        self._store: Store | None = None
        self._book: PriceBook | None = None
        self._book_loaded_at = 0.0
        self.inserted = 0
        self.duplicates = 0

    def _open(self) -> tuple[Store, PriceBook]:
        if self._store is None:
            from tokenbudget.core.store import open_store

            self._store = open_store(self.settings)
        if self._book is None or time.monotonic() - self._book_loaded_at > BOOK_TTL_S:
            from tokenbudget.core.pricing.active import active_book

            self._book = active_book(self._store)
            self._book_loaded_at = time.monotonic()
        return self._store, self._book

    def export(self, batch: list[dict[str, Any]], *, deadline: float) -> None:
        wire = [to_wire(item) for item in batch]
        if not self._write(wire):
            self.spool.put(wire)

    def _write(self, wire: list[dict[str, Any]]) -> bool:
        from tokenbudget.core.errors import TokenBudgetError
        from tokenbudget.core.events import parse_event, price_event

        try:
            store, book = self._open()
        except Exception as exc:
            warn_once("store-open", "tokenbudget: cannot open the store (%s); events kept in the spool", exc)
            self._store = None
            return False
        events = []
        for data in wire:
            try:
                events.append(
                    price_event(parse_event(data), book, default_project=self.settings.default_project)
                )
            except TokenBudgetError as exc:
                warn_once("invalid-event", "tokenbudget: dropping an invalid event (%s)", exc)
        try:
            result = store.insert_events(events)
        except Exception as exc:
            warn_once("store-write", "tokenbudget: writing events to the store failed (%s); spooled", exc)
            return False
        self.inserted += result.inserted
        self.duplicates += result.duplicates
        return True

    def idle(self, *, deadline: float) -> None:
        if self._store is None or time.monotonic() > deadline:
            return
        for claimed, events in self.spool.claim():
            if self._write(events):
                self.spool.done(claimed)
            else:
                self.spool.release(claimed)
                return

    def after_fork(self) -> None:
        # The parent's pooled connections must not be used here; open our own on first use.
        if self._store is not None:
            self._store.engine.dispose(close=False)
        self._store = None

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
