"""Forecast arithmetic: blended burn rate, projected spend and run-out date, exact in Decimal."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from tokenbudget.core.forecast import forecast_spend
from tokenbudget.core.periods import Period

START = datetime(2026, 11, 1, tzinfo=timezone.utc)
MONTH = Period(START, START + timedelta(days=30), "test")


def _recent(amount: str, calls: list[tuple[datetime, datetime]] | None = None):  # type: ignore[no-untyped-def]
    def spend(start: datetime, end: datetime) -> Decimal:
        if calls is not None:
            calls.append((start, end))
        return Decimal(amount)

    return spend


def test_rate_blends_period_to_date_and_recent_days_by_elapsed_fraction() -> None:
    now = START + timedelta(days=10)
    calls: list[tuple[datetime, datetime]] = []
    f = forecast_spend(
        spent=Decimal("100"), limit=Decimal("200"), period=MONTH, now=now, recent_spend=_recent("45", calls)
    )
    # ptd 10/day, recent 45/3 = 15/day, w = 1/3 -> 40/3 per day; 20 days left.
    assert calls == [(now - timedelta(days=3), now)]
    assert f.rate_per_day == Decimal("13.333333333")
    assert f.projected_usd == Decimal("366.666666667")
    # (200 - 100) / (40/3) = 7.5 days.
    assert f.run_out_at == now + timedelta(days=7, hours=12)


def test_at_the_period_start_the_recent_rate_alone_counts() -> None:
    f = forecast_spend(
        spent=Decimal(0), limit=Decimal("100"), period=MONTH, now=START, recent_spend=_recent("30")
    )
    assert f.rate_per_day == Decimal("10.000000000")
    assert f.projected_usd == Decimal("300.000000000")
    assert f.run_out_at == START + timedelta(days=10)


def test_no_run_out_when_over_or_beyond_the_period_end() -> None:
    now = START + timedelta(days=15)
    over = forecast_spend(
        spent=Decimal("150"), limit=Decimal("100"), period=MONTH, now=now, recent_spend=_recent("30")
    )
    assert over.run_out_at is None and over.projected_usd > Decimal("150")
    slow = forecast_spend(
        spent=Decimal("1"), limit=Decimal("100"), period=MONTH, now=now, recent_spend=_recent("0.3")
    )
    assert slow.run_out_at is None
    assert slow.projected_usd == Decimal("2.250000000")  # ptd 1/15, recent 0.1/day, w=1/2: 1 + 15/12


def test_no_spend_forecasts_nothing_and_a_past_period_forecasts_its_spend() -> None:
    idle = forecast_spend(
        spent=Decimal(0),
        limit=Decimal(1),
        period=MONTH,
        now=START + timedelta(days=3),
        recent_spend=_recent("0"),
    )
    assert idle.projected_usd == 0 and idle.run_out_at is None and idle.rate_per_day == 0
    done = forecast_spend(
        spent=Decimal("7.5"), limit=Decimal(1), period=MONTH, now=MONTH.end, recent_spend=_recent("99")
    )
    assert done.projected_usd == Decimal("7.500000000") and done.run_out_at is None


def test_short_periods_use_a_window_no_longer_than_the_period() -> None:
    day = Period(START, START + timedelta(days=1), "day")
    calls: list[tuple[datetime, datetime]] = []
    now = START + timedelta(hours=12)
    forecast_spend(spent=Decimal(1), limit=Decimal(5), period=day, now=now, recent_spend=_recent("2", calls))
    assert calls == [(now - timedelta(days=1), now)]
