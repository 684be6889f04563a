"""End-of-period spend forecast and run-out date from the burn rate.

Method (documented in docs/alerts.md and the README):

    elapsed   = now - period start            remaining = period end - now
    ptd rate  = spent so far / elapsed        (the period-to-date burn rate)
    recent    = spend in the last RECENT_WINDOW (at most the period's length) / that window
                (the window may reach back before the period start: on the 1st of a month the last days of the
                previous month are the best guide we have)
    w         = elapsed / period length       (how much of the period is behind us)
    rate      = w * ptd rate + (1 - w) * recent rate
    projected = spent + rate * remaining
    run-out   = now + (limit - spent) / rate, if that falls before the period end (None otherwise, and None when
                the limit is already reached)

Early in a period the period-to-date rate rests on a few hours and swings wildly, so the recent rate dominates;
by the end the period-to-date rate (the whole month's behaviour) dominates. All arithmetic is Decimal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from tokenbudget.core.periods import Period

RECENT_WINDOW = timedelta(days=3)
NANO = Decimal("1e-9")
DAY_S = Decimal(86400)


@dataclass(frozen=True)
class Forecast:
    projected_usd: Decimal  # spend expected by the period end
    rate_per_day: Decimal  # the blended burn rate, USD/day
    run_out_at: datetime | None  # when the limit will be reached at that rate (inside this period only)


def _seconds(delta: timedelta) -> Decimal:
    return Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds) / Decimal(1_000_000)


def blend_rate(
    spent: Decimal, elapsed: timedelta, length: timedelta, recent: Decimal, window: timedelta
) -> Decimal:
    """USD per second: the period-to-date and recent rates, weighted by the fraction of the period elapsed."""
    elapsed_s, length_s, window_s = _seconds(elapsed), _seconds(length), _seconds(window)
    ptd_rate = spent / elapsed_s if elapsed_s > 0 else Decimal(0)
    recent_rate = recent / window_s if window_s > 0 else Decimal(0)
    weight = min(Decimal(1), elapsed_s / length_s) if length_s > 0 else Decimal(1)
    return weight * ptd_rate + (1 - weight) * recent_rate


def forecast_spend(
    *,
    spent: Decimal,
    limit: Decimal,
    period: Period,
    now: datetime,
    recent_spend: Callable[[datetime, datetime], Decimal],
    window: timedelta = RECENT_WINDOW,
) -> Forecast:
    """Forecast for `period` at `now`; `recent_spend(start, end)` returns the spend of [start, end)."""
    if now >= period.end:
        return Forecast(spent.quantize(NANO), Decimal(0).quantize(NANO), None)
    now = max(now, period.start)
    length = period.end - period.start
    window = min(window, length)
    recent = recent_spend(now - window, now) if window > timedelta(0) else Decimal(0)
    rate = blend_rate(spent, now - period.start, length, recent, window)
    remaining = _seconds(period.end - now)
    projected = (spent + rate * remaining).quantize(NANO, rounding=ROUND_HALF_EVEN)
    run_out: datetime | None = None
    if spent < limit and rate > 0:
        seconds_left = (limit - spent) / rate
        if seconds_left < remaining:
            run_out = now + timedelta(seconds=float(seconds_left))
    return Forecast(projected, (rate * DAY_S).quantize(NANO, rounding=ROUND_HALF_EVEN), run_out)
