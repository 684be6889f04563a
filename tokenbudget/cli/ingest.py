"""Pricing and storing a stream of event inputs in batches: shared by `tb import` and `tb demo`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenbudget.core.events import EventInput
    from tokenbudget.core.pricing import PriceBook
    from tokenbudget.core.store import Store

BATCH_SIZE = 5000


@dataclass
class IngestCounts:
    inserted: int = 0
    duplicates: int = 0
    unpriced: int = 0


def ingest(
    inputs: Iterable[EventInput],
    *,
    store: Store,
    book: PriceBook,
    default_project: str,
    on_batch: Callable[[int], None] | None = None,
) -> IngestCounts:
    """Price every input and store it in bulk batches; `on_batch(n)` reports progress."""
    from tokenbudget.core.events import price_event

    counts = IngestCounts()
    batch = []

    def flush() -> None:
        result = store.insert_events(batch)
        counts.inserted += result.inserted
        counts.duplicates += result.duplicates
        if on_batch is not None:
            on_batch(len(batch))
        batch.clear()

    for inp in inputs:
        event = price_event(inp, book, default_project=default_project)
        counts.unpriced += event.cost_status == "unpriced"
        batch.append(event)
        if len(batch) >= BATCH_SIZE:
            flush()
    if batch:
        flush()
    return counts
