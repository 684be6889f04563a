"""Transactions of the store's write paths: retried when PostgreSQL picks them as a deadlock victim, and the
staged form that event ingest uses (see staged_transaction)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import sqlalchemy as sa

T = TypeVar("T")
S = TypeVar("S")


def retry_deadlocks(attempt_once: Callable[[], T], attempts: int = 3) -> T:
    """Run one transaction (`attempt_once`), again if PostgreSQL picked it as a deadlock victim.

    Ingest and reprice running at once both update rollup rows and can deadlock; each batch is one transaction
    whose effects are idempotent on retry (inserts dedupe on event_id, cost updates set absolute values).
    """
    for attempt in range(attempts):
        try:
            return attempt_once()
        except sa.exc.OperationalError as exc:
            retryable = getattr(exc.orig, "sqlstate", None) in ("40P01", "40001")
            if not retryable or attempt + 1 == attempts:
                raise
    raise AssertionError("unreachable")


def transaction(engine: sa.Engine, work: Callable[[sa.Connection], T]) -> T:
    def once() -> T:
        with engine.begin() as conn:
            return work(conn)

    return retry_deadlocks(once)


def staged_transaction(
    engine: sa.Engine,
    stage: Callable[[sa.Connection], S],
    apply: Callable[[sa.Connection, S], T],
    rollup_lock: AbstractContextManager[Any],
) -> T:
    """One transaction: `stage` runs freely, then `apply` and the COMMIT run holding `rollup_lock`.

    Concurrent batches upsert the same rollup rows, and in PostgreSQL the second one waits on the first one's
    row locks until it commits: with 8 batches in flight most of their time went to that wait (pg_stat_activity:
    Lock:transactionid). Taking turns in the process for just the rollup write and the commit, while the next
    batches are parsed and staged, avoids the lock queue; other processes still meet at PostgreSQL's row locks.
    """

    def once() -> T:
        with engine.connect() as conn, conn.begin() as transaction:
            staged = stage(conn)
            with rollup_lock:
                result = apply(conn, staged)
                transaction.commit()
            return result

    return retry_deadlocks(once)
