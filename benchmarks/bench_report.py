"""Benchmark: `tb report --period 30d --by model` on a large store, next to one hand-written SQL aggregate.

    python benchmarks/bench_report.py [--events 1000000] [--url URL] [--runs 5]

Fills the store through `Store.insert_events` (the real ingest path, batches of 5,000) with N synthetic events
spread over the last 90 days, then times `build_report(30d, by=model)` + `report_to_json` (median of --runs)
against ONE raw SQL statement (the same totals and group-by-model aggregate, run through the DBAPI cursor
directly) and prints both and the ratio (target: tool <= 1.5x raw). Also timed: "raw, tuned" (SQLite: the same
statement with the index-friendly day range the tool adds) and "same work" (one statement computing everything
the report shows, including the previous period's totals), which separates the tool's own overhead from the
extra work it does. The tool reads whole days from the daily rollup (`event_rollups`, kept in step by
insert_events, so the fill time includes maintaining it) and only the partial first/last day from `events`;
the raw statements read `events`. A store given with --url that already holds N events is reused. Both engines
get ANALYZE after the fill (PostgreSQL: VACUUM ANALYZE, which autovacuum would also do) so the planner sees
real statistics; all timings use the same database state.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tokenbudget.core.analytics import EventFilter, build_report, report_to_json
from tokenbudget.core.events import Event
from tokenbudget.core.periods import Period, parse_period
from tokenbudget.core.settings import Settings
from tokenbudget.core.store import Store, open_store
from tokenbudget.core.usage import Usage

MODELS = [
    ("gpt-4o", "openai"),
    ("gpt-4o-mini", "openai"),
    ("gpt-4.1", "openai"),
    ("o3", "openai"),
    ("claude-sonnet-4-5", "anthropic"),
    ("claude-haiku-4-5", "anthropic"),
    ("claude-opus-4-1", "anthropic"),
    ("gemini-2.5-pro", "gemini"),
    ("gemini-2.5-flash", "gemini"),
    ("mistral-large", "mistral"),
]

MEASURES = """COALESCE(SUM(cost_nanos), 0), COUNT(*),
       COALESCE(SUM(input_tokens), 0), COALESCE(SUM(cache_read_input_tokens), 0),
       COALESCE(SUM(cache_write_input_tokens), 0), COALESCE(SUM(output_tokens), 0),
       COALESCE(SUM(reasoning_tokens), 0),
       COUNT(*) FILTER (WHERE cost_status = 'unpriced'), COUNT(*) FILTER (WHERE status = 'error'),
       COUNT(*) FILTER (WHERE cost_status = 'client_reported')"""
# What the brief calls the equivalent statement: the period's totals + group-by-model aggregate.
RAW_SQL = f"""
SELECT COALESCE(price_key, model) AS k, {MEASURES}
FROM events WHERE occurred_at >= {{p}} AND occurred_at < {{p}}{{extra}}
GROUP BY COALESCE(price_key, model)
"""
# Everything the report shows, in one statement: (day, model) groups of the period (totals, rows and the
# daily series are sums of them) plus the previous period's totals. Separates the tool's overhead from work.
SAME_WORK_SQL = f"""
SELECT {{day}}, COALESCE(price_key, model), {MEASURES}
FROM events WHERE occurred_at >= {{p}} AND occurred_at < {{p}}{{extra}}
GROUP BY {{day}}, COALESCE(price_key, model)
UNION ALL
SELECT NULL, NULL, {MEASURES}
FROM events WHERE occurred_at >= {{p}} AND occurred_at < {{p}}{{extra}}
"""
SQLITE_DAY = "substr(occurred_at, 1, 10)"
PG_DAY = "(timezone('UTC', occurred_at))::date"
# The tool adds this redundant day range on SQLite so the scan can use its covering expression index
# (schema.py, ix_events_report_sqlite). The "raw, tuned" run gives the hand-written SQL the same advantage.
SQLITE_DAY_RANGE = " AND substr(occurred_at, 1, 10) >= ? AND substr(occurred_at, 1, 10) <= ?"


def synthetic_events(count: int, now: datetime, seed: int = 1) -> Iterator[Event]:
    rng = random.Random(seed)
    span = 90 * 86400
    for i in range(count):
        model, provider = MODELS[rng.randrange(len(MODELS))]
        unpriced = rng.random() < 0.01
        inp = rng.randint(50, 20000)
        out = rng.randint(10, 3000)
        yield Event(
            event_id=f"bench_{i:09d}",
            occurred_at=now - timedelta(seconds=rng.random() * span),
            project=("web", "api", "batch")[i % 3],
            model=model,
            usage=Usage(
                input_tokens=inp,
                cache_read_input_tokens=rng.randint(0, inp // 2),
                output_tokens=out,
                reasoning_tokens=rng.randint(0, out // 3),
            ),
            cost_status="unpriced" if unpriced else "priced",
            cost_usd=None if unpriced else Decimal(rng.randint(1, 50_000_000)).scaleb(-9),
            price_key=None if unpriced else model,
            price_version=None if unpriced else "bench-v1",
            provider=provider,
            feature=("chat", "search", "summarize", "agent")[i % 4],
            user_id=f"user{i % 500}",
            env="prod" if i % 5 else "dev",
            status="error" if rng.random() < 0.02 else "ok",
        )


def fill(store: Store, count: int) -> datetime:
    existing = store.count_events()
    if existing == count:
        with store.engine.connect() as conn:
            latest = conn.execute(sa.text("SELECT MAX(occurred_at) FROM events")).scalar()
        now = latest if isinstance(latest, datetime) else datetime.fromisoformat(str(latest))
        print(f"reusing {existing:,} events")
        return now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now
    if existing:
        raise SystemExit(
            f"the store holds {existing:,} events, not {count:,}: give an empty or matching --url"
        )
    now = datetime.now(timezone.utc)
    started = time.perf_counter()
    result = store.insert_events(synthetic_events(count, now))
    elapsed = time.perf_counter() - started
    print(
        f"filled {result.inserted:,} events via insert_events in {elapsed:.1f}s "
        f"({count / elapsed:,.0f} events/s)"
    )
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE events" if store.dialect == "postgresql" else "ANALYZE")
    return now


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up: connection pool, statement cache, OS page cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--url", help="database URL (default: a new SQLite file in a temp dir)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="tb-bench-")
    environ = {"TOKENBUDGET_HOME": home}
    if args.url:
        environ["TOKENBUDGET_DATABASE_URL"] = args.url
    with open_store(Settings.resolve(environ=environ)) as store:
        print(f"store: {store.url}")
        now = fill(store, args.events)
        period = parse_period("30d", now=now)

        def tool() -> dict:
            return report_to_json(build_report(store, period, EventFilter(), by="model"))

        prev = period.previous()
        if store.dialect == "sqlite":

            def bounds(p: Period, tuned: bool = True) -> tuple:
                times = tuple(t.strftime("%Y-%m-%d %H:%M:%S.%f") for t in (p.start, p.end))
                last = (p.end - timedelta(microseconds=1)).date().isoformat()
                return (*times, p.start.date().isoformat(), last) if tuned else times

            variants = {
                "raw": (RAW_SQL.format(p="?", extra=""), bounds(period, False), 1),
                "raw, tuned": (RAW_SQL.format(p="?", extra=SQLITE_DAY_RANGE), bounds(period), 1),
                "same work": (
                    SAME_WORK_SQL.format(p="?", extra=SQLITE_DAY_RANGE, day=SQLITE_DAY),
                    bounds(period) + bounds(prev),
                    2,
                ),
            }
        else:
            variants = {
                "raw": (RAW_SQL.format(p="%s", extra=""), (period.start, period.end), 1),
                "same work": (
                    SAME_WORK_SQL.format(p="%s", extra="", day=PG_DAY),
                    (period.start, period.end, prev.start, prev.end),
                    2,
                ),
            }
        raw_conn = store.engine.raw_connection()

        def raw(sql: str, params: tuple) -> list:
            cursor = raw_conn.cursor()
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            cursor.close()
            return rows

        report = tool()
        tool_s = median_seconds(tool, args.runs)
        print(f"events in 30d: {report['totals']['requests']:,}  cost: ${report['totals']['cost_usd']}")
        print(f"{'tool':<11} build_report(30d, by=model) + report_to_json: {tool_s * 1000:8.1f} ms")
        for name, (sql, params, keys) in variants.items():
            rows = [row for row in raw(sql, params) if row[0] is not None]  # NULL key: the previous period
            assert report["totals"]["requests"] == sum(row[keys + 1] for row in rows), "tool and SQL disagree"
            raw_s = median_seconds(lambda sql=sql, params=params: raw(sql, params), args.runs)
            print(f"{name:<11} one SQL aggregate through the DBAPI cursor:   {raw_s * 1000:8.1f} ms")
            print(f"{'':<11} ratio tool / {name}: {tool_s / raw_s:.2f}x (target <= 1.5x)")
        print(f"(medians of {args.runs} runs after one warm-up)")
        raw_conn.close()


if __name__ == "__main__":
    main()
