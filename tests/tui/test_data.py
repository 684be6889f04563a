"""The data layer: LocalSource numbers equal build_report's (both engines), the cache, the tail, filters, remote."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from tests.tui.conftest import NOW
from tokenbudget.core.analytics import EventFilter, build_report
from tokenbudget.core.periods import parse_period
from tokenbudget.tui.data import DashboardQuery, SourceUnavailable, parse_filter_text
from tokenbudget.tui.local_source import LIVE_MARGIN, LocalSource, split_period


def _spread(event_factory: Any, count: int = 60) -> list[Any]:
    """Events every 97 minutes back from NOW, over three models and two features, one unpriced, one error."""
    out = []
    for i in range(count):
        model = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5")[i % 3]
        out.append(
            event_factory(
                occurred_at=NOW - timedelta(minutes=97 * i + 1),
                model=model,
                feature=("search", None)[i % 2],
                project=("web", "batch")[i % 2],
                cost=None if i == 5 else Decimal("0.000123457") * (i + 1),
                status="error" if i == 7 else "ok",
                latency_ms=100 + i,
            )
        )
    return out


@pytest.mark.parametrize("period", ["today", "7d", "30d", "mtd"])
def test_local_source_equals_build_report(store: Any, event_factory: Any, period: str) -> None:
    store.insert_events(_spread(event_factory))
    query = DashboardQuery(period=period)
    source = LocalSource(store=store)
    report = build_report(store, parse_period(period, now=NOW), EventFilter())
    for _ in range(2):  # cold, then with the settled middle from the cache
        snap = source.fetch(query, NOW)
        assert snap.totals == report.totals
        assert snap.previous_totals == report.previous_totals
        assert snap.by_model == report.rows
        assert sum((p.cost_usd for p in snap.chart), Decimal(0)) == report.totals.cost_usd
    by_feature = build_report(store, parse_period(period, now=NOW), EventFilter(), by="feature").rows
    assert snap.by_feature == by_feature
    assert snap.granularity == ("hour" if period in ("today", "7d") else "day")


def test_filters_and_new_events_in_the_live_window(store: Any, event_factory: Any) -> None:
    store.insert_events(_spread(event_factory))
    source = LocalSource(store=store)
    query = DashboardQuery(period="7d", project="web", model="gpt-4o")
    source.fetch(query, NOW)  # fills the cache
    store.insert_events(
        [event_factory(occurred_at=NOW - timedelta(seconds=5), project="web", model="gpt-4o")]
    )
    snap = source.fetch(query, NOW)
    filters = EventFilter(project="web", model="gpt-4o")
    assert snap.totals == build_report(store, parse_period("7d", now=NOW), filters).totals
    assert snap.tail is not None and snap.tail[0].occurred_at == NOW - timedelta(seconds=5)
    assert {e.project for e in snap.tail} == {"web"}


def test_invalidate_picks_up_late_events_in_settled_hours(store: Any, event_factory: Any) -> None:
    source = LocalSource(store=store)
    query = DashboardQuery(period="7d")
    before = source.fetch(query, NOW).totals.requests
    store.insert_events([event_factory(occurred_at=NOW - timedelta(days=2))])  # a late import, long settled
    assert source.fetch(query, NOW).totals.requests == before  # cached (up to SETTLED_TTL_S)
    source.invalidate()
    assert source.fetch(query, NOW).totals.requests == before + 1


def test_split_period_pieces_cover_the_period() -> None:
    start = datetime(2026, 11, 13, 15, 30, 1, tzinfo=timezone.utc)
    end = NOW + timedelta(seconds=1)
    pieces = split_period(start, end, NOW)
    assert [p[2] for p in pieces] == [False, True, False]
    assert pieces[0][0] == start and pieces[-1][1] == end
    assert all(a[1] == b[0] for a, b in itertools.pairwise(pieces))
    assert pieces[1][0].minute == 0 and pieces[1][1] <= NOW - LIVE_MARGIN
    assert split_period(NOW - timedelta(minutes=5), end, NOW) == [(NOW - timedelta(minutes=5), end, False)]


def test_latest_events_newest_first_with_filters(store: Any, event_factory: Any) -> None:
    store.insert_events(_spread(event_factory, 12))
    newest = store.latest_events(5)
    assert [e.occurred_at for e in newest] == sorted((e.occurred_at for e in newest), reverse=True)
    assert newest[0].occurred_at == NOW - timedelta(minutes=1)
    assert len(newest) == 5
    only = store.latest_events(50, EventFilter(feature="search"))
    assert len(only) == 6 and {e.feature for e in only} == {"search"}


def test_budgets_come_with_forecast(store: Any, event_factory: Any) -> None:
    from tokenbudget.core.budgets import Budget, budget_status

    store.insert_events(_spread(event_factory))
    store.save_budget(Budget("tiny", "global", None, "monthly", Decimal("0.01")))
    snap = LocalSource(store=store).fetch(DashboardQuery(), NOW)
    assert snap.budgets is not None and len(snap.budgets) == 1
    gauge, status = snap.budgets[0], budget_status(store, store.get_budget("tiny"), now=NOW)
    assert (gauge.spent_usd, gauge.percent, gauge.state) == (status.spent_usd, status.percent, status.state)
    assert gauge.forecast_usd == status.forecast.projected_usd and gauge.state == "over"


def test_unreachable_database_is_source_unavailable(tmp_path: Any) -> None:
    from tokenbudget.core.settings import Settings

    settings = Settings.resolve(
        environ={
            "TOKENBUDGET_HOME": str(tmp_path),
            "TOKENBUDGET_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere",
        }
    )
    with pytest.raises(SourceUnavailable, match="cannot connect"):
        LocalSource(settings).fetch(DashboardQuery(), NOW)


def test_parse_filter_text() -> None:
    assert parse_filter_text("project=web gpt-4o") == {"project": "web", "model": "gpt-4o"}
    assert parse_filter_text("feature=") == {"feature": None}
    with pytest.raises(ValueError, match="unknown filter 'team'"):
        parse_filter_text("team=x")


def test_remote_source_equals_tb_report_json(store_settings: Any, event_factory: Any) -> None:
    """Against a real `tb serve` (uvicorn) on the same store; then the server goes away."""
    from tests.server.conftest import start_server
    from tokenbudget.core.analytics import report_to_json
    from tokenbudget.tui.remote_source import RemoteSource

    server = start_server(store_settings)
    try:
        server.store.insert_events(_spread(event_factory))
        source = RemoteSource(server.url, server.key("tui@example.com", project="web"))
        now = datetime.now(timezone.utc)
        snap = source.fetch(DashboardQuery(period="30d"), now)
        # The key sees its project only: the server adds that scope to every query.
        local = build_report(server.store, parse_period("30d", now=now), EventFilter(projects=("web",)))
        assert snap.totals == local.totals and snap.by_model == local.rows and local.totals.requests == 30
        assert report_to_json(local)["totals"]["cost_usd"] == f"{snap.totals.cost_usd:.9f}"
        hourly = source.fetch(DashboardQuery(period="7d"), now)
        assert sum((p.cost_usd for p in hourly.chart), Decimal(0)) == hourly.totals.cost_usd
    finally:
        server.stop()
    with pytest.raises(SourceUnavailable, match="cannot reach"):
        source.fetch(DashboardQuery(period="30d"), datetime.now(timezone.utc))


def _without_forecast(gauges: list[Any]) -> list[Any]:
    from dataclasses import replace

    return [replace(g, forecast_usd=None, forecast_percent=None) for g in gauges]


def test_remote_budgets_and_tail_equal_the_local_source(store_settings: Any, event_factory: Any) -> None:
    """/api/budgets/status and /api/events/latest give the gauges and tail LocalSource builds, in the key's scope."""
    from tests.server.conftest import start_server
    from tokenbudget.core.budgets import Budget
    from tokenbudget.tui.remote_source import RemoteSource

    server = start_server(store_settings)
    try:
        store = server.store
        store.insert_events(_spread(event_factory))
        key = server.key("tui@example.com", project="web")
        for budget in (
            Budget("web-month", "global", None, "monthly", Decimal("0.01"), project="web"),
            Budget("web-search", "feature", "search", "monthly", Decimal("500"), project="web"),
            Budget("web-week", "global", None, "weekly", Decimal("25"), project="web"),
        ):
            store.save_budget(budget)
        source = RemoteSource(server.url, key)
        local_source = LocalSource(store=store)
        now = datetime.now(timezone.utc)
        for query in (DashboardQuery(period="30d"), DashboardQuery(period="7d", feature="search")):
            remote = source.fetch(query, now)
            # The key sees project web only: locally that is the project filter.
            local = local_source.fetch(query.with_filters(project="web"), datetime.now(timezone.utc))
            assert remote.tail == local.tail and remote.tail
            assert {e.project for e in remote.tail} == {"web"}
            assert remote.budgets is not None and local.budgets is not None
            # The forecast moves with the clock (each side reads its own 'now'); everything else is exact.
            assert _without_forecast(remote.budgets) == _without_forecast(local.budgets)
            for r, lo in zip(remote.budgets, local.budgets, strict=True):
                assert abs(r.forecast_usd - lo.forecast_usd) <= lo.forecast_usd * Decimal("0.001")
            assert [g.name for g in remote.budgets] == ["web-month", "web-search", "web-week"]
        assert {g.name: g.state for g in remote.budgets}["web-month"] == "over"
        assert len(RemoteSource(server.url, key, tail_size=7).fetch(DashboardQuery(), now).tail) == 7
        # A budget of another project, and that project's calls, stay out of the key's view.
        store.save_budget(Budget("batch-month", "global", None, "monthly", Decimal("5"), project="batch"))
        assert "batch-month" in {g.name for g in local_source.fetch(DashboardQuery(), now).budgets}
        remote = source.fetch(DashboardQuery(project="batch"), now)
        assert remote.tail == [] and "batch-month" not in {g.name for g in remote.budgets}
    finally:
        server.stop()
