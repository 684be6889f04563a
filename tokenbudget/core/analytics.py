"""Cost analytics: totals, breakdowns, daily series and the report built from them.

Every per-event aggregate runs in SQL (store/aggregates.py: integer nano-USD sums, exact on both engines, from the
daily rollup for whole days). Python only combines the handful of grouped rows SQL returns, e.g. folding the tail
of a breakdown into '(other)'. Week keys are the ISO week's Monday ('2026-11-16'), months '2026-11'.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

from tokenbudget.core.periods import Period
from tokenbudget.core.store.aggregates import DIMENSIONS, SUMS, TIME_DIMENSIONS, TOKEN_COLUMNS, grouped_sums

if TYPE_CHECKING:
    from tokenbudget.core.store import Store

NANO = Decimal("1e-9")
NONE_KEY = "(none)"
OTHER_KEY = "(other)"
BREAKDOWN_DIMENSIONS = DIMENSIONS
# A daily series longer than this (e.g. period 'all') starts at the first day that has events.
MAX_ZERO_FILLED_DAYS = 400


@dataclass(frozen=True)
class EventFilter:
    """Restrict analytics to matching events. `model` matches the reported model name OR the price key."""

    project: str | None = None
    feature: str | None = None
    model: str | None = None
    provider: str | None = None
    user_id: str | None = None
    env: str | None = None
    # Tenant scope (the server: the projects an API key may see). Not a user filter, so not in as_dict();
    # an empty tuple matches nothing.
    projects: tuple[str, ...] | None = None

    def as_dict(self) -> dict[str, str]:
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "projects" and getattr(self, f.name) is not None
        }


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


# The fields of a breakdown row, in the order of `tb report --format csv` and `tb export csv --summary`.
BREAKDOWN_COLUMNS: tuple[str, ...] = (
    "key",
    "cost_usd",
    "requests",
    "input_tokens",
    "cache_read_input_tokens",
    "cache_write_input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "unpriced_requests",
)


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


# Integer sums, in this order, in every aggregate (see store/aggregates.py).
_SUMS = SUMS


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
    texts = {key: NONE_KEY if key is None else key for key in groups}
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
    by_date = {date.fromisoformat(day): nanos for day, nanos in cost_by_day.items()}
    return [(day, _cost(by_date.get(day, 0))) for day in _series_days(period, by_date)]


# --- public API ------------------------------------------------------------------------------------------------


def totals(store: Store, period: Period, filters: EventFilter | None = None) -> Totals:
    groups = grouped_sums(store.engine, period, filters, [])
    return _totals(groups.get((), (0,) * len(_SUMS)))


def breakdown(
    store: Store,
    period: Period,
    filters: EventFilter | None = None,
    by: str = "model",
    top: int | None = None,
) -> list[BreakdownRow]:
    """Rows by `by`, cost desc (time dimensions: time asc); beyond `top` rows the rest is one '(other)' row."""
    groups = grouped_sums(store.engine, period, filters, [by])
    return _ordered_rows({key[0]: sums for key, sums in groups.items()}, by, top)


def daily_costs(
    store: Store, period: Period, filters: EventFilter | None = None
) -> list[tuple[date, Decimal]]:
    """Cost of every UTC day of the period, zero-filled (long periods start at the first day with events)."""
    groups = grouped_sums(store.engine, period, filters, ["day"])
    return _daily(period, {key[0]: sums[0] for key, sums in groups.items()})


def build_report(
    store: Store,
    period: Period,
    filters: EventFilter | None = None,
    *,
    by: str = "model",
    top: int | None = None,
) -> Report:
    """Totals, breakdown and daily series of `period`, plus the previous period's totals.

    The period is aggregated ONCE, grouped by (day, dimension); totals, rows and the daily series are sums of
    those few groups. The previous period needs only its totals.
    """
    filters = filters or EventFilter()
    empty: tuple[int, ...] = (0,) * len(_SUMS)
    overall, by_day, groups = empty, {}, {}
    dims = ["day"] if by == "day" else ["day", by]
    for key, sums in grouped_sums(store.engine, period, filters, dims).items():
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
        daily=_daily(period, {day: sums[0] for day, sums in by_day.items()}),
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
