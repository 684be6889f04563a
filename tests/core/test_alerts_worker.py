"""The background worker (for the server): a poke after ingest leads to detection and delivery, off the caller's
thread; stop() ends it. Both engines, real local receiver."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from decimal import Decimal

from tests.core.test_alerts_delivery import Receiver
from tokenbudget.core.alerts.channels import Channel
from tokenbudget.core.alerts.worker import AlertWorker
from tokenbudget.core.budgets import Budget
from tokenbudget.core.store import alerts_repo


def test_poke_detects_and_delivers_in_the_background(store, event_factory) -> None:
    receiver = Receiver().start()
    try:
        now = datetime.now(timezone.utc)
        store.save_budget(Budget("w", "global", None, "daily", Decimal(1), thresholds=(100,)))
        alerts_repo.add_channel(store.engine, Channel("r", "webhook", receiver.url), now)
        worker = AlertWorker(store, interval_s=3600, debounce_s=0.05)
        worker.start()
        store.insert_events([event_factory(cost=Decimal(2), occurred_at=now)])
        started = time.monotonic()
        worker.poke()  # returns at once
        assert time.monotonic() - started < 0.1
        deadline = time.monotonic() + 15
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        worker.stop()
        assert len(receiver.requests) == 1
        assert alerts_repo.delivery_counts(store.engine) == {"sent": 1}
    finally:
        receiver.stop()
