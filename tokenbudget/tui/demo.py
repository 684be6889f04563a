"""`tb tui --demo`: a throwaway store full of demo calls, two budgets, and a trickle of new calls to watch."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenbudget.core.pricing import PriceBook
    from tokenbudget.core.store import Store


def fill_demo_store(
    store: Store, *, days: int = 30, seed: int = 0, now: datetime, with_budgets: bool = True
) -> int:
    """Store `days` of deterministic demo calls before `now`'s date (and two budgets); returns calls stored."""
    from tokenbudget.core.budgets import Budget
    from tokenbudget.core.demo import generate_demo_events
    from tokenbudget.core.events import price_event
    from tokenbudget.core.pricing import load_bundled_book

    book = load_bundled_book()
    events = (price_event(inp, book) for inp in generate_demo_events(days=days, seed=seed, now=now))
    inserted = store.insert_events(events).inserted
    if with_budgets:
        store.save_budget(Budget("monthly-total", "global", None, "monthly", Decimal("2500")))
        store.save_budget(Budget("support-daily", "project", "support-bot", "daily", Decimal("40")))
        store.save_budget(Budget("checkout-weekly", "project", "checkout", "weekly", Decimal("60")))
    return inserted


class DemoFeeder:
    """Adds a few demo calls stamped 'now' every `interval_s`, so the live tail and today's numbers move."""

    def __init__(
        self, store: Store, *, seed: int = 0, interval_s: float = 1.5, book: PriceBook | None = None
    ):
        from tokenbudget.core.demo import generate_demo_events
        from tokenbudget.core.pricing import load_bundled_book

        self._store = store
        self._book = book or load_bundled_book()
        self._interval = interval_s
        self._stop = threading.Event()
        # An endless supply of realistic calls (model/feature/user mix); only their time and id are replaced.
        tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
        self._calls = itertools.cycle(list(generate_demo_events(days=1, seed=seed + 1, now=tomorrow)))
        self._thread = threading.Thread(target=self._run, name="tb-demo-feeder", daemon=True)
        self._n = itertools.count()

    def start(self) -> DemoFeeder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def add_calls(self, count: int) -> None:
        from tokenbudget.core.events import price_event

        now = datetime.now(timezone.utc)
        batch = [
            price_event(
                replace(
                    next(self._calls),
                    occurred_at=now,
                    event_id=f"demo_live_{now:%Y%m%d%H%M%S%f}_{next(self._n)}",
                ),
                self._book,
            )
            for _ in range(count)
        ]
        self._store.insert_events(batch)

    def _run(self) -> None:
        import random

        rng = random.Random()
        while not self._stop.wait(self._interval):
            try:
                self.add_calls(rng.randint(1, 4))
            except Exception:  # a demo must never take the dashboard down; try again next time
                continue
