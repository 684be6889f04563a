"""Budgets: calendar periods in time zones (month start, DST weeks), parsing, and exact spend per scope on both engines."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tokenbudget.core.budgets import (
    Budget,
    BudgetError,
    budget_status,
    calendar_period,
    parse_limit,
    parse_scope,
    parse_thresholds,
)
from tokenbudget.core.errors import NotFoundError

UTC = timezone.utc


def test_monthly_period_on_the_first_in_a_time_zone() -> None:
    # 00:30 on Nov 1st in Paris is still Oct 31st in UTC: the Paris budget is already in November.
    now = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    paris = calendar_period("monthly", "Europe/Paris", now)
    assert paris.start == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    assert paris.end == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    utc = calendar_period("monthly", "UTC", now)
    assert (utc.start, utc.end) == (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    december = calendar_period("monthly", "UTC", datetime(2026, 12, 31, 23, 59, tzinfo=UTC))
    assert december.end == datetime(2027, 1, 1, tzinfo=UTC)


def test_weekly_period_across_dst_changes_follows_the_wall_clock() -> None:
    # Europe/Paris leaves summer time on Sunday 2026-10-25: that week is 169 hours long.
    week = calendar_period("weekly", "Europe/Paris", datetime(2026, 10, 22, 12, tzinfo=UTC))
    assert week.start == datetime(2026, 10, 18, 22, 0, tzinfo=UTC)  # Monday 00:00 CEST
    assert week.end == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)  # next Monday 00:00 CET
    assert week.end - week.start == timedelta(hours=169)
    # New York springs forward on 2026-03-08: 167 hours.
    spring = calendar_period("weekly", "America/New_York", datetime(2026, 3, 4, tzinfo=UTC))
    assert spring.end - spring.start == timedelta(hours=167)
    assert spring.start == datetime(2026, 3, 2, 5, 0, tzinfo=UTC)


def test_daily_period_and_unknown_names() -> None:
    day = calendar_period("daily", "Asia/Tokyo", datetime(2026, 11, 20, 16, tzinfo=UTC))
    assert day.start == datetime(2026, 11, 20, 15, tzinfo=UTC)  # 00:00 on the 21st in Tokyo
    assert day.end - day.start == timedelta(days=1)
    with pytest.raises(BudgetError):
        calendar_period("yearly", "UTC", datetime.now(UTC))


def test_parsing_scope_limit_and_thresholds() -> None:
    assert parse_scope("global") == ("global", None)
    assert parse_scope("project:checkout") == ("project", "checkout")
    assert parse_scope("MODEL:gpt-4o") == ("model", "gpt-4o")
    assert parse_scope("key:tb_ak_12345678") == ("key", "tb_ak_12345678")
    for bad in ("team:x", "project", "project:", "nonsense"):
        with pytest.raises(BudgetError):
            parse_scope(bad)
    assert parse_limit("500") == Decimal("500")
    assert parse_limit("$0.10") == Decimal("0.1")
    for bad in ("0", "-1", "abc", "nan", "1e12", "0.0000000001"):
        with pytest.raises(BudgetError):
            parse_limit(bad)
    assert parse_thresholds(None) == (50, 80, 100)
    assert parse_thresholds("100, 80%,80,120") == (80, 100, 120)
    for bad in ("", "0", "x", "50,-1"):
        with pytest.raises(BudgetError):
            parse_thresholds(bad)


def test_budgets_upsert_by_name_and_delete(store) -> None:
    first, created = store.save_budget(Budget("b", "project", "checkout", "monthly", Decimal("500")))
    assert created and first.id is not None and first.limit_usd == Decimal("500")
    second, created = store.save_budget(
        Budget("b", "feature", "search", "daily", Decimal("20.123456789"), thresholds=(80, 100))
    )
    assert not created and second.id == first.id
    assert (second.scope_label, second.period, second.limit_usd) == (
        "feature:search",
        "daily",
        Decimal("20.123456789"),
    )
    assert second.thresholds == (80, 100)
    assert [b.name for b in store.list_budgets()] == ["b"]
    store.delete_budget("b")
    assert store.list_budgets() == []
    with pytest.raises(NotFoundError):
        store.get_budget("b")


NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_spend_is_exact_and_respects_each_scope_and_the_period(store, event_factory) -> None:
    at = datetime(2026, 11, 10, tzinfo=UTC)
    store.insert_events(
        [
            event_factory(cost=Decimal("0.1"), occurred_at=at, project="checkout", feature="pay"),
            event_factory(cost=Decimal("0.2"), occurred_at=at, project="checkout", user_id="u1", env="prod"),
            event_factory(cost=Decimal("0.3"), occurred_at=at, project="search", model="claude-sonnet-4"),
            # Outside November (UTC): the first one 1 µs before the period, the other exactly at its end.
            event_factory(
                cost=Decimal("5"), occurred_at=datetime(2026, 11, 1, tzinfo=UTC) - timedelta(microseconds=1)
            ),
            event_factory(cost=Decimal("7"), occurred_at=datetime(2026, 12, 1, tzinfo=UTC)),
            event_factory(cost=None, occurred_at=at, project="checkout"),  # unpriced: counted apart, never $0
        ]
    )

    def spent(scope: str, value: str | None, **kw: object) -> Decimal:
        budget, _ = store.save_budget(Budget(f"{scope}-{value}", scope, value, "monthly", Decimal(1), **kw))
        return budget_status(store, budget, now=NOW).spent_usd

    assert spent("global", None) == Decimal("0.6")  # 0.1 + 0.2 + 0.3 exactly, not 0.6000000000000001
    assert spent("project", "checkout") == Decimal("0.3")
    assert spent("feature", "pay") == Decimal("0.1")
    assert spent("user", "u1") == Decimal("0.2")
    assert spent("env", "prod") == Decimal("0.2")
    assert spent("model", "claude-sonnet-4") == Decimal("0.3")
    assert spent("feature", "pay", project="search") == Decimal(0)
    assert spent("key", "tb_ak_unknown0") == Decimal(0)
    status = budget_status(store, store.get_budget("project-checkout"), now=NOW)
    assert status.unpriced_requests == 1 and status.requests == 3
    assert status.percent == Decimal("30.0") and status.crossed == ()


def test_time_zone_moves_events_between_periods(store, event_factory) -> None:
    # 23:30 UTC on Oct 31st is already November in Paris.
    store.insert_events(
        [event_factory(cost=Decimal("2"), occurred_at=datetime(2026, 10, 31, 23, 30, tzinfo=UTC))]
    )
    paris, _ = store.save_budget(Budget("p", "global", None, "monthly", Decimal(10), timezone="Europe/Paris"))
    utc, _ = store.save_budget(Budget("u", "global", None, "monthly", Decimal(10)))
    assert budget_status(store, paris, now=NOW).spent_usd == Decimal(2)
    assert budget_status(store, utc, now=NOW).spent_usd == Decimal(0)
    assert budget_status(store, utc, default_timezone="Europe/Paris", now=NOW).spent_usd == Decimal(2)


def test_key_scope_counts_the_projects_the_key_may_write_to(store, event_factory) -> None:
    from tokenbudget.core.keys import create_key

    key = create_key(store, name="k", user_email="a@example.com", project="checkout", rounds=4)
    store.insert_events(
        [
            event_factory(cost=Decimal("1.5"), occurred_at=NOW - timedelta(hours=1), project="checkout"),
            event_factory(cost=Decimal("4"), occurred_at=NOW - timedelta(hours=1), project="other"),
        ]
    )
    budget, _ = store.save_budget(Budget("k", "key", key.info.prefix, "daily", Decimal(3)))
    status = budget_status(store, budget, now=NOW)
    assert status.spent_usd == Decimal("1.5") and status.percent == Decimal("50.0")
    assert status.crossed == (50,)
    assert status.as_json()["spent_usd"] == "1.500000000"


def test_status_forecast_and_state(store, event_factory) -> None:
    # 10 USD/day for the last 4 days of a 30-day month, 19 days in.
    store.insert_events(
        [event_factory(cost=Decimal(10), occurred_at=NOW - timedelta(days=d, hours=1)) for d in range(4)]
    )
    # Blend: ptd 40/19.5 days, recent 30/3 days, weight 0.65 -> 4.8333/day; 10.5 days left -> 90.75 projected.
    budget, _ = store.save_budget(Budget("f", "global", None, "monthly", Decimal(80)))
    status = budget_status(store, budget, now=NOW)
    assert status.spent_usd == Decimal(40) and status.state == "at_risk"
    assert status.forecast.projected_usd == Decimal("90.750000000")
    assert status.forecast.run_out_at is not None and NOW < status.forecast.run_out_at < status.period.end
    data = status.as_json()
    assert (
        data["state"] == "at_risk"
        and data["crossed"] == [50]
        and data["period_start"] == "2026-11-01T00:00:00+00:00"
    )
