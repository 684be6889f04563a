"""Keeping `event_rollups` (daily sums per key, see schema.py) in step with `events`.

Every change to events goes through one of these, in the same transaction as the change itself:
insert -> add(+1) for the new rows; reprice -> add(-1), UPDATE, add(+1); delete -> add(-1), DELETE, prune().
The sums are computed by SQL from the events rows themselves, so the rollup can never disagree with what was stored.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tokenbudget.core.store.schema import ROLLUP_KEYS, ROLLUP_SUMS, event_rollups, events
from tokenbudget.core.store.sql import dialect_insert

# Optional key columns: NULL in events, '' in the rollup (so that the UNIQUE key matches on upsert).
_OPTIONAL = ("provider", "price_key", "feature", "env")
# Inline constants, not bound parameters: the GROUP BY expressions must be textually identical to the SELECT's.
_EMPTY = sa.literal_column("''")
_ZERO = sa.literal_column("0")


# The events columns a rollup row is computed from (what an INSERT ... RETURNING must hand to `inserted_rows`).
SOURCE_COLUMNS: tuple[str, ...] = (
    "occurred_at",
    *(name for name in ROLLUP_KEYS if name != "day"),
    *(name for name in ROLLUP_SUMS if name != "requests"),
)


def events_day(
    dialect: str, occurred_at: sa.ColumnElement[Any] = events.c.occurred_at
) -> sa.ColumnElement[Any]:
    """The UTC day of events.occurred_at, as analytics buckets it (see analytics.time_bucket)."""
    if dialect == "sqlite":
        return sa.func.substr(occurred_at, sa.literal_column("1"), sa.literal_column("10"))
    return sa.cast(sa.func.timezone(sa.literal_column("'UTC'"), occurred_at), sa.Date)


def _grouped(
    dialect: str, source: sa.FromClause, where: sa.ColumnElement[bool] | None, sign: int
) -> sa.Select[Any]:
    """Rollup rows (keys and signed sums) of the events-shaped rows of `source` matching `where`."""
    c = source.c
    keys: list[sa.ColumnElement[Any]] = []
    for name in ROLLUP_KEYS:
        if name == "day":
            keys.append(events_day(dialect, c.occurred_at))
        elif name in _OPTIONAL:
            keys.append(sa.func.coalesce(c[name], _EMPTY))
        else:
            keys.append(c[name])
    factor = sa.literal_column(str(int(sign)))
    sums = [sa.func.count() * factor] + [
        sa.func.coalesce(sa.func.sum(c[name]), _ZERO) * factor for name in ROLLUP_SUMS if name != "requests"
    ]
    labelled = [k.label(n) for k, n in zip(keys, ROLLUP_KEYS, strict=True)]
    query = sa.select(*labelled, *sums).select_from(source)
    if where is not None:
        query = query.where(where)
    # ORDER BY the key: concurrent upserts then lock rollup rows in the same order and cannot deadlock.
    return query.group_by(*keys).order_by(*keys)


def _upsert(dialect: str, grouped: sa.Select[Any]) -> Any:
    stmt = dialect_insert(dialect, event_rollups).from_select([*ROLLUP_KEYS, *ROLLUP_SUMS], grouped)
    return stmt.on_conflict_do_update(
        index_elements=list(ROLLUP_KEYS),
        set_={name: event_rollups.c[name] + stmt.excluded[name] for name in ROLLUP_SUMS},
    )


def add(conn: sa.Connection, where: sa.ColumnElement[bool], sign: int = 1) -> None:
    """Add (sign=+1) or subtract (sign=-1) the events matching `where` to/from the rollup."""
    dialect = conn.dialect.name
    conn.execute(_upsert(dialect, _grouped(dialect, events, where, sign)))


def count_and_add_inserted(inserted: sa.CTE) -> sa.Select[Any]:
    """PostgreSQL: ONE statement that adds the rows of `inserted` (an INSERT INTO events ... RETURNING
    SOURCE_COLUMNS, as a CTE) to the rollup and answers how many there were.

    The sums come from the rows the INSERT actually wrote (duplicates skipped by ON CONFLICT are not returned),
    without reading them back from events and without a second round trip.
    """
    rolled_up = _upsert("postgresql", _grouped("postgresql", inserted, None, 1)).cte("rolled_up")
    return sa.select(sa.func.count()).select_from(inserted).add_cte(rolled_up)


def prune(conn: sa.Connection) -> None:
    """Drop keys whose events were all repriced away or deleted (they would show as empty groups)."""
    conn.execute(sa.delete(event_rollups).where(event_rollups.c.requests == 0))


def rebuild(conn: sa.Connection) -> None:
    """Recompute the whole rollup from events (the migration's backfill; a repair tool)."""
    conn.execute(sa.delete(event_rollups))
    add(conn, sa.true())
