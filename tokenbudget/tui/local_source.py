"""`LocalSource`: the dashboard's numbers straight from the store, cheap enough to recompute every 2 seconds.

A refresh splits each period into a settled middle, whole hours ending at least LIVE_MARGIN ago, and two thin
edges (the partial first hour of a rolling period, and the last hour or so up to now). The middle's grouped sums
are cached (for SETTLED_TTL_S, or until the hours move, or `invalidate()`), the edges are queried every time. Sums
are exact integers (store/aggregates.py), so middle + edges equal what `build_report` computes in one go; an event
stamped inside the settled middle after it was cached (a late import, a reprice) shows up within SETTLED_TTL_S.
"""

from __future__ import annotations

import threading
import time as _time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from tokenbudget.tui.data import (
    TAIL_SIZE,
    BudgetGauge,
    ChartPoint,
    DashboardQuery,
    Snapshot,
    TailEvent,
    hour_points,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

    from tokenbudget.core.analytics import EventFilter
    from tokenbudget.core.periods import Period
    from tokenbudget.core.settings import Settings
    from tokenbudget.core.store import Store

LIVE_MARGIN = timedelta(
    minutes=10
)  # SDK batches and server queues deliver a few seconds late: stay well clear
SETTLED_TTL_S = 300.0
HOUR = timedelta(hours=1)
Sums = tuple[int, ...]


def _floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def _ceil_hour(moment: datetime) -> datetime:
    floor = _floor_hour(moment)
    return floor if floor == moment else floor + HOUR


def split_period(start: datetime, end: datetime, now: datetime) -> list[tuple[datetime, datetime, bool]]:
    """[(start, end, cacheable)]: the hour-aligned settled middle (cacheable) and the edges around it."""
    middle_start, middle_end = _ceil_hour(start), _floor_hour(min(end, now - LIVE_MARGIN))
    if middle_start >= middle_end:
        return [(start, end, False)]
    pieces = [(start, middle_start, False), (middle_start, middle_end, True), (middle_end, end, False)]
    return [piece for piece in pieces if piece[0] < piece[1]]


def _add_groups(target: dict[Any, Sums], groups: dict[Any, Sums]) -> None:
    for key, sums in groups.items():
        previous = target.get(key)
        target[key] = sums if previous is None else tuple(a + b for a, b in zip(previous, sums, strict=True))


def hourly_cost_nanos(
    engine: sa.Engine, start: datetime, end: datetime, filters: EventFilter
) -> dict[str, int]:
    """{'YYYY-MM-DDTHH': cost nanos} for [start, end): only the cost column, so SQLite answers it from the
    covering index ix_events_report_sqlite (the day-range predicate puts the range on its leading expression)."""
    import sqlalchemy as sa

    from tokenbudget.core.periods import Period
    from tokenbudget.core.store.filtering import event_conditions
    from tokenbudget.core.store.rollups import events_day
    from tokenbudget.core.store.schema import events
    from tokenbudget.core.timeseries import _hour

    dialect = engine.dialect.name
    hour = _hour(dialect).label("h")
    conditions = event_conditions(Period(start, end, ""), filters)
    if dialect == "sqlite":
        day = events_day(dialect)
        last = end - timedelta(microseconds=1)
        conditions += [
            day >= start.date().isoformat(),
            day <= last.astimezone(timezone.utc).date().isoformat(),
        ]
    query = (
        sa.select(hour, sa.func.coalesce(sa.func.sum(events.c.cost_nanos), sa.literal_column("0")))
        .where(*conditions)
        .group_by(hour)
    )
    with engine.connect() as conn:
        return {f"{h[:10]}T{h[11:13]}": int(nanos) for h, nanos in conn.execute(query)}


class LocalSource:
    """The store behind the dashboard. Opens it lazily (and again after a failure), so the app starts even when
    the database is down and recovers by itself when it comes back."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        store: Store | None = None,
        tail_size: int = TAIL_SIZE,
        settled_ttl_s: float = SETTLED_TTL_S,
    ) -> None:
        if settings is None and store is None:
            raise ValueError("LocalSource needs settings or a store")
        self._settings = settings
        self._store = store
        self._owns_store = store is None
        self._tail_size = tail_size
        self._ttl = settled_ttl_s
        self._cache: dict[tuple[Any, ...], tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self.timezone = settings.timezone if settings is not None else "UTC"

    @property
    def description(self) -> str:
        if self._store is not None:
            return self._store.url
        from tokenbudget.core.store.engine import display_url

        assert self._settings is not None
        return display_url(self._settings.database_url)

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()

    def close(self) -> None:
        if self._owns_store and self._store is not None:
            self._store.close()
            self._store = None

    # -- the refresh --------------------------------------------------------------------------------------------
    def fetch(self, query: DashboardQuery, now: datetime) -> Snapshot:
        import sqlalchemy as sa

        from tokenbudget.core.errors import TokenBudgetError
        from tokenbudget.tui.data import SourceUnavailable

        started = _time.perf_counter()
        try:
            store = self._open()
            snapshot = self._build(store, query, now)
        except (sa.exc.SQLAlchemyError, TokenBudgetError, OSError) as exc:
            if self._owns_store and isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
                self.close()
            raise SourceUnavailable(_one_line(exc)) from exc
        return _with_timing(snapshot, (_time.perf_counter() - started) * 1000)

    def _open(self) -> Store:
        if self._store is None:
            from tokenbudget.core.store import open_store

            assert self._settings is not None
            self._store = open_store(self._settings)
        return self._store

    def _build(self, store: Store, query: DashboardQuery, now: datetime) -> Snapshot:
        from tokenbudget.core.analytics import _cost, _daily, _ordered_rows, _totals
        from tokenbudget.core.periods import parse_period

        period = parse_period(query.period, now=now)
        filters = query.filters()
        used: set[tuple[Any, ...]] = set()
        groups = self._sums(store, period, filters, ("day", "model", "feature"), now, used)
        previous = self._sums(store, period.previous(), filters, (), now, used)
        empty: Sums = (0,) * 10
        overall: Sums = empty
        by_day: dict[Any, Sums] = {}
        by_model: dict[Any, Sums] = {}
        by_feature: dict[Any, Sums] = {}
        for (day, model, feature), sums in groups.items():
            overall = tuple(a + b for a, b in zip(overall, sums, strict=True))
            _add_groups(by_day, {day: sums})
            _add_groups(by_model, {model: sums})
            _add_groups(by_feature, {feature: sums})
        if query.granularity == "hour":
            hours = self._hourly(store, period, filters, now, used)
            chart = hour_points(period, {key: _cost(nanos) for key, nanos in hours.items()})
        else:
            daily = _daily(period, {day: sums[0] for day, sums in by_day.items()})
            chart = [ChartPoint(day.isoformat(), cost) for day, cost in daily]
        with self._lock:  # drop what this query no longer needs (e.g. after a period switch)
            self._cache = {k: v for k, v in self._cache.items() if k in used}
        return Snapshot(
            query=query,
            period=period,
            totals=_totals(overall),
            previous_totals=_totals(previous.get((), empty)),
            by_model=_ordered_rows(by_model, "model", None),
            by_feature=_ordered_rows(by_feature, "feature", None),
            granularity=query.granularity,
            chart=chart,
            budgets=self._budgets(store, query, now),
            tail=[_tail_event(e) for e in store.latest_events(self._tail_size, filters)],
            fetched_at=now,
        )

    def _cached(self, key: tuple[Any, ...], compute: Any, used: set[tuple[Any, ...]]) -> Any:
        used.add(key)
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and _time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        value = compute()
        with self._lock:
            self._cache[key] = (_time.monotonic(), value)
        return value

    def _sums(
        self,
        store: Store,
        period: Period,
        filters: EventFilter,
        dims: Sequence[str],
        now: datetime,
        used: set[tuple[Any, ...]],
    ) -> dict[Any, Sums]:
        from tokenbudget.core.periods import Period
        from tokenbudget.core.store.aggregates import grouped_sums

        out: dict[Any, Sums] = {}
        for start, end, cacheable in split_period(period.start, period.end, now):

            def compute(start: datetime = start, end: datetime = end) -> dict[Any, Sums]:
                return grouped_sums(store.engine, Period(start, end, ""), filters, list(dims))

            piece = (
                self._cached(("sums", start, end, filters, dims), compute, used) if cacheable else compute()
            )
            _add_groups(out, piece)
        return out

    def _hourly(
        self, store: Store, period: Period, filters: EventFilter, now: datetime, used: set[tuple[Any, ...]]
    ) -> dict[str, int]:
        out: dict[str, int] = {}
        for start, end, cacheable in split_period(period.start, period.end, now):

            def compute(start: datetime = start, end: datetime = end) -> dict[str, int]:
                return hourly_cost_nanos(store.engine, start, end, filters)

            piece = self._cached(("hours", start, end, filters), compute, used) if cacheable else compute()
            for key, nanos in piece.items():
                out[key] = out.get(key, 0) + nanos
        return out

    def _budgets(self, store: Store, query: DashboardQuery, now: datetime) -> list[BudgetGauge]:
        from tokenbudget.core.budgets import all_statuses, percent_of

        # Every budget, whatever the dashboard's filters: each budget has its own scope and period.
        del query
        gauges = []
        for status in all_statuses(store, default_timezone=self.timezone, now=now):
            gauges.append(
                BudgetGauge(
                    name=status.budget.name,
                    scope=status.budget.scope_label,
                    period=status.budget.period,
                    spent_usd=status.spent_usd,
                    limit_usd=status.limit_usd,
                    percent=status.percent,
                    forecast_usd=status.forecast.projected_usd,
                    forecast_percent=percent_of(status.forecast.projected_usd, status.limit_usd),
                    state=status.state,
                )
            )
        return gauges


def _tail_event(event: Any) -> TailEvent:
    usage = event.usage
    return TailEvent(
        occurred_at=event.occurred_at,
        model=event.model,
        feature=event.feature,
        user_id=event.user_id,
        project=event.project,
        tokens=usage.input_tokens + usage.output_tokens,
        cost_usd=event.cost_usd,
        cost_status=event.cost_status,
        status=event.status,
        latency_ms=event.latency_ms,
    )


def _with_timing(snapshot: Snapshot, query_ms: float) -> Snapshot:
    from dataclasses import replace

    return replace(snapshot, query_ms=query_ms)


def _one_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:200]
