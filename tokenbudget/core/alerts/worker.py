"""A background thread for the server: detection and the outbox, every `interval_s` and shortly after ingest.

Ingest calls `poke()` (never blocks, never raises); the thread waits `debounce_s` so that a burst of batches costs
one check, then detects and dispatches. A slow or failing receiver only delays this thread, never a request.
Several server processes may each run one: detection is idempotent (UNIQUE key) and deliveries are leased.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from tokenbudget.core.alerts.detection import NewAlert, detect
from tokenbudget.core.alerts.outbox import Dispatcher, DispatchResult

if TYPE_CHECKING:
    from tokenbudget.core.store import Store

log = logging.getLogger("tokenbudget.alerts")


class AlertWorker:
    def __init__(
        self,
        store: Store,
        *,
        default_timezone: str = "UTC",
        interval_s: float = 60.0,
        debounce_s: float = 2.0,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        self.store = store
        self.default_timezone = default_timezone
        self.interval_s = interval_s
        self.debounce_s = debounce_s
        self.dispatcher = dispatcher or Dispatcher(store)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="tokenbudget-alerts", daemon=True)
            self._thread.start()

    def poke(self) -> None:
        """New events arrived: check soon."""
        self._wake.set()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_once(self) -> tuple[list[NewAlert], DispatchResult]:
        created = detect(self.store, default_timezone=self.default_timezone)
        return created, self.dispatcher.run_once()

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self._wake.wait(self.interval_s) and not self._stop.is_set():
                self._stop.wait(self.debounce_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                created, result = self.run_once()
                if created or result.sent or result.failed:
                    log.info("alerts: %d new, %d sent, %d failed", len(created), result.sent, result.failed)
            except Exception:  # the loop must outlive a database hiccup; the next round retries
                log.exception("alert check failed")
