"""Benchmark: query time of one `tb tui` refresh over a large store, next to `build_report` alone.

    python benchmarks/bench_tui_refresh.py [--url sqlite:////tmp/tbb1m_fresh.db] [--events 1000000] [--runs 5]

One refresh is `LocalSource.fetch` for the default 7d view: totals, previous period, top models and features,
hourly spend chart, budgets (three are added to a temp store; an existing store is used as it is) and the 50
newest events. Printed: the COLD refresh (empty cache: the first one, after `r`, or when the hour rolls over)
and the STEADY refresh (every 2 s tick: the settled hours come from the cache, only the edges and the last
~10 minutes to an hour are queried), each the median of --runs, next to `build_report(7d, by=model)` alone
(what `tb report --period 7d` queries), measured in the same run on the same database. Target: steady < 200 ms.
A store given with --url that already holds events is reused as it is (nothing is written to it); without
--url a temp SQLite store is filled with --events synthetic events (benchmarks/bench_report.py's generator).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tokenbudget.core.analytics import EventFilter, build_report
from tokenbudget.core.periods import parse_period
from tokenbudget.core.settings import Settings
from tokenbudget.core.store import open_store
from tokenbudget.tui.data import DashboardQuery
from tokenbudget.tui.local_source import LocalSource


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a new SQLite file in a temp dir)")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--period", default="7d", choices=["today", "7d", "30d", "mtd"])
    args = parser.parse_args()

    tmp = None
    if args.url is None:
        tmp = tempfile.TemporaryDirectory(prefix="tb-bench-tui-")
        args.url = f"sqlite:///{tmp.name}/bench.db"
    settings = Settings.resolve({"database_url": args.url})
    store = open_store(settings)
    count = store.count_events()
    if count == 0:
        from bench_report import fill

        from tokenbudget.core.budgets import Budget

        print(f"filling {args.events:,} events into {store.url} …", flush=True)
        fill(store, args.events)
        for name, scope, value, period in (
            ("total", "global", None, "monthly"),
            ("web", "project", "web", "weekly"),
            ("search", "feature", "search", "daily"),
        ):
            from decimal import Decimal

            store.save_budget(Budget(name, scope, value, period, Decimal("1000")))
        count = store.count_events()
    budgets = len(store.list_budgets())
    query = DashboardQuery(period=args.period)
    source = LocalSource(store=store)

    def cold() -> None:
        source.invalidate()
        source.fetch(query, datetime.now(timezone.utc))

    def steady() -> None:
        source.fetch(query, datetime.now(timezone.utc))

    def report() -> None:
        build_report(store, parse_period(args.period), EventFilter())

    cold()  # warm the page cache and the connection pool once, for every timing alike
    report_ms = median_ms(report, args.runs)
    cold_ms = median_ms(cold, args.runs)
    source.fetch(query, datetime.now(timezone.utc))
    steady_ms = median_ms(steady, args.runs)
    print(
        f"store: {store.url} · {count:,} events · {budgets} budget(s) · period {args.period} · {args.runs} runs"
    )
    print(f"build_report alone (baseline)   {report_ms:8.1f} ms")
    print(f"tui refresh, cold (no cache)    {cold_ms:8.1f} ms  ({cold_ms / report_ms:.2f}x report)")
    print(
        f"tui refresh, steady (every 2 s) {steady_ms:8.1f} ms  ({steady_ms / report_ms:.2f}x report)  target < 200 ms"
    )
    store.close()
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
