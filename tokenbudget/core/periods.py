"""Reporting periods: half-open UTC intervals [start, end) parsed from strings like '30d' or '2026-01-01..2026-01-31'.

Pure standard library on purpose: the CLI parses `--period` before it opens (or imports) the store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from tokenbudget.core.errors import InvalidPeriodError

ACCEPTED_FORMS = (
    "today, yesterday, Nd (e.g. 7d, 30d, 90d), Nh (e.g. 24h), mtd, ytd, all, YYYY-MM-DD..YYYY-MM-DD"
)
# 'all' starts at the Unix epoch: every stored timestamp is later, and both engines handle it without overflow.
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

_RELATIVE = re.compile(r"^(\d{1,5})([dh])$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Period:
    """A half-open UTC interval: `start` is inside, `end` is not."""

    start: datetime
    end: datetime
    label: str

    def previous(self) -> Period:
        """The period of the same length that ends where this one starts (for 'change vs previous')."""
        length = self.end - self.start
        return Period(self.start - length, self.start, f"previous {self.label}")

    @property
    def days(self) -> int:
        """Number of calendar days (UTC) the period touches, at least 1."""
        last = (self.end - timedelta(microseconds=1)).date()
        return max(1, (last - self.start.date()).days + 1)

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def parse_period(text: str, *, now: datetime | None = None) -> Period:
    """Parse a period string; raises `InvalidPeriodError` naming the accepted forms."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    raw = (text or "").strip()
    key = raw.lower()
    today = _midnight(now.date())
    if key == "today":
        return Period(today, today + timedelta(days=1), "today")
    if key == "yesterday":
        return Period(today - timedelta(days=1), today, "yesterday")
    if key == "mtd":
        return Period(today.replace(day=1), now + timedelta(seconds=1), "mtd")
    if key == "ytd":
        return Period(today.replace(month=1, day=1), now + timedelta(seconds=1), "ytd")
    if key == "all":
        # +1s so that an event stamped 'now' by the same command is inside the half-open interval.
        return Period(EPOCH, now + timedelta(seconds=1), "all")
    match = _RELATIVE.match(key)
    if match:
        count, unit = int(match.group(1)), match.group(2)
        if count == 0:
            raise InvalidPeriodError(f"period {raw!r} is empty; use one of: {ACCEPTED_FORMS}")
        length = timedelta(days=count) if unit == "d" else timedelta(hours=count)
        end = now + timedelta(seconds=1)
        return Period(end - length, end, key)
    match = _RANGE.match(key)
    if match:
        try:
            first, last = date.fromisoformat(match.group(1)), date.fromisoformat(match.group(2))
        except ValueError as exc:
            raise InvalidPeriodError(f"period {raw!r}: {exc}") from None
        if last < first:
            raise InvalidPeriodError(f"period {raw!r} ends before it starts")
        # The end date is inclusive for the user, so the interval ends at the following midnight.
        return Period(_midnight(first), _midnight(last) + timedelta(days=1), key)
    raise InvalidPeriodError(f"unknown period {raw!r}; use one of: {ACCEPTED_FORMS}")
