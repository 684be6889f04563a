"""Stored events: streaming reads, bulk cost updates, deletes, and the exact money conversion. Never one ORM object
per event. Inserts: events_insert.py."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa

from tokenbudget.core.events import Event
from tokenbudget.core.store import rollups
from tokenbudget.core.store.filtering import event_conditions
from tokenbudget.core.store.schema import events
from tokenbudget.core.store.transactions import transaction
from tokenbudget.core.usage import Usage

if TYPE_CHECKING:
    from tokenbudget.core.analytics import EventFilter
    from tokenbudget.core.periods import Period

NANO = Decimal("1e-9")
T = TypeVar("T")
S = TypeVar("S")


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

        total += transaction(engine, work)
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

    return transaction(engine, work)


def count_events(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one())
