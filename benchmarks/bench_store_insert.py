"""Benchmark: Store.insert_events (the write path of tb import, the SDK's local mode and tb serve) next to the
plainest bulk write of the same rows, on SQLite and, with --url, PostgreSQL.

    python benchmarks/bench_store_insert.py [--events 50000] [--batch 500] [--url POSTGRES_URL]

The events are parsed and priced before the clock starts. insert_events writes each batch in one transaction with
duplicate detection and the daily rollup kept in step. Baselines, same rows, same run: SQLite -- sqlite3
executemany of plain INSERTs into a copy of `events` with the same indexes, one transaction per batch;
PostgreSQL -- a psycopg binary COPY into such a copy (bench_ingest.copy_rows).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import copy_rows, drop_schema, make_events, schema_url

from tokenbudget.core.events import parse_event, price_event
from tokenbudget.core.pricing import load_bundled_book
from tokenbudget.core.settings import Settings
from tokenbudget.core.store import open_store
from tokenbudget.core.store.events_insert import ROW_COLUMNS, _row_values, sqlite_converters


def timed_inserts(settings: Settings, priced: list, batch: int) -> float:
    with open_store(settings) as store:
        start = time.perf_counter()
        for i in range(0, len(priced), batch):
            store.insert_events(priced[i : i + batch], batch_size=batch + 1)
        return time.perf_counter() - start


def sqlite_baseline(path: str, priced: list, batch: int) -> float:
    """Plain executemany INSERTs (values converted as SQLAlchemy stores them) into a copy of events."""
    from sqlalchemy.dialects import sqlite

    converters = sqlite_converters(sqlite.dialect())
    now = datetime.now(timezone.utc)
    rows = []
    for event in priced:
        values = _row_values(event, now)
        for at, convert in converters:
            values[at] = convert(values[at])
        rows.append(values)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE events_copy AS SELECT * FROM events WHERE 0")
    for (sql,) in conn.execute("SELECT sql FROM sqlite_master WHERE tbl_name = 'events' AND type = 'index'"):
        if sql:
            conn.execute(sql.replace(" ON events", " ON events_copy").replace("INDEX ", "INDEX copy_", 1))
    conn.commit()
    insert = (
        f"INSERT INTO events_copy ({', '.join(ROW_COLUMNS)}) VALUES ({', '.join('?' * len(ROW_COLUMNS))})"
    )
    start = time.perf_counter()
    for i in range(0, len(rows), batch):
        with conn:
            conn.executemany(insert, rows[i : i + batch])
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--url", help="also PostgreSQL, e.g. postgresql+psycopg://postgres@127.0.0.1/tokenbudget_bench"
    )
    args = parser.parse_args()
    book = load_bundled_book()
    raw = make_events(args.events, uuid.uuid4().hex[:8])
    priced = [price_event(parse_event({**e, "project": "bench"}), book) for e in raw]
    n = args.events
    print(f"{n:,} events in batches of {args.batch} (parsed and priced before the clock starts)")

    home = tempfile.mkdtemp(prefix="tb-bench-")
    settings = Settings.resolve(environ={"TOKENBUDGET_HOME": home})
    ours = timed_inserts(settings, priced, args.batch)
    base = sqlite_baseline(settings.database_url.removeprefix("sqlite:///"), priced, args.batch)
    print(
        f"SQLite      insert_events {n / ours:>9,.0f} events/s   plain executemany {n / base:>9,.0f} events/s"
        f"   ratio {base / ours:.0%}"
    )

    if args.url:
        db_url, schema = schema_url(args.url)
        try:
            pg = Settings.resolve(environ={"TOKENBUDGET_HOME": home, "TOKENBUDGET_DATABASE_URL": db_url})
            ours = timed_inserts(pg, priced, args.batch)
            base = copy_rows(db_url, raw, datetime.now(timezone.utc))
        finally:
            drop_schema(args.url, schema)
        print(
            f"PostgreSQL  insert_events {n / ours:>9,.0f} events/s   binary COPY       {n / base:>9,.0f} events/s"
            f"   ratio {base / ours:.0%}"
        )


if __name__ == "__main__":
    main()
