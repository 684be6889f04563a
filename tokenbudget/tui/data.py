"""What the dashboard shows, and where it comes from.

`DataSource.fetch(query, now)` returns one immutable `Snapshot` (everything a refresh draws). It is a blocking call
and the app only ever runs it in a worker thread. Two sources: `LocalSource` (the store, see local_source.py) and
`RemoteSource` (a `tb serve`, see remote_source.py). A source that cannot answer raises `SourceUnavailable`; the
app keeps its last snapshot on screen, shows a notice and tries again on the next tick.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from tokenbudget.core.errors import TokenBudgetError

if TYPE_CHECKING:
    from tokenbudget.core.analytics import BreakdownRow, EventFilter, Totals
    from tokenbudget.core.periods import Period

PERIODS = ("today", "7d", "30d", "mtd")
FILTER_FIELDS = ("project", "feature", "model")
HOURLY_PERIODS = ("today", "7d")  # hourly bars; longer periods get daily bars
TAIL_SIZE = 50


class SourceUnavailable(TokenBudgetError):
    """The database or server could not answer (down, unreachable, schema missing, refused)."""


@dataclass(frozen=True)
class DashboardQuery:
    """What the user asked to see: a period and up to three filters."""

    period: str = "7d"
    project: str | None = None
    feature: str | None = None
    model: str | None = None

    def filters(self) -> EventFilter:
        from tokenbudget.core.analytics import EventFilter

        return EventFilter(project=self.project, feature=self.feature, model=self.model)

    def active_filters(self) -> dict[str, str]:
        return {name: value for name in FILTER_FIELDS if (value := getattr(self, name)) is not None}

    def with_period(self, period: str) -> DashboardQuery:
        return replace(self, period=period)

    def with_filters(self, **values: str | None) -> DashboardQuery:
        return replace(self, **{k: (v or None) for k, v in values.items() if k in FILTER_FIELDS})

    @property
    def granularity(self) -> str:
        return "hour" if self.period in HOURLY_PERIODS else "day"


@dataclass(frozen=True)
class ChartPoint:
    """One bar: an hour ('2026-11-20T13') or a day ('2026-11-20') and its cost."""

    key: str
    cost_usd: Decimal


@dataclass(frozen=True)
class BudgetGauge:
    name: str
    scope: str
    period: str
    spent_usd: Decimal
    limit_usd: Decimal
    percent: Decimal
    forecast_usd: Decimal
    forecast_percent: Decimal
    state: str  # ok | warning | at_risk | over (core.budgets.BudgetStatus.state)


@dataclass(frozen=True)
class TailEvent:
    occurred_at: datetime
    model: str
    feature: str | None
    user_id: str | None
    project: str
    tokens: int
    cost_usd: Decimal | None
    cost_status: str
    status: str
    latency_ms: int | None


@dataclass(frozen=True)
class Snapshot:
    query: DashboardQuery
    period: Period
    totals: Totals
    previous_totals: Totals
    by_model: list[BreakdownRow]
    by_feature: list[BreakdownRow]
    granularity: str
    chart: list[ChartPoint]
    budgets: list[BudgetGauge]
    tail: list[TailEvent]
    fetched_at: datetime
    query_ms: float = 0.0
    notes: tuple[str, ...] = field(default=())


class DataSource(Protocol):
    """Where the numbers come from. `fetch` blocks: call it from a worker thread only."""

    @property
    def description(self) -> str: ...

    def fetch(self, query: DashboardQuery, now: datetime) -> Snapshot: ...

    def invalidate(self) -> None:
        """Forget cached partial results: the next fetch recomputes everything (the `r` key)."""
        ...

    def close(self) -> None: ...


def hour_points(period: Period, cost_by_hour: dict[str, Decimal]) -> list[ChartPoint]:
    """One point per UTC hour the period touches ('YYYY-MM-DDTHH'), zero-filled."""
    from datetime import timedelta

    hour = timedelta(hours=1)
    first = period.start.replace(minute=0, second=0, microsecond=0)
    last = (period.end - timedelta(microseconds=1)).replace(minute=0, second=0, microsecond=0)
    keys = [(first + i * hour).strftime("%Y-%m-%dT%H") for i in range(int((last - first) / hour) + 1)]
    return [ChartPoint(key, cost_by_hour.get(key, Decimal(0))) for key in keys]


def parse_filter_text(text: str) -> dict[str, str | None]:
    """'project=checkout model=gpt-4o' -> {'project': 'checkout', 'model': 'gpt-4o'}; 'feature=' clears one.

    A bare word (no '=') filters by model, the most common ask. Raises ValueError naming the bad part.
    """
    values: dict[str, str | None] = {}
    for part in text.split():
        name, sep, value = part.partition("=")
        if not sep:
            name, value = "model", part
        name = name.strip().lower()
        if name not in FILTER_FIELDS:
            raise ValueError(f"unknown filter {name!r}; use {', '.join(FILTER_FIELDS)} (e.g. project=web)")
        values[name] = value.strip() or None
    return values
