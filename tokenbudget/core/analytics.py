"""Cost analytics: totals, breakdowns, daily series and the report built from them.

Every per-event aggregate runs in SQL (integer nano-USD sums, exact on both engines). Python only combines the
handful of grouped rows SQL returns, e.g. folding the tail of a breakdown into '(other)'.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from tokenbudget.core.periods import Period
from tokenbudget.core.store.filtering import event_conditions
from tokenbudget.core.store.schema import events

if TYPE_CHECKING:
    from tokenbudget.core.store import Store

NANO = Decimal("1e-9")
NONE_KEY = "(none)"
OTHER_KEY = "(other)"
TIME_DIMENSIONS = ("day", "week", "month")
BREAKDOWN_DIMENSIONS = ("model", "provider", "feature", "user", "env", "project", *TIME_DIMENSIONS)
# A daily series longer than this (e.g. period 'all') starts at the first day that has events.
MAX_ZERO_FILLED_DAYS = 400

TOKEN_COLUMNS = (
    "input_tokens",
    "cache_read_input_tokens",
    "cache_write_input_tokens",
    "output_tokens",
    "reasoning_tokens",
)


@dataclass(frozen=True)
class EventFilter:
    """Restrict analytics to matching events. `model` matches the reported model name OR the price key."""

    project: str | None = None
    feature: str | None = None
    model: str | None = None
    provider: str | None = None
    user_id: str | None = None
    env: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


@dataclass(frozen=True)
class Totals:
    cost_usd: Decimal = Decimal(0)
    requests: int = 0
    input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_write_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    unpriced_requests: int = 0
    error_requests: int = 0
    client_reported_requests: int = 0

    @property
    def avg_cost_per_request(self) -> Decimal:
        if not self.requests:
            return Decimal(0).quantize(NANO)
        return (self.cost_usd / self.requests).quantize(NANO, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    cost_usd: Decimal
    requests: int
    input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_write_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    unpriced_requests: int = 0


@dataclass
class Report:
    period: Period
    previous_period: Period
    filters: EventFilter
    totals: Totals
    previous_totals: Totals
    by: str
    rows: list[BreakdownRow]
    daily: list[tuple[date, Decimal]]


# --- SQL building blocks ---------------------------------------------------------------------------------------

# Integer sums, in this order, in every aggregate query. Partial sums from several rows add up exactly.
_SUMS = ("cost_nanos", "requests", *TOKEN_COLUMNS, "unpriced", "errors", "client_reported")


def _measures() -> list[sa.ColumnElement[Any]]:
    def total(column: sa.ColumnElement[Any], label: str) -> sa.ColumnElement[Any]:
        return sa.func.coalesce(sa.func.sum(column), 0).label(label)

    def counted(condition: sa.ColumnElement[bool], label: str) -> sa.ColumnElement[Any]:
        # COUNT(*) FILTER (WHERE ...): standard SQL, supported by PostgreSQL and SQLite >= 3.30.
        return sa.func.count().filter(condition).label(label)

    return [
        total(events.c.cost_nanos, "cost_nanos"),
        sa.func.count().label("requests"),
        *(total(events.c[name], name) for name in TOKEN_COLUMNS),
        counted(events.c.cost_status == "unpriced", "unpriced"),
        counted(events.c.status == "error", "errors"),
        counted(events.c.cost_status == "client_reported", "client_reported"),
    ]


def time_bucket(dialect: str, unit: str) -> sa.ColumnElement[Any]:
    """The UTC day ('2026-11-27'), ISO week (its Monday, '2026-11-23') or month ('2026-11') of occurred_at.

    SQLite stores occurred_at as UTC text 'YYYY-MM-DD HH:MM:SS.ffffff' (see store/types.py), so a prefix is the
    day or month — much cheaper per row than strftime. PostgreSQL converts the timestamptz to UTC explicitly (the
    session time zone cannot shift a bucket) and returns a DATE (the first day of the bucket), formatted by
    `_key_text`: a date cast is far cheaper per row than to_char, and the migration's expression statistics on
    exactly this expression let the planner pick a hash aggregate.
    """
    column = events.c.occurred_at
    if dialect == "sqlite":
        # Literal 1/10/7 (not bound parameters): SQLite only uses the expression index ix_events_report_sqlite
        # when the query's expression is identical to the indexed one.
        day = sa.func.substr(column, sa.literal_column("1"), sa.literal_column("10"))
        if unit == "day":
            return sa.type_coerce(day, sa.String)
        if unit == "month":
            return sa.type_coerce(
                sa.func.substr(column, sa.literal_column("1"), sa.literal_column("7")), sa.String
            )
        # 'weekday 1' moves forward to the next Monday; going back 6 days first lands on this week's Monday.
        return sa.type_coerce(sa.func.date(day, "-6 days", "weekday 1"), sa.String)
    # Inline constants: PostgreSQL matches expression statistics on the expression tree, not on parameters.
    utc = sa.func.timezone(sa.literal_column("'UTC'"), column)
    if unit == "day":
        return sa.cast(utc, sa.Date)
    # date_trunc('week') is the ISO week's Monday.
    return sa.cast(sa.func.date_trunc(sa.literal_column(f"'{unit}'"), utc), sa.Date)


def _key_text(by: str, value: Any) -> str:
    if value is None:
        return NONE_KEY
    if isinstance(value, date):  # PostgreSQL time buckets
        return value.strftime("%Y-%m") if by == "month" else value.isoformat()
    return str(value)


def _dimension(dialect: str, by: str) -> sa.ColumnElement[Any]:
    if by in TIME_DIMENSIONS:
        return time_bucket(dialect, by)
    if by == "model":
        return sa.func.coalesce(events.c.price_key, events.c.model)
    if by == "user":
        return events.c.user_id
    if by in ("provider", "feature", "env", "project"):
        return events.c[by]
    raise ValueError(f"cannot break down by {by!r}; use one of: {', '.join(BREAKDOWN_DIMENSIONS)}")


def aggregate_query(
    dialect: str, period: Period, filters: EventFilter | None, keys: Sequence[sa.ColumnElement[Any]]
) -> sa.Select[Any]:
    """SELECT keys..., integer sums (in _SUMS order) ... GROUP BY keys."""
    labelled = [key.label(f"k{i}") for i, key in enumerate(keys)]
    conditions = event_conditions(period, filters)
    if dialect == "sqlite":
        # Redundant with the occurred_at range, but it puts the range on the leading expression of the covering
        # index ix_events_report_sqlite, so the scan is an index range and (day, model) groups need no sort.
        day = time_bucket("sqlite", "day")
        last_day = (period.end - timedelta(microseconds=1)).date()
        conditions += [day >= period.start.date().isoformat(), day <= last_day.isoformat()]
    query = sa.select(*labelled, *_measures()).where(*conditions)
    return query.group_by(*labelled) if labelled else query


def _aggregate(
    store: Store, period: Period, filters: EventFilter | None, keys: Sequence[sa.ColumnElement[Any]]
) -> list[tuple[tuple[Any, ...], tuple[int, ...]]]:
    """Run `aggregate_query`: [(key values, integer sums in _SUMS order)]."""
    with store.engine.connect() as conn:
        result = conn.execute(aggregate_query(store.dialect, period, filters, keys)).all()
    n = len(keys)
    # int(): PostgreSQL returns SUM(bigint) as NUMERIC (Decimal); the values are whole numbers either way.
    return [(tuple(row[:n]), tuple(int(v) for v in row[n:])) for row in result]


def report_keys(dialect: str, by: str) -> list[sa.ColumnElement[Any]]:
    """build_report's grouping: (day) or (day, dimension)."""
    day = time_bucket(dialect, "day")
    return [day] if by == "day" else [day, _dimension(dialect, by)]


def _add(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...]:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def _cost(nanos: int) -> Decimal:
    return Decimal(nanos).scaleb(-9).quantize(NANO)


def _totals(sums: Sequence[int]) -> Totals:
    values = dict(zip(_SUMS, sums, strict=True))
    return Totals(
        cost_usd=_cost(values["cost_nanos"]),
        requests=values["requests"],
        **{name: values[name] for name in TOKEN_COLUMNS},
        unpriced_requests=values["unpriced"],
        error_requests=values["errors"],
        client_reported_requests=values["client_reported"],
    )


def _row(key: str, sums: Sequence[int]) -> BreakdownRow:
    values = dict(zip(_SUMS, sums, strict=True))
    return BreakdownRow(
        key=key,
        cost_usd=_cost(values["cost_nanos"]),
        requests=values["requests"],
        **{name: values[name] for name in TOKEN_COLUMNS},
        unpriced_requests=values["unpriced"],
    )


def _ordered_rows(groups: dict[Any, tuple[int, ...]], by: str, top: int | None) -> list[BreakdownRow]:
    texts = {key: _key_text(by, key) for key in groups}
    if by in TIME_DIMENSIONS:
        return [_row(texts[key], sums) for key, sums in sorted(groups.items(), key=lambda kv: texts[kv[0]])]
    # Cost desc, then requests desc, then key: a stable order for equal costs (e.g. several unpriced models).
    ranked = sorted(groups.items(), key=lambda kv: (-kv[1][0], -kv[1][1], texts[kv[0]]))
    if top is not None and top >= 0 and len(ranked) > top:
        rest: tuple[int, ...] = (0,) * len(_SUMS)
        for _, sums in ranked[top:]:
            rest = _add(rest, sums)
        return [*(_row(texts[k], s) for k, s in ranked[:top]), _row(OTHER_KEY, rest)]
    return [_row(texts[key], sums) for key, sums in ranked]


def _series_days(period: Period, days_with_data: Iterable[date]) -> list[date]:
    first = period.start.date()
    last = (period.end - timedelta(microseconds=1)).date()
    if period.days > MAX_ZERO_FILLED_DAYS:
        seen = sorted(days_with_data)
        if not seen:
            return []
        first = max(first, seen[0])
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _daily(period: Period, cost_by_day: dict[Any, int]) -> list[tuple[date, Decimal]]:
    # Day keys are 'YYYY-MM-DD' text on SQLite and DATE values on PostgreSQL.
    by_date = {day if isinstance(day, date) else date.fromisoformat(day): n for day, n in cost_by_day.items()}
    return [(day, _cost(by_date.get(day, 0))) for day in _series_days(period, by_date)]


# --- public API ------------------------------------------------------------------------------------------------


def totals(store: Store, period: Period, filters: EventFilter | None = None) -> Totals:
    ((_, sums),) = _aggregate(store, period, filters, [])
    return _totals(sums)


def breakdown(
    store: Store,
    period: Period,
    filters: EventFilter | None = None,
    by: str = "model",
    top: int | None = None,
) -> list[BreakdownRow]:
    """Rows by `by`, cost desc (time dimensions: time asc); beyond `top` rows the rest is one '(other)' row."""
    dimension = _dimension(store.dialect, by)
    groups = {key[0]: sums for key, sums in _aggregate(store, period, filters, [dimension])}
    return _ordered_rows(groups, by, top)


def daily_costs(
    store: Store, period: Period, filters: EventFilter | None = None
) -> list[tuple[date, Decimal]]:
    """Cost of every UTC day of the period, zero-filled (long periods start at the first day with events)."""
    day = time_bucket(store.dialect, "day")
    return _daily(period, {key[0]: sums[0] for key, sums in _aggregate(store, period, filters, [day])})


def build_report(
    store: Store,
    period: Period,
    filters: EventFilter | None = None,
    *,
    by: str = "model",
    top: int | None = None,
) -> Report:
    """Totals, breakdown and daily series of `period`, plus the previous period's totals.

    The current period is read ONCE, grouped by (day, dimension); totals, rows and the daily series are sums of
    those few groups. The previous period needs only its totals: a second, cheaper scan.
    """
    filters = filters or EventFilter()
    keys = report_keys(store.dialect, by)
    empty: tuple[int, ...] = (0,) * len(_SUMS)
    overall, by_day, groups = empty, {}, {}
    for key, sums in _aggregate(store, period, filters, keys):
        overall = _add(overall, sums)
        by_day[key[0]] = _add(by_day.get(key[0], empty), sums)
        dim = key[0] if by == "day" else key[1]
        groups[dim] = _add(groups.get(dim, empty), sums)
    previous = period.previous()
    return Report(
        period=period,
        previous_period=previous,
        filters=filters,
        totals=_totals(overall),
        previous_totals=totals(store, previous, filters),
        by=by,
        rows=_ordered_rows(groups, by, top),
        daily=_daily(period, {d: sums[0] for d, sums in by_day.items()}),
    )


def money(value: Decimal) -> str:
    """A cost as the JSON string with exactly 9 decimals."""
    return f"{value.quantize(NANO, rounding=ROUND_HALF_EVEN):.9f}"


def change_pct(current: Decimal, previous: Decimal) -> Decimal | None:
    if previous == 0:
        return None
    return ((current - previous) * 100 / previous).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)


def _row_json(row: BreakdownRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "cost_usd": money(row.cost_usd),
        "requests": row.requests,
        **{name: getattr(row, name) for name in TOKEN_COLUMNS},
        "unpriced_requests": row.unpriced_requests,
    }


def report_to_json(report: Report) -> dict[str, Any]:
    """The stable JSON form of a report (documented in the README). Money is a string with 9 decimals."""
    t, p = report.totals, report.previous_totals
    pct = change_pct(t.cost_usd, p.cost_usd)
    return {
        "period": {
            "label": report.period.label,
            "start": report.period.start.isoformat(),
            "end": report.period.end.isoformat(),
        },
        "filters": report.filters.as_dict(),
        "totals": {
            "cost_usd": money(t.cost_usd),
            "requests": t.requests,
            **{name: getattr(t, name) for name in TOKEN_COLUMNS},
            "avg_cost_per_request": money(t.avg_cost_per_request),
            "unpriced_requests": t.unpriced_requests,
            "error_requests": t.error_requests,
            "client_reported_requests": t.client_reported_requests,
        },
        "previous": {
            "start": report.previous_period.start.isoformat(),
            "end": report.previous_period.end.isoformat(),
            "cost_usd": money(p.cost_usd),
            "requests": p.requests,
        },
        "change": {"cost_pct": None if pct is None else str(pct)},
        "breakdown": {"by": report.by, "rows": [_row_json(row) for row in report.rows]},
        "daily": [{"date": day.isoformat(), "cost_usd": money(cost)} for day, cost in report.daily],
    }
