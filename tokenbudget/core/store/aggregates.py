"""The SQL behind analytics: grouped integer sums over events, read from the daily rollup where possible.

A period splits into whole UTC days, summed from `event_rollups` (a few rows per day), and at most two partial
days at its edges (e.g. a rolling '30d'), summed from `events`. Filtering or grouping by user reads only
events (user_id is not a rollup key). Every per-event sum runs in SQL; callers get a few grouped rows, keyed by text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from tokenbudget.core.periods import Period
from tokenbudget.core.store.filtering import event_conditions
from tokenbudget.core.store.rollups import events_day
from tokenbudget.core.store.schema import event_rollups, events

if TYPE_CHECKING:
    from tokenbudget.core.analytics import EventFilter

TOKEN_COLUMNS = (
    "input_tokens",
    "cache_read_input_tokens",
    "cache_write_input_tokens",
    "output_tokens",
    "reasoning_tokens",
)
# Integer sums, in this order, in every aggregate. Partial sums (rollup days + edge days) add up exactly.
SUMS = ("cost_nanos", "requests", *TOKEN_COLUMNS, "unpriced", "errors", "client_reported")
TIME_DIMENSIONS = ("day", "week", "month")
DIMENSIONS = ("model", "provider", "feature", "user", "env", "project", *TIME_DIMENSIONS)

Key = tuple[str | None, ...]
Sums = tuple[int, ...]
_lit = sa.literal_column  # inline constants where an expression must match an index or statistics exactly


def _total(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    return sa.func.coalesce(sa.func.sum(column), _lit("0"))


def _event_measures() -> list[sa.ColumnElement[Any]]:
    def counted(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
        # COUNT(*) FILTER (WHERE ...): standard SQL, PostgreSQL and SQLite >= 3.30.
        return sa.func.count().filter(condition)

    c = events.c
    return [
        _total(c.cost_nanos),
        sa.func.count(),
        *(_total(c[name]) for name in TOKEN_COLUMNS),
        counted(c.cost_status == "unpriced"),
        counted(c.status == "error"),
        counted(c.cost_status == "client_reported"),
    ]


def _rollup_measures() -> list[sa.ColumnElement[Any]]:
    c = event_rollups.c
    return [
        _total(c.cost_nanos),
        _total(c.requests),
        *(_total(c[name]) for name in TOKEN_COLUMNS),
        sa.func.coalesce(sa.func.sum(c.requests).filter(c.cost_status == "unpriced"), _lit("0")),
        sa.func.coalesce(sa.func.sum(c.requests).filter(c.status == "error"), _lit("0")),
        sa.func.coalesce(sa.func.sum(c.requests).filter(c.cost_status == "client_reported"), _lit("0")),
    ]


def _bucket(dialect: str, day: sa.ColumnElement[Any], unit: str) -> sa.ColumnElement[Any]:
    """Day, ISO week (its Monday) or month of a day expression ('YYYY-MM-DD' text on SQLite, DATE on PG)."""
    if unit == "day":
        return day
    if dialect == "sqlite":
        if unit == "month":
            return sa.type_coerce(sa.func.substr(day, _lit("1"), _lit("7")), sa.String)
        # 'weekday 1' moves forward to the next Monday; going back 6 days first lands on this week's Monday.
        return sa.type_coerce(sa.func.date(day, "-6 days", "weekday 1"), sa.String)
    return sa.cast(sa.func.date_trunc(_lit(f"'{unit}'"), day), sa.Date)  # date_trunc('week') = ISO Monday


def event_dimension(dialect: str, by: str) -> sa.ColumnElement[Any]:
    """Grouping expression over events.

    SQLite's day/model expressions match ix_events_report_sqlite exactly and PostgreSQL's match the statistics
    st_events_day_model (both in migration 0001).
    """
    if by in TIME_DIMENSIONS:
        day = events_day(dialect)
        return _bucket(dialect, sa.type_coerce(day, sa.String) if dialect == "sqlite" else day, by)
    if by == "model":
        return sa.func.coalesce(events.c.price_key, events.c.model)
    if by == "user":
        return events.c.user_id
    if by in ("provider", "feature", "env", "project"):
        return events.c[by]
    raise ValueError(f"cannot break down by {by!r}; use one of: {', '.join(DIMENSIONS)}")


def _rollup_dimension(dialect: str, by: str) -> sa.ColumnElement[Any]:
    c = event_rollups.c
    if by in TIME_DIMENSIONS:
        return _bucket(dialect, c.day, by)
    if by == "model":
        return sa.func.coalesce(sa.func.nullif(c.price_key, _lit("''")), c.model)
    if by in ("provider", "feature", "env"):
        return sa.func.nullif(c[by], _lit("''"))
    if by == "project":
        return c.project
    raise ValueError(f"the rollup cannot group by {by!r}")


def events_query(
    dialect: str, period: Period, filters: EventFilter | None, dims: Sequence[str]
) -> sa.Select[Any]:
    """SELECT dims..., SUMS... FROM events WHERE <period, filters> GROUP BY dims."""
    keys = [event_dimension(dialect, by).label(f"k{i}") for i, by in enumerate(dims)]
    conditions = event_conditions(period, filters)
    if dialect == "sqlite":
        # Redundant with the occurred_at range, but it puts the range on the leading expression of the
        # covering index ix_events_report_sqlite: an index range scan, and (day, model) groups need no sort.
        day = events_day("sqlite")
        conditions += [
            day >= _day_text(period.start),
            day <= _day_text(period.end - timedelta(microseconds=1)),
        ]
    query = sa.select(*keys, *_event_measures()).where(*conditions)
    return query.group_by(*keys) if keys else query


def rollup_query(
    dialect: str, first: date, end: date, filters: EventFilter | None, dims: Sequence[str]
) -> sa.Select[Any]:
    """The same sums for the whole days [first, end) from event_rollups."""
    c = event_rollups.c
    keys = [_rollup_dimension(dialect, by).label(f"k{i}") for i, by in enumerate(dims)]
    conditions: list[sa.ColumnElement[bool]] = [c.day >= first, c.day < end]
    if filters is not None:
        for name in ("project", "feature", "provider", "env"):
            value = getattr(filters, name)
            if value is not None:
                conditions.append(c[name] == value)
        if filters.model is not None:
            conditions.append(sa.or_(c.model == filters.model, c.price_key == filters.model))
        if filters.projects is not None:
            conditions.append(c.project.in_(filters.projects))
    query = sa.select(*keys, *_rollup_measures()).where(*conditions)
    return query.group_by(*keys) if keys else query


def grouped_sums(
    engine: sa.Engine, period: Period, filters: EventFilter | None, dims: Sequence[str]
) -> dict[Key, Sums]:
    """{(dimension keys as text, None for "no value"): integer sums in SUMS order} for the period."""
    dialect = engine.dialect.name
    for by in dims:
        if by not in DIMENSIONS:
            raise ValueError(f"cannot break down by {by!r}; use one of: {', '.join(DIMENSIONS)}")
    queries: list[sa.Select[Any]] = []
    edges = [(period.start, period.end)]
    first, end = _ceil_day(period.start), _floor_day(period.end)
    if "user" not in dims and (filters is None or filters.user_id is None) and first < end:
        queries.append(rollup_query(dialect, first.date(), end.date(), filters, dims))
        edges = [(period.start, first), (end, period.end)]
    queries += [events_query(dialect, Period(a, b, ""), filters, dims) for a, b in edges if a < b]
    out: dict[Key, Sums] = {}
    n = len(dims)
    with engine.connect() as conn:
        for query in queries:
            for row in conn.execute(query):
                key = tuple(_key_text(by, value) for by, value in zip(dims, row[:n], strict=True))
                # int(): PostgreSQL returns SUM(bigint) as NUMERIC (Decimal); the values are whole numbers.
                sums = tuple(int(v) for v in row[n:])
                previous = out.get(key)
                out[key] = (
                    sums if previous is None else tuple(a + b for a, b in zip(previous, sums, strict=True))
                )
    return out


def _key_text(by: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):  # DATE buckets (PostgreSQL, and the rollup's day column)
        return value.strftime("%Y-%m") if by == "month" else value.isoformat()
    return str(value)


def _day_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).date().isoformat()


def _floor_day(moment: datetime) -> datetime:
    return datetime.combine(moment.astimezone(timezone.utc).date(), time.min, tzinfo=timezone.utc)


def _ceil_day(moment: datetime) -> datetime:
    floor = _floor_day(moment)
    return floor if floor == moment else floor + timedelta(days=1)
