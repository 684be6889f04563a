"""Tuning for a process that serves only this app (`tb serve`, each `--workers` process), never for an app
built inside another program (the tests' in-process servers).

Python's cyclic garbage collector walks every tracked object of the heap on a full collection. A server heap is
~150,000 long-lived objects (FastAPI, pydantic, SQLAlchemy, the price book) and an ingest batch allocates
thousands of short-lived ones, so collections ran often and each walked the whole heap: 0.55 s of 3 s of server
CPU in `benchmarks/bench_ingest.py`. Freezing what startup built moves it out of the collector's sight, and a
larger first-generation threshold collects young objects per few batches rather than many times per batch.
Memory is still freed by reference counting; only cycles wait a little longer.
"""

from __future__ import annotations

import gc

from fastapi import FastAPI

# Allocations between young-generation collections (CPython's default is 700); older generations as default.
YOUNG_THRESHOLD = 20_000


def prepare_serving_process(app: FastAPI) -> None:
    """Build what every request needs (the price book), then freeze the startup heap and raise the GC threshold."""
    app.state.tb.books.get()
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
