"""Bulk event storage: idempotent inserts, streaming reads, bulk cost updates. Never one ORM object per event."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from tokenbudget.core.events import Event
from tokenbudget.core.store import rollups
from tokenbudget.core.store.filtering import event_conditions
from tokenbudget.core.store.schema import events
from tokenbudget.core.store.sql import dialect_insert
from tokenbudget.core.usage import Usage

if TYPE_CHECKING:
    from tokenbudget.core.analytics import EventFilter
    from tokenbudget.core.periods import Period

NANO = Decimal("1e-9")
T = TypeVar("T")
S = TypeVar("S")


@dataclass(frozen=True)
class InsertResult:
    inserted: int
    duplicates: int


@dataclass(frozen=True)
class CostUpdate:
    """A new price for one stored event (from `reprice`). `cost_usd` is None when the event stays unpriced."""

    event_id: str
    price_key: str | None
    cost_usd: Decimal | None
    cost_status: str
    price_version: str | None


def to_nanos(cost: Decimal | None) -> int | None:
    """Exact integer nano-USD; digits beyond the 9th decimal are rounded half-even (banker's rounding)."""
    if cost is None:
        return None
    return int(cost.quantize(NANO, rounding=ROUND_HALF_EVEN).scaleb(9))


def from_nanos(nanos: int | None) -> Decimal | None:
    if nanos is None:
        return None
    return Decimal(int(nanos)).scaleb(-9).quantize(NANO)


def _opt(text: str | None) -> str | None:
    # '' is "none" (as parse_event treats it); storing NULL keeps one spelling for reports and the rollup key.
    return text or None


# The columns an insert writes, in the order of _row_values.
ROW_COLUMNS: tuple[str, ...] = (
    "event_id",
    "occurred_at",
    "project",
    "provider",
    "model",
    "price_key",
    "input_tokens",
    "cache_read_input_tokens",
    "cache_write_input_tokens",
    "cache_write_1h_input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "service_tier",
    "cost_nanos",
    "cost_status",
    "price_version",
    "latency_ms",
    "status",
    "request_id",
    "feature",
    "user_id",
    "env",
    "tags",
    "ingested_at",
)
_TAGS_AT = ROW_COLUMNS.index("tags")


def _row_values(event: Event, ingested_at: datetime) -> list[Any]:
    """One event as the values of ROW_COLUMNS (a list: the COPY path swaps the tags for their JSON text)."""
    usage = event.usage
    return [
        event.event_id,
        event.occurred_at,
        event.project,
        _opt(event.provider),
        event.model,
        _opt(event.price_key),
        usage.input_tokens,
        usage.cache_read_input_tokens,
        usage.cache_write_input_tokens,
        usage.cache_write_1h_input_tokens,
        usage.output_tokens,
        usage.reasoning_tokens,
        usage.service_tier,
        to_nanos(event.cost_usd),
        event.cost_status,
        event.price_version,
        event.latency_ms,
        event.status,
        _opt(event.request_id),
        _opt(event.feature),
        _opt(event.user_id),
        _opt(event.env),
        dict(event.tags) or None,  # NULL rather than '{}' on millions of rows
        ingested_at,
    ]


def _retry_deadlocks(attempt_once: Callable[[], T], attempts: int = 3) -> T:
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


def _transaction(engine: sa.Engine, work: Callable[[sa.Connection], T]) -> T:
    def once() -> T:
        with engine.begin() as conn:
            return work(conn)

    return _retry_deadlocks(once)


def _staged_transaction(
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

    return _retry_deadlocks(once)


def _insert_statement(engine: sa.Engine) -> Any:
    # RETURNING the rows actually written: the one count both drivers report reliably for a batch, and the
    # ids whose sums go into the rollup.
    return (
        dialect_insert(engine, events)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(events.c.id)
    )


@functools.lru_cache(maxsize=16)
def _pg_ingest_statement(staging: str, columns: tuple[str, ...]) -> sa.Select[Any]:
    """INSERT the staged rows into events (duplicates skipped), add the written ones to the rollup, count them.

    One statement and one round trip; the rollup sums come from the INSERT's RETURNING (the rows really written),
    so they are not read back from events. Statement objects are immutable: built once per column set.
    """
    staged = sa.table(staging, *(sa.column(name) for name in columns))
    # The staging table holds the tags as JSON text (see _pg_stage).
    values = [sa.cast(c, postgresql.JSONB) if c.name == "tags" else c for c in staged.c]
    inserted = (
        postgresql.insert(events)
        .from_select(list(columns), sa.select(*values))
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(*(events.c[name] for name in rollups.SOURCE_COLUMNS))
        .cte("inserted")
    )
    return rollups.count_and_add_inserted(inserted)


# In a pooled connection's info: the staging tables its session has, with their column type OIDs.
_STAGING_KEY = "tb_staging_tables"

# What staging hands to the locked part: the statement that ingests the staged rows, and what to call after COMMIT.
_Staged = tuple[sa.Select[Any], Callable[[], None]]


def _staging_types(conn: sa.Connection, staging: str) -> list[int]:
    """Create the session's staging table for ROW_COLUMNS (tags as text) and return its column type OIDs."""
    selected = ", ".join("tags::text AS tags" if name == "tags" else name for name in ROW_COLUMNS)
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS AS SELECT {selected} FROM events WITH NO DATA"
    )
    found = conn.exec_driver_sql(
        "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %(table)s::regclass AND attnum > 0",
        {"table": staging},
    )
    oids = {name: int(oid) for name, oid in found}
    return [oids[name] for name in ROW_COLUMNS]


def _pg_stage(conn: sa.Connection, rows: list[list[Any]]) -> _Staged:
    """COPY the batch into a session temp table; returns the statement that ingests it (above) and what to
    call once the transaction has committed.

    A multi-row VALUES list has one placeholder per cell (12,000 for 500 events): psycopg re-parses such a long
    statement on every execution and dumps every cell in Python, which was most of ingest time. COPY streams the
    rows through psycopg's C dumpers, in the binary format (no text rendering of timestamps and integers, which was
    a sixth of the server's ingest time); the temp table (no indexes, emptied at commit) costs next to nothing.
    Runs inside the caller's transaction (same DBAPI connection), so a failed batch leaves nothing behind.
    """
    names = ", ".join(ROW_COLUMNS)
    # Named after its columns: a pooled session that outlives a schema change gets a new table, not a stale one.
    staging = "tb_ingest_" + hashlib.sha1(f"{names} binary".encode()).hexdigest()[:10]
    known: dict[str, list[int]] = conn.connection.info.setdefault(_STAGING_KEY, {})
    # Once per pooled session, not once per batch (two round trips and a NOTICE each).
    types = known.get(staging) or _staging_types(conn, staging)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    encoded: dict[tuple[tuple[str, str], ...], str] = {}  # a batch's events mostly share a few tag sets
    with cursor.copy(f"COPY {staging} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for values in rows:
            tags = values[_TAGS_AT]
            if tags is not None:
                key = tuple(tags.items())
                text = encoded.get(key)
                if text is None:
                    text = encoded[key] = json.dumps(tags)
                values[_TAGS_AT] = text
            copy.write_row(values)
    # No cleanup: ON COMMIT DELETE ROWS empties the table, and a rollback discards what was copied.
    # Remembered only after COMMIT: a rolled-back transaction takes the CREATE TEMP TABLE with it.
    return _pg_ingest_statement(staging, ROW_COLUMNS), lambda: known.setdefault(staging, types)


def insert_events(
    engine: sa.Engine,
    items: Iterable[Event],
    batch_size: int,
    rollup_lock: AbstractContextManager[Any] | None = None,
) -> InsertResult:
    """Store new events (duplicates of stored event_ids skipped and counted) and add them to the rollup.

    Each batch is one transaction. `rollup_lock` (the Store's) makes this process's concurrent batches take turns
    for their rollup write and commit; see _staged_transaction.
    """
    stmt = _insert_statement(engine)
    pg = engine.dialect.name == "postgresql"
    inserted = duplicates = 0
    batch: dict[str, Event] = {}

    def flush() -> None:
        nonlocal inserted, duplicates
        now = datetime.now(timezone.utc)
        rows = [_row_values(event, now) for event in batch.values()]

        def apply(conn: sa.Connection, staged: _Staged | None) -> tuple[int, Callable[[], None] | None]:
            if staged is not None:
                statement, committed = staged
                return int(conn.execute(statement).scalar_one()), committed
            ids = [
                row[0] for row in conn.execute(stmt, [dict(zip(ROW_COLUMNS, v, strict=True)) for v in rows])
            ]
            if ids:
                rollups.add(conn, events.c.id.in_(ids))
            return len(ids), None

        stage: Callable[[sa.Connection], _Staged | None] = (
            (lambda conn: _pg_stage(conn, rows)) if pg else (lambda conn: None)
        )
        written, committed = _staged_transaction(engine, stage, apply, rollup_lock or nullcontext())
        if committed is not None:
            committed()
        inserted += written
        duplicates += len(rows) - written
        batch.clear()

    for event in items:
        if event.event_id in batch:
            duplicates += 1  # same id twice in one batch: the first one wins, like a later duplicate would
            continue
        batch[event.event_id] = event
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return InsertResult(inserted=inserted, duplicates=duplicates)


def _event(row: sa.Row[Any]) -> Event:
    usage = Usage(
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cache_read_input_tokens=row.cache_read_input_tokens,
        cache_write_input_tokens=row.cache_write_input_tokens,
        cache_write_1h_input_tokens=row.cache_write_1h_input_tokens,
        reasoning_tokens=row.reasoning_tokens,
        service_tier=row.service_tier or "standard",
    )
    return Event(
        event_id=row.event_id,
        occurred_at=row.occurred_at,
        project=row.project,
        model=row.model,
        usage=usage,
        cost_status=row.cost_status,
        cost_usd=from_nanos(row.cost_nanos),
        price_key=row.price_key,
        price_version=row.price_version,
        provider=row.provider,
        feature=row.feature,
        user_id=row.user_id,
        env=row.env,
        tags=dict(row.tags or {}),
        latency_ms=row.latency_ms,
        status=row.status,
        request_id=row.request_id,
    )


def iter_events(
    engine: sa.Engine,
    period: Period | None,
    filters: EventFilter | None,
    *,
    only_unpriced: bool,
    batch_size: int,
) -> Iterator[Event]:
    """Stream events in id order, one short query per page (keyset pagination).

    Pages rather than one open cursor: callers such as `reprice` write between pages, and on SQLite a long-lived
    read transaction would pin the WAL; on PostgreSQL it would hold a snapshot for the whole export.
    """
    conditions = event_conditions(period, filters)
    if only_unpriced:
        conditions.append(events.c.cost_status == "unpriced")
    last_id = 0
    while True:
        query = (
            sa.select(events)
            .where(*conditions, events.c.id > last_id)
            .order_by(events.c.id)
            .limit(batch_size)
        )
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        for row in rows:
            yield _event(row)
        if len(rows) < batch_size:
            return
        last_id = rows[-1].id


def stream_rows(
    engine: sa.Engine,
    period: Period | None,
    filters: EventFilter | None,
    *,
    columns: Sequence[str],
    batch_size: int,
) -> Iterator[tuple[Any, ...]]:
    """Plain tuples of `columns` for every matching event, in (occurred_at, id) order, in constant memory.

    PostgreSQL: one server-side cursor (a named cursor fetching `batch_size` rows at a time), so the export is one
    consistent snapshot. SQLite: keyset pages on (occurred_at, id), one short read each (ix_events_occurred_at
    carries the rowid), so a long export never pins the WAL.
    """
    selected = [events.c[name] for name in columns]
    conditions = event_conditions(period, filters)
    order = (events.c.occurred_at, events.c.id)
    if engine.dialect.name != "sqlite":
        query = sa.select(*selected).where(*conditions).order_by(*order)
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=batch_size).execute(query)
            for row in result:
                yield tuple(row)
        return
    width = len(selected)
    extra = [column for column in order if column.name not in columns]
    at = [columns.index(c.name) if c.name in columns else width + extra.index(c) for c in order]
    after: tuple[Any, ...] | None = None
    while True:
        query = sa.select(*selected, *extra).where(*conditions)
        if after is not None:
            # The page's own lower bound replaces the period's: SQLite seeks the index to the FIRST lower bound
            # on occurred_at it sees and does not seek on a row value, so with two bounds every page would
            # rescan the period from its start (quadratic).
            query = sa.select(*selected, *extra).where(
                *event_conditions(None, filters),
                events.c.occurred_at >= after[0],
                sa.tuple_(*order) > sa.tuple_(*after),
                *([events.c.occurred_at < period.end] if period is not None else []),
            )
        with engine.connect() as conn:
            rows = conn.execute(query.order_by(*order).limit(batch_size)).all()
        for row in rows:
            yield tuple(row[:width]) if extra else tuple(row)
        if len(rows) < batch_size:
            return
        after = tuple(rows[-1][i] for i in at)


def update_costs(engine: sa.Engine, updates: Iterable[CostUpdate], batch_size: int = 5000) -> int:
    stmt = (
        sa.update(events)
        .where(events.c.event_id == sa.bindparam("b_event_id"))
        .values(
            price_key=sa.bindparam("b_price_key"),
            cost_nanos=sa.bindparam("b_cost_nanos"),
            cost_status=sa.bindparam("b_cost_status"),
            price_version=sa.bindparam("b_price_version"),
        )
    )
    total = 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal total
        touched = events.c.event_id.in_([item["b_event_id"] for item in batch])

        def work(conn: sa.Connection) -> int:
            # The cost and price key are rollup keys/sums: take the rows out, change them, put them back.
            rollups.add(conn, touched, -1)
            # executemany: both sqlite3 and psycopg 3 report the summed rowcount.
            changed = conn.execute(stmt, batch).rowcount
            rollups.add(conn, touched, +1)
            rollups.prune(conn)
            return changed

        total += _transaction(engine, work)
        batch.clear()

    for update in updates:
        batch.append(
            {
                "b_event_id": update.event_id,
                "b_price_key": update.price_key,
                "b_cost_nanos": to_nanos(update.cost_usd),
                "b_cost_status": update.cost_status,
                "b_price_version": update.price_version,
            }
        )
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return total


def delete_events(engine: sa.Engine, event_id_prefix: str) -> int:
    if not event_id_prefix:
        raise ValueError("event_id_prefix must not be empty (it would delete every event)")
    # autoescape: 'demo_' must not treat '_' as a LIKE wildcard.
    matching = events.c.event_id.startswith(event_id_prefix, autoescape=True)

    def work(conn: sa.Connection) -> int:
        rollups.add(conn, matching, -1)
        deleted = conn.execute(sa.delete(events).where(matching)).rowcount
        rollups.prune(conn)
        return deleted

    return _transaction(engine, work)


def count_events(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one())
