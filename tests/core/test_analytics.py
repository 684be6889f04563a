"""Analytics against values computed independently in the test from the inserted events (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import random
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from tokenbudget.core.analytics import (
    BREAKDOWN_DIMENSIONS,
    EventFilter,
    breakdown,
    build_report,
    daily_costs,
    report_to_json,
    totals,
)
from tokenbudget.core.events import Event
from tokenbudget.core.periods import Period, parse_period
from tokenbudget.core.settings import Settings
from tokenbudget.core.store import open_store
from tokenbudget.core.usage import Usage

NOW = datetime(2026, 11, 27, 9, 15, tzinfo=timezone.utc)
NANO = Decimal("1e-9")
MODELS = [("gpt-4o", "gpt-4o", "openai"), ("claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "anthropic"),
          ("gpt-4o-mini", "gpt-4o-mini", "openai"), (None, "my-private-llm", None)]  # fmt: skip


def make_events(count: int = 400, seed: int = 7) -> list[Event]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        price_key, model, provider = rng.choice(MODELS)
        inp = rng.randint(0, 5000)
        cache_read = rng.randint(0, inp // 2)
        out_tokens = rng.randint(0, 2000)
        client = price_key is None and rng.random() < 0.3
        status = "priced" if price_key else ("client_reported" if client else "unpriced")
        cost = (
            None if status == "unpriced" else Decimal(rng.randint(0, 10**7)).scaleb(-9) * rng.randint(1, 999)
        )
        out.append(
            Event(
                event_id=f"a{i:05d}",
                # 70 days back from NOW: covers 30d, the previous 30d, several weeks and months.
                occurred_at=NOW - timedelta(seconds=rng.randint(0, 70 * 86400)),
                project=rng.choice(["web", "api"]),
                model=model,
                usage=Usage(
                    input_tokens=inp,
                    cache_read_input_tokens=cache_read,
                    output_tokens=out_tokens,
                    reasoning_tokens=rng.randint(0, out_tokens),
                ),
                cost_status=status,  # type: ignore[arg-type]
                cost_usd=cost,
                price_key=price_key,
                provider=provider,
                feature=rng.choice(["chat", "search", None]),
                user_id=rng.choice(["alice", "bob", None]),
                env=rng.choice(["prod", "dev"]),
                status="error" if rng.random() < 0.1 else "ok",
            )
        )
    return out


def nanos(cost: Decimal | None) -> Decimal:
    return Decimal(0) if cost is None else cost.quantize(NANO, rounding=ROUND_HALF_EVEN)


def select(events: list[Event], period: Period, flt: EventFilter = EventFilter()) -> list[Event]:
    def keep(e: Event) -> bool:
        if not period.contains(e.occurred_at):
            return False
        for name in ("project", "feature", "provider", "user_id", "env"):
            wanted = getattr(flt, name)
            if wanted is not None and getattr(e, name) != wanted:
                return False
        return flt.model is None or flt.model in (e.model, e.price_key)

    return [e for e in events if keep(e)]


def key_of(e: Event, by: str) -> str:
    day = e.occurred_at.date()
    value = {
        "model": e.price_key or e.model,
        "user": e.user_id,
        "day": day.isoformat(),
        "week": (day - timedelta(days=day.weekday())).isoformat(),
        "month": day.strftime("%Y-%m"),
    }.get(by, getattr(e, by, None))
    return "(none)" if value is None else value


@pytest.fixture
def filled(store):
    events = make_events()
    store.insert_events(events, batch_size=97)
    return store, events


@pytest.mark.parametrize(
    "flt",
    [
        EventFilter(),
        EventFilter(project="web"),
        EventFilter(feature="chat", env="prod"),
        EventFilter(model="claude-sonnet-4-5"),  # the price key
        EventFilter(model="claude-sonnet-4-5-20250929"),  # the reported name
        EventFilter(provider="openai", user_id="bob"),
        EventFilter(project="nope"),
    ],
)
def test_totals_match_independent_sums(filled, flt: EventFilter) -> None:
    store, events = filled
    period = parse_period("30d", now=NOW)
    chosen = select(events, period, flt)
    got = totals(store, period, flt)
    assert got.requests == len(chosen)
    assert got.cost_usd == sum((nanos(e.cost_usd) for e in chosen), Decimal(0))
    for name in ("input_tokens", "cache_read_input_tokens", "output_tokens", "reasoning_tokens"):
        assert getattr(got, name) == sum(getattr(e.usage, name) for e in chosen)
    assert got.unpriced_requests == sum(e.cost_status == "unpriced" for e in chosen)
    assert got.client_reported_requests == sum(e.cost_status == "client_reported" for e in chosen)
    assert got.error_requests == sum(e.status == "error" for e in chosen)
    expected_avg = (got.cost_usd / len(chosen)).quantize(NANO) if chosen else Decimal(0)
    assert got.avg_cost_per_request == expected_avg


@pytest.mark.parametrize("by", BREAKDOWN_DIMENSIONS)
def test_breakdown_matches_independent_grouping(filled, by: str) -> None:
    store, events = filled
    period = parse_period("60d", now=NOW)
    expected: dict[str, list[Event]] = defaultdict(list)
    for e in select(events, period):
        expected[key_of(e, by)].append(e)
    rows = breakdown(store, period, EventFilter(), by)
    assert {r.key: r.requests for r in rows} == {k: len(v) for k, v in expected.items()}
    for row in rows:
        group = expected[row.key]
        assert row.cost_usd == sum((nanos(e.cost_usd) for e in group), Decimal(0))
        assert row.output_tokens == sum(e.usage.output_tokens for e in group)
        assert row.unpriced_requests == sum(e.cost_status == "unpriced" for e in group)
    if by in ("day", "week", "month"):
        assert [r.key for r in rows] == sorted(r.key for r in rows)
    else:
        assert [r.cost_usd for r in rows] == sorted((r.cost_usd for r in rows), reverse=True)


def test_model_breakdown_falls_back_to_reported_name_and_none_keys(filled) -> None:
    store, _ = filled
    period = parse_period("90d", now=NOW)
    keys = {r.key for r in breakdown(store, period, EventFilter(), "model")}
    assert keys == {"gpt-4o", "claude-sonnet-4-5", "gpt-4o-mini", "my-private-llm"}
    assert "(none)" in {r.key for r in breakdown(store, period, EventFilter(), "feature")}


def test_top_folds_the_rest_into_other(filled) -> None:
    store, _ = filled
    period = parse_period("90d", now=NOW)
    full = breakdown(store, period, EventFilter(), "model")
    top = breakdown(store, period, EventFilter(), "model", top=2)
    assert top[:2] == full[:2]
    assert top[2].key == "(other)" and len(top) == 3
    assert top[2].cost_usd == sum((r.cost_usd for r in full[2:]), Decimal(0))
    assert top[2].requests == sum(r.requests for r in full[2:])
    assert breakdown(store, period, EventFilter(), "model", top=10) == full  # nothing to fold


def test_daily_is_zero_filled_and_exact(filled) -> None:
    store, events = filled
    period = parse_period("2026-09-01..2026-12-10", now=NOW)
    series = daily_costs(store, period, EventFilter(project="api"))
    assert series[0][0] == date(2026, 9, 1) and series[-1][0] == date(2026, 12, 10)
    assert len(series) == period.days == 101
    expected: dict[date, Decimal] = defaultdict(Decimal)
    for e in select(events, period, EventFilter(project="api")):
        expected[e.occurred_at.date()] += nanos(e.cost_usd)
    assert dict(series) == {d: expected.get(d, Decimal(0)) for d, _ in series}


def test_daily_for_all_starts_at_first_event(filled) -> None:
    store, events = filled
    series = daily_costs(store, parse_period("all", now=NOW), EventFilter())
    assert series[0][0] == min(e.occurred_at for e in events).date()
    assert series[-1][0] == NOW.date()


def test_period_boundaries_are_half_open_and_utc(store, event_factory) -> None:
    start = datetime(2026, 11, 10, tzinfo=timezone.utc)
    period = Period(start, start + timedelta(days=1), "day")
    minus5 = timezone(timedelta(hours=-5))
    store.insert_events(
        [
            event_factory(event_id="at-start", occurred_at=start, cost=Decimal("1")),
            event_factory(
                event_id="just-before", occurred_at=start - timedelta(microseconds=1), cost=Decimal("2")
            ),
            event_factory(
                event_id="last-micro", occurred_at=period.end - timedelta(microseconds=1), cost=Decimal("4")
            ),
            event_factory(event_id="at-end", occurred_at=period.end, cost=Decimal("8")),
            # 20:00 on the 10th at UTC-5 is 01:00 UTC on the 11th: outside, and bucketed on the 11th.
            event_factory(
                event_id="other-zone",
                occurred_at=datetime(2026, 11, 10, 20, tzinfo=minus5),
                cost=Decimal("16"),
            ),
        ]
    )
    got = totals(store, period, EventFilter())
    assert (got.requests, got.cost_usd) == (2, Decimal(5))
    assert totals(store, period.previous(), EventFilter()).cost_usd == Decimal(2)
    days = {
        r.key: r.cost_usd
        for r in breakdown(
            store, Period(start - timedelta(days=1), start + timedelta(days=3), "x"), None, "day"
        )
    }
    assert days == {"2026-11-09": Decimal(2), "2026-11-10": Decimal(5), "2026-11-11": Decimal(24)}


def test_week_buckets_start_on_monday(store, event_factory) -> None:
    # 2026-11-16 is a Monday; 2026-11-22 a Sunday; 2026-11-23 the next Monday.
    stamps = [
        datetime(2026, 11, d, h, tzinfo=timezone.utc) for d, h in ((16, 0), (22, 23), (23, 0), (30, 12))
    ]
    store.insert_events([event_factory(occurred_at=t, cost=Decimal(1)) for t in stamps])
    period = parse_period("2026-11-01..2026-12-31", now=NOW)
    weeks = {r.key: r.requests for r in breakdown(store, period, None, "week")}
    assert weeks == {"2026-11-16": 2, "2026-11-23": 1, "2026-11-30": 1}
    months = {r.key: r.requests for r in breakdown(store, period, None, "month")}
    assert months == {"2026-11": 4}


def test_report_is_consistent_and_json_is_stable(filled) -> None:
    store, events = filled
    period = parse_period("30d", now=NOW)
    flt = EventFilter(env="prod")
    report = build_report(store, period, flt, by="feature", top=2)
    assert report.totals == totals(store, period, flt)
    assert report.previous_totals == totals(store, period.previous(), flt)
    assert report.rows == breakdown(store, period, flt, "feature", top=2)
    assert report.daily == daily_costs(store, period, flt)
    data = report_to_json(report)
    assert data["filters"] == {"env": "prod"}
    assert data["period"]["label"] == "30d"
    assert data["totals"]["cost_usd"] == f"{report.totals.cost_usd:.9f}"
    assert data["previous"]["requests"] == len(select(events, period.previous(), flt))
    prev, cur = report.previous_totals.cost_usd, report.totals.cost_usd
    assert Decimal(data["change"]["cost_pct"]) == ((cur - prev) * 100 / prev).quantize(Decimal("0.1"))
    assert data["breakdown"]["by"] == "feature" and len(data["breakdown"]["rows"]) <= 3
    assert set(data["breakdown"]["rows"][0]) == {
        "key", "cost_usd", "requests", "input_tokens", "cache_read_input_tokens", "cache_write_input_tokens",
        "output_tokens", "reasoning_tokens", "unpriced_requests",
    }  # fmt: skip
    assert len(data["daily"]) == period.days and data["daily"][0]["cost_usd"].count(".") == 1


@pytest.mark.parametrize("by", ["day", "week", "model"])
def test_report_time_and_model_dimensions(filled, by: str) -> None:
    store, _ = filled
    period = parse_period("45d", now=NOW)
    assert build_report(store, period, None, by=by).rows == breakdown(store, period, None, by)


def test_empty_store_report(store) -> None:
    data = report_to_json(build_report(store, parse_period("7d", now=NOW), EventFilter()))
    assert (
        data["totals"]["cost_usd"] == "0.000000000"
        and data["totals"]["avg_cost_per_request"] == "0.000000000"
    )
    assert data["change"]["cost_pct"] is None and data["breakdown"]["rows"] == []
    assert [d["cost_usd"] for d in data["daily"]] == ["0.000000000"] * 8


def test_unknown_dimension_is_a_clear_error(store) -> None:
    with pytest.raises(ValueError, match="model, provider"):
        breakdown(store, parse_period("7d", now=NOW), None, "colour")


PG_ENABLED = os.environ.get("TOKENBUDGET_TEST_POSTGRES", "").strip().lower() not in {
    "off",
    "0",
    "false",
    "no",
}

# Needs both engines at once; not collected at all (rather than skipped) when PostgreSQL is turned off.
if PG_ENABLED:

    @pytest.mark.parametrize("by", ["model", "user", "day", "week", "month"])
    def test_sqlite_and_postgresql_reports_are_identical(tmp_path, pg_schema_url: str, by: str) -> None:
        events = make_events(600, seed=11)
        outputs = []
        for url in (f"sqlite:///{tmp_path / 'a.db'}", pg_schema_url):
            settings = Settings.resolve(
                environ={"TOKENBUDGET_HOME": str(tmp_path), "TOKENBUDGET_DATABASE_URL": url}
            )
            with open_store(settings) as store:
                store.insert_events(events)
                report = build_report(store, parse_period("30d", now=NOW), EventFilter(), by=by, top=3)
                outputs.append(json.dumps(report_to_json(report), sort_keys=True))
        assert outputs[0] == outputs[1]


def test_sqlite_report_query_streams_from_the_covering_index(settings) -> None:
    # The partial days of a report read events: the (day, model) aggregate must read only
    # ix_events_report_sqlite, in order: no table rows, no sort.
    from tokenbudget.core.store.aggregates import events_query

    with open_store(settings) as store:
        query = events_query("sqlite", parse_period("30d", now=NOW), EventFilter(), ["day", "model"])
        sql = str(query.compile(store.engine, compile_kwargs={"literal_binds": True}))
        with store.engine.connect() as conn:
            plan = " | ".join(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert "USING COVERING INDEX ix_events_report_sqlite" in plan
    assert "TEMP B-TREE" not in plan


def rollup_rows(store) -> list[tuple]:
    import sqlalchemy as sa

    from tokenbudget.core.store.schema import event_rollups

    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(event_rollups).order_by(*list(event_rollups.c)[1:10])).all()
    return [tuple(row[1:]) for row in rows]


def test_rollup_stays_equal_to_a_rebuild_through_every_write(filled, event_factory) -> None:
    from tokenbudget.core.store import CostUpdate, rollups

    store, events = filled

    def assert_consistent() -> None:
        kept = rollup_rows(store)
        with store.engine.begin() as conn:
            rollups.rebuild(conn)
        assert rollup_rows(store) == kept

    assert_consistent()
    store.insert_events([*events[:50], event_factory(event_id="demo_1"), event_factory(event_id="demo_2")])
    assert_consistent()
    updates = [
        CostUpdate(e.event_id, "my-private-llm", Decimal("0.25"), "priced", "v9")
        for e in events
        if e.cost_status == "unpriced"
    ]
    assert store.update_costs(updates) == len(updates) > 0
    assert_consistent()
    assert store.delete_events(event_id_prefix="demo_") == 2
    assert_consistent()
    everything = parse_period("all", now=NOW)
    assert totals(store, everything, None).unpriced_requests == 0
    expected = sum((nanos(e.cost_usd) for e in events), Decimal(0)) + Decimal("0.25") * len(updates)
    assert totals(store, everything, None).cost_usd == expected


def test_whole_day_and_partial_day_periods_agree(filled) -> None:
    # Whole days come from the rollup, partial days from events: a split at any hour must give the same sums.
    store, events = filled
    start = datetime(2026, 10, 20, 7, 30, tzinfo=timezone.utc)
    whole = Period(start, start + timedelta(days=20), "x")
    cut = start + timedelta(days=9, hours=5)
    parts = [totals(store, p, None) for p in (Period(whole.start, cut, "a"), Period(cut, whole.end, "b"))]
    full = totals(store, whole, None)
    assert full.cost_usd == parts[0].cost_usd + parts[1].cost_usd
    assert full.requests == parts[0].requests + parts[1].requests == len(select(events, whole))
    by_user = {r.key: r.requests for r in breakdown(store, whole, None, "user")}  # events only
    assert sum(by_user.values()) == full.requests
