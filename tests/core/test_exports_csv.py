"""CSV exports read back: every field, exact sums equal to build_report's, filters, paging, summary. Both engines."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from tokenbudget.core.analytics import EventFilter, build_report
from tokenbudget.core.exports import (
    EVENT_CSV_COLUMNS,
    SUMMARY_CSV_COLUMNS,
    ExportStats,
    count_events,
    event_csv_chunks,
    summary_csv,
    write_events_csv,
)
from tokenbudget.core.periods import Period, parse_period

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def _events(make: Any) -> list[Any]:
    out = []
    for i in range(40):
        out.append(
            make(
                occurred_at=T0 + timedelta(minutes=i // 4),  # 4 events share each timestamp: paging ties
                project="checkout" if i % 2 else "search",
                feature=f"f{i % 3}",
                user_id=f"u{i % 5}" if i % 7 else None,
                env="prod",
                model="gpt-4o" if i % 3 else "o3",
                input_tokens=1000 + i,
                cache_read_input_tokens=i,
                cache_write_input_tokens=i % 4,
                output_tokens=200 + i,
                reasoning_tokens=i % 10,
                cost=Decimal("0.000123457") * (i + 1),
                tags={"team": "ml", "n": str(i)} if i % 2 else {},
                latency_ms=100 + i,
                request_id=f"req-{i}",
            )
        )
    out.append(make(occurred_at=T0, model="acme-x", cost=None, project="search"))
    out.append(make(occurred_at=T0, model="acme-x", cost=None, project="checkout", status="error"))
    out.append(make(occurred_at=T0 - timedelta(days=60), project="search"))  # outside 30d
    return out


def _parse(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == EVENT_CSV_COLUMNS
    return list(reader)


def _csv(store: Any, period: Period, filters: EventFilter | None = None, **kw: Any) -> str:
    return "".join(event_csv_chunks(store, period, filters, **kw))


def _assert_matches_report(
    store: Any, period: Period, filters: EventFilter, rows: list[dict[str, str]]
) -> None:
    report = build_report(store, period, filters)
    t = report.totals
    assert sum((Decimal(r["cost_usd"]) for r in rows if r["cost_usd"]), Decimal(0)) == t.cost_usd
    assert len(rows) == t.requests
    for name in ("input_tokens", "cache_read_input_tokens", "cache_write_input_tokens", "output_tokens"):
        assert sum(int(r[name]) for r in rows) == getattr(t, name), name
    assert sum(int(r["reasoning_tokens"]) for r in rows) == t.reasoning_tokens
    assert sum(1 for r in rows if r["cost_status"] == "unpriced") == t.unpriced_requests
    assert sum(1 for r in rows if r["status"] == "error") == t.error_requests


def test_every_field_and_exact_totals(store: Any, event_factory: Any) -> None:
    events = _events(event_factory)
    store.insert_events(events)
    period = parse_period("30d", now=NOW)
    rows = _parse(_csv(store, period))
    _assert_matches_report(store, period, EventFilter(), rows)
    assert len(rows) == 42
    by_id = {r["event_id"]: r for r in rows}
    first = events[1]
    row = by_id[first.event_id]
    assert row["occurred_at"] == first.occurred_at.isoformat() == "2026-11-20T12:00:00+00:00"
    assert datetime.fromisoformat(row["ingested_at"]).tzinfo is not None
    assert row["cost_usd"] == "0.000246914"  # exact, 9 decimals
    assert row["cost_status"] == "priced" and row["price_version"] == "v1" and row["price_key"] == "gpt-4o"
    assert json.loads(row["tags"]) == {"team": "ml", "n": "1"}
    assert (row["project"], row["feature"], row["user_id"], row["env"]) == ("checkout", "f1", "u1", "prod")
    assert (row["input_tokens"], row["cache_read_input_tokens"], row["cache_write_input_tokens"]) == (
        "1001",
        "1",
        "1",
    )
    assert (row["output_tokens"], row["reasoning_tokens"], row["latency_ms"], row["request_id"]) == (
        "201",
        "1",
        "101",
        "req-1",
    )
    assert row["service_tier"] == "standard" and row["status"] == "ok" and row["provider"] == "openai"
    unpriced = [r for r in rows if r["model"] == "acme-x"]
    assert [r["cost_usd"] for r in unpriced] == ["", ""]  # never $0
    assert {r["cost_status"] for r in unpriced} == {"unpriced"}
    assert by_id[events[0].event_id]["tags"] == ""  # no tags -> empty cell, not '{}'
    assert by_id[events[0].event_id]["user_id"] == ""  # NULL -> empty


def test_rows_are_in_time_order_without_gaps_across_pages(store: Any, event_factory: Any) -> None:
    events = _events(event_factory)
    store.insert_events(events)
    period = parse_period("all", now=NOW)
    small = _parse(_csv(store, period, batch_size=3, chunk_rows=5))
    big = _parse(_csv(store, period))
    assert [r["event_id"] for r in small] == [r["event_id"] for r in big]
    assert len({r["event_id"] for r in small}) == len(events)
    stamps = [datetime.fromisoformat(r["occurred_at"]) for r in small]
    assert stamps == sorted(stamps)


@pytest.mark.parametrize(
    "filters",
    [
        EventFilter(project="checkout"),
        EventFilter(feature="f1", model="gpt-4o"),
        EventFilter(user_id="u2"),
        EventFilter(model="acme-x"),
        EventFilter(projects=("search",)),
        EventFilter(projects=()),
    ],
)
def test_filters_match_the_report(store: Any, event_factory: Any, filters: EventFilter) -> None:
    store.insert_events(_events(event_factory))
    period = parse_period("30d", now=NOW)
    rows = _parse(_csv(store, period, filters))
    _assert_matches_report(store, period, filters, rows)
    assert count_events(store, period, filters) == len(rows)
    if filters.project:
        assert {r["project"] for r in rows} == {filters.project}


def test_write_reports_progress_and_stats(store: Any, event_factory: Any) -> None:
    store.insert_events(_events(event_factory))
    period = parse_period("30d", now=NOW)
    seen: list[int] = []
    out = io.StringIO()
    stats = write_events_csv(
        store, period, None, out, on_progress=lambda s: seen.append(s.rows), chunk_rows=10
    )
    report = build_report(store, period)
    assert isinstance(stats, ExportStats)
    assert stats.rows == 42 and seen[-1] == 42 and len(seen) == 5
    assert Decimal(stats.cost_usd) == report.totals.cost_usd
    assert stats.unpriced == report.totals.unpriced_requests == 2


def test_empty_period_is_just_the_header(store: Any) -> None:
    text = _csv(store, parse_period("7d", now=NOW))
    assert text == ",".join(EVENT_CSV_COLUMNS) + "\n"


def test_summary_is_the_report_breakdown(store: Any, event_factory: Any) -> None:
    store.insert_events(_events(event_factory))
    period = parse_period("30d", now=NOW)
    for by in ("model", "feature", "user", "day"):
        rows = list(csv.DictReader(io.StringIO(summary_csv(store, period, by=by))))
        report = build_report(store, period, by=by)
        assert [r["key"] for r in rows] == [r.key for r in report.rows]
        assert sum(Decimal(r["cost_usd"]) for r in rows) == report.totals.cost_usd
        assert sum(int(r["requests"]) for r in rows) == report.totals.requests
        assert sum(int(r["unpriced_requests"]) for r in rows) == report.totals.unpriced_requests


def test_summary_header_is_the_report_csv_header() -> None:
    from tokenbudget.core.analytics import BREAKDOWN_COLUMNS  # what `tb report --format csv` writes

    assert tuple(BREAKDOWN_COLUMNS) == SUMMARY_CSV_COLUMNS
