"""Cost over time at a chosen granularity: hour (from events), or day/week/month (the report's time breakdown).

Hours are not a rollup key (the rollup is daily), so hourly sums read events; the server caps hourly periods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from tokenbudget.core.analytics import BreakdownRow, EventFilter, _row, breakdown
from tokenbudget.core.store.aggregates import _event_measures
from tokenbudget.core.store.filtering import event_conditions
from tokenbudget.core.store.schema import events

if TYPE_CHECKING:
    from tokenbudget.core.periods import Period
    from tokenbudget.core.store import Store

GRANULARITIES = ("hour", "day", "week", "month")
MAX_HOURLY_DAYS = 31  # 744 points: more is a chart nobody can read and a full scan of events


def _hour(dialect: str) -> sa.ColumnElement[Any]:
    if dialect == "sqlite":
        # Stored as UTC text 'YYYY-MM-DD HH:MM:SS...' (store/types.py): the first 13 characters are the hour.
        return sa.func.substr(events.c.occurred_at, sa.literal_column("1"), sa.literal_column("13"))
    return sa.func.to_char(
        sa.func.timezone(sa.literal_column("'UTC'"), events.c.occurred_at),
        sa.literal_column("'YYYY-MM-DD HH24'"),
    )


def hourly(store: Store, period: Period, filters: EventFilter | None = None) -> list[BreakdownRow]:
    """One row per UTC hour that has events, keyed 'YYYY-MM-DDTHH:00:00Z', in time order."""
    hour = _hour(store.dialect).label("k")
    query = (
        sa.select(hour, *_event_measures())
        .where(*event_conditions(period, filters))
        .group_by(hour)
        .order_by(hour)
    )
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [_row(f"{r[0][:10]}T{r[0][11:13]}:00:00Z", tuple(int(v) for v in r[1:])) for r in rows]


def timeseries(
    store: Store, period: Period, filters: EventFilter | None, granularity: str
) -> list[BreakdownRow]:
    if granularity == "hour":
        return hourly(store, period, filters)
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}")
    return breakdown(store, period, filters, by=granularity)
