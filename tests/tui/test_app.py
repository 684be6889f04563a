"""The dashboard under Textual's pilot: what it shows, its keys, live updates and a database that goes away."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from tests.tui.conftest import NOW, frozen_clock, table_rows, text_of, wait_for
from tokenbudget.core.analytics import EventFilter, build_report
from tokenbudget.core.periods import parse_period
from tokenbudget.tui.app import create_app
from tokenbudget.tui.format import usd
from tokenbudget.tui.local_source import LocalSource

pytestmark = pytest.mark.anyio


def _events(event_factory: Any) -> list[Any]:
    return [
        event_factory(
            occurred_at=NOW - timedelta(hours=3 * i + 1),
            model=("gpt-4o", "claude-haiku-4-5")[i % 2],
            feature=("search", "chat")[i % 2],
            project=("web", "api")[i % 2],
            cost=Decimal("0.0125") * (i + 1),
        )
        for i in range(40)
    ]


async def test_numbers_shown_equal_tb_report(store: Any, event_factory: Any) -> None:
    store.insert_events(_events(event_factory))
    app = create_app(LocalSource(store=store), period="7d", refresh_s=60, clock=frozen_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        report = build_report(store, parse_period("7d", now=NOW), EventFilter())
        spend = text_of(app.query_one("#kpi-spend"))
        assert usd(report.totals.cost_usd) in spend
        assert f"{report.totals.requests:,}" in text_of(app.query_one("#kpi-requests"))
        assert usd(report.totals.avg_cost_per_request) in text_of(app.query_one("#kpi-avg"))
        rows = table_rows(app.query_one("#top-models"))
        assert [(r[0], r[1], r[3]) for r in rows] == [
            (row.key, usd(row.cost_usd), f"{row.requests:,}") for row in report.rows
        ]
        features = [r[0] for r in table_rows(app.query_one("#top-features"))]
        assert sorted(features) == ["chat", "search"]


async def test_keys_switch_period_filter_sort_and_help(demo_settings: Any) -> None:
    app = create_app(demo_settings, refresh_s=60, clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        assert app.snapshot.query.period == "7d"
        await pilot.press("3")
        await wait_for(pilot, lambda: app.snapshot.query.period == "30d")
        assert app.snapshot.granularity == "day" and "Spend · 30d" in text_of(app.query_one("#kpi-spend"))
        await pilot.press("p")
        await wait_for(pilot, lambda: app.snapshot.query.period == "mtd")
        await pilot.press("1")
        await wait_for(pilot, lambda: app.snapshot.query.period == "today")

        await pilot.press("2", "slash")
        await pilot.press(*"project=checkout", "enter")
        await wait_for(
            pilot, lambda: app.snapshot.query.project == "checkout" and app.snapshot.query.period == "7d"
        )
        store = app.source._store
        expected = build_report(store, parse_period("7d", now=NOW), EventFilter(project="checkout"))
        assert app.snapshot.totals == expected.totals
        assert "project=checkout" in text_of(app.query_one("#status"))
        assert {e.project for e in app.snapshot.tail} == {"checkout"}

        # Enter on a top-features row filters by that feature too.
        table = app.query_one("#top-features")
        table.focus()
        first = table_rows(table)[0][0]
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.snapshot.query.feature == first)

        await pilot.press("c")
        await wait_for(pilot, lambda: not app.snapshot.query.active_filters())

        models = app.query_one("#top-models")
        models.focus()
        await pilot.press("s")
        counts = [int(r[3].replace(",", "")) for r in table_rows(models)]
        assert models.sort_by == "requests" and counts == sorted(counts, reverse=True)
        await pilot.press("s")
        names = [r[0] for r in table_rows(models)]
        assert models.sort_by == "name" and names == sorted(names)

        await pilot.press("question_mark")
        assert app.screen.__class__.__name__ == "HelpScreen"
        await pilot.press("escape")
        assert app.screen.__class__.__name__ == "DashboardScreen"
        await pilot.press("t")
        assert not app.current_theme.dark
        await pilot.press("q")
    assert app.return_code == 0


async def test_bad_filter_is_explained_and_escape_cancels(demo_settings: Any) -> None:
    app = create_app(demo_settings, refresh_s=60, clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        await pilot.press("slash", *"team=x", "enter")
        assert "unknown filter 'team'" in text_of(app.screen.query_one("#filter-error"))
        await pilot.press("escape")
        assert app.query_state.active_filters() == {}


async def test_new_event_appears_in_the_tail_within_one_refresh(store: Any, event_factory: Any) -> None:
    store.insert_events(_events(event_factory))
    app = create_app(LocalSource(store=store), refresh_s=0.3, clock=frozen_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        before = app.snapshot.totals
        store.insert_events(
            [
                event_factory(
                    occurred_at=NOW - timedelta(seconds=2), model="o3-mini", cost=None, status="error"
                )
            ]
        )
        seen = app.refresh_count
        await wait_for(
            pilot, lambda: app.refresh_count >= seen + 2
        )  # at most one full refresh after the insert
        first = table_rows(app.query_one("#tail"))[0]
        assert first[1] == "o3-mini" and first[5] == "unpriced" and first[0].startswith("✗")
        assert app.snapshot.totals.requests == before.requests + 1
        assert app.snapshot.totals.unpriced_requests == before.unpriced_requests + 1


async def test_database_going_away_shows_a_notice_and_recovers(store: Any, event_factory: Any) -> None:
    store.insert_events(_events(event_factory))
    app = create_app(LocalSource(store=store), refresh_s=0.3, clock=frozen_clock)
    notice = None
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        notice = app.query_one("#notice")
        assert not notice.has_class("-visible")
        shown = text_of(app.query_one("#kpi-spend"))
        with store.engine.begin() as conn:  # the events table disappears (same SQL on both engines)
            conn.execute(sa.text("ALTER TABLE events RENAME TO events_away"))
        await wait_for(pilot, lambda: app.error is not None)
        await pilot.pause(0.1)
        assert notice.has_class("-visible") and "unavailable" in text_of(notice)
        assert text_of(app.query_one("#kpi-spend")) == shown  # the last numbers stay on screen
        with store.engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE events_away RENAME TO events"))
        await wait_for(pilot, lambda: app.error is None)
        await pilot.pause(0.1)
        assert not notice.has_class("-visible")


async def test_server_down_shows_a_notice() -> None:
    from tokenbudget.tui.remote_source import RemoteSource

    source = RemoteSource("http://127.0.0.1:9", "tb_ak_" + "0" * 32)
    app = create_app(source, refresh_s=60, clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.error is not None)
        await pilot.pause(0.1)
        assert "cannot reach http://127.0.0.1:9" in text_of(app.query_one("#notice"))
