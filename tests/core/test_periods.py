from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

import pytest

from tokenbudget.core.errors import InvalidPeriodError
from tokenbudget.core.periods import EPOCH, parse_period

NOW = datetime(2026, 11, 27, 15, 30, tzinfo=timezone.utc)


def test_today_and_yesterday_are_utc_calendar_days() -> None:
    today = parse_period("today", now=NOW)
    assert (today.start, today.end) == (
        datetime(2026, 11, 27, tzinfo=timezone.utc),
        datetime(2026, 11, 28, tzinfo=timezone.utc),
    )
    yesterday = parse_period("Yesterday", now=NOW)
    assert yesterday.end == today.start and yesterday.start == today.start - timedelta(days=1)
    assert today.days == 1


@pytest.mark.parametrize(
    ("text", "length"), [("7d", timedelta(days=7)), ("30d", timedelta(days=30)), ("24h", timedelta(hours=24))]
)
def test_rolling_periods_end_just_after_now(text: str, length: timedelta) -> None:
    period = parse_period(text, now=NOW)
    assert period.start < NOW < period.end
    assert period.end - period.start == length
    assert period.label == text


def test_previous_is_same_length_immediately_before() -> None:
    period = parse_period("30d", now=NOW)
    previous = period.previous()
    assert previous.end == period.start
    assert previous.end - previous.start == period.end - period.start


def test_mtd_ytd_all() -> None:
    assert parse_period("mtd", now=NOW).start == datetime(2026, 11, 1, tzinfo=timezone.utc)
    assert parse_period("ytd", now=NOW).start == datetime(2026, 1, 1, tzinfo=timezone.utc)
    everything = parse_period("all", now=NOW)
    assert everything.start == EPOCH and everything.end > NOW


def test_date_range_end_date_is_inclusive() -> None:
    period = parse_period("2026-11-01..2026-11-30", now=NOW)
    assert period.start == datetime(2026, 11, 1, tzinfo=timezone.utc)
    assert period.end == datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert period.days == 30
    assert period.contains(period.start) and not period.contains(period.end)


def test_naive_now_is_not_required_to_be_utc_aware() -> None:
    other_zone = NOW.astimezone(timezone(timedelta(hours=-8)))
    assert parse_period("today", now=other_zone) == parse_period("today", now=NOW)


@pytest.mark.parametrize(
    "text", ["", "30x", "0d", "2026-11-30..2026-11-01", "2026-13-01..2026-13-02", "last week"]
)
def test_bad_periods_name_the_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidPeriodError) as info:
        parse_period(text, now=NOW)
    message = str(info.value)
    assert "\n" not in message
    if text in ("", "30x", "last week", "0d"):
        assert "30d" in message and "YYYY-MM-DD..YYYY-MM-DD" in message


def test_periods_module_does_not_import_sqlalchemy() -> None:
    import subprocess

    code = "import sys, tokenbudget.core.periods; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
