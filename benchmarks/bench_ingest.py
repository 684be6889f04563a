"""Benchmark: ingest throughput of POST /v1/events/batch into PostgreSQL, next to a raw psycopg COPY.

    python benchmarks/bench_ingest.py [--events 100000] [--rounds 3] [--batch 500] [--clients 8] [--workers 1]
                                      [--url POSTGRES_URL]

Starts ONE `tb serve` process (uvicorn, the real app, rate limit off) on a fresh PostgreSQL schema. Each round
posts --events fresh synthetic events (the SDK's wire shape, distinct ids, 10 models, tags) in batches of --batch
from --clients concurrent HTTP connections (the server validates, prices, stamps the project and stores each batch
with one insert_events call, which also keeps the daily rollup; bodies are encoded before the clock starts), then
binary-COPYs the same rows, already priced, into a table shaped like `events` with its indexes (no validation, no
pricing, no rollup, no HTTP). Pairs measured back to back, so each round's ratio sees the same machine; the
medians are the figures. Also printed: CPU per event of the server process, of this load generator and of
everything else on the machine (PostgreSQL, mostly), since all share the same cores.
Targets: >= 20,000 events/s and >= 25% of COPY.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tokenbudget.core.events import parse_event, price_event
from tokenbudget.core.pricing import load_bundled_book
from tokenbudget.core.settings import Settings
from tokenbudget.core.store import open_store
from tokenbudget.core.store.events_insert import ROW_COLUMNS, _row_values

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
    ("mystery-llm", None),
]


def make_events(n: int, run: str) -> list[dict]:
    out = []
    for i in range(n):
        model, provider = MODELS[i % len(MODELS)]
        out.append(
            {
                "event_id": f"{run}-{i}",
                "occurred_at": f"2026-11-{1 + i % 26:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
                "provider": provider,
                "model": model,
                "input_tokens": 1000 + i % 5000,
                "cache_read_input_tokens": i % 700,
                "output_tokens": 50 + i % 900,
                "reasoning_tokens": i % 40,
                "feature": f"feature-{i % 12}",
                "user_id": f"user-{i % 120}",
                "env": ("prod", "staging", "dev")[i % 3],
                "latency_ms": 100 + i % 3000,
                "tags": {"team": "core"},
            }
        )
    return out


def schema_url(base: str) -> tuple[str, str]:
    url = sa.make_url(base)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if (
            conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname=:d"), {"d": url.database}).scalar()
            is None
        ):
            conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False), schema


def drop_schema(base: str, schema: str) -> None:
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def start_server(db_url: str, home: str, workers: int = 1) -> tuple[subprocess.Popen, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENBUDGET_")}
    env.update(TOKENBUDGET_HOME=home, TOKENBUDGET_DATABASE_URL=db_url, TOKENBUDGET_RATE_LIMIT_PER_MINUTE="0")
    cmd = [sys.executable, "-m", "tokenbudget.cli", "serve", "--port", str(port), "--log-level", "warning"]
    cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


def post_all(base: str, key: str, path: str, bodies: list[bytes], clients: int) -> float:
    """Post every body from `clients` threads; seconds of wall time. Any failure or rejection aborts."""
    queue = list(reversed(bodies))
    lock = threading.Lock()
    errors: list[str] = []
    otlp = path == "/v1/traces"
    headers = {"Content-Type": "application/x-protobuf" if otlp else "application/json"}

    def worker() -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                r = client.post(path, content=body, headers=headers)
                # OTLP full success: 200 with an empty ExportTraceServiceResponse (no partialSuccess).
                ok = r.content == b"" if otlp else r.json()["rejected"] == []
                if r.status_code != (200 if otlp else 202) or not ok:
                    errors.append(f"{r.status_code} {r.content[:200]!r}")

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"{path}: {len(errors)} failed requests, e.g. {errors[0]}")
    return elapsed


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds a process and its live children (--workers) have used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return own + sum(process_cpu_s(int(child)) for child in children)


def machine_cpu_s() -> float:
    """Busy CPU seconds of the whole machine so far (every core; Linux /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    times = os.times()
    return times.user + times.system


def copy_rows(db_url: str, events: list[dict], ingested_at: datetime) -> float:
    """psycopg binary COPY of the same rows, already priced, into `events_copy`: a table shaped like `events` with
    its indexes, growing round after round like `events` does. The fastest way psycopg has to write rows."""
    import psycopg
    from psycopg.types.json import Jsonb

    book = load_bundled_book()
    priced = [
        _row_values(price_event(parse_event({**e, "project": "bench"}), book), ingested_at) for e in events
    ]
    tags_at = ROW_COLUMNS.index("tags")
    for values in priced:  # prepared before the clock starts
        values[tags_at] = Jsonb(values[tags_at]) if values[tags_at] else None
    dsn = sa.make_url(db_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS events_copy (LIKE events INCLUDING ALL)")
        found = conn.execute(
            "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = 'events_copy'::regclass AND attnum > 0"
        )
        oids = dict(found.fetchall())
        conn.commit()
        start = time.perf_counter()
        with conn.cursor().copy(
            f"COPY events_copy ({', '.join(ROW_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types([oids[name] for name in ROW_COLUMNS])
            for values in priced:
                copy.write_row(values)
        conn.commit()
        return time.perf_counter() - start


@dataclass
class Round:
    api_s: float
    copy_s: float
    server_cpu_s: float
    client_cpu_s: float
    rest_cpu_s: float


def run_round(args: argparse.Namespace, base: str, key: str, pid: int, db_url: str, run: str) -> Round:
    """Post a fresh set of events through the API, then COPY the same rows: a pair measured back to back."""
    events = make_events(args.events, run)
    bodies = [
        json.dumps({"events": events[i : i + args.batch]}).encode() for i in range(0, len(events), args.batch)
    ]
    cpu_before, machine_before, own_before = process_cpu_s(pid), machine_cpu_s(), own_cpu_s()
    api_s = post_all(base, key, "/v1/events/batch", bodies, args.clients)
    server_cpu = process_cpu_s(pid) - cpu_before
    client_cpu = own_cpu_s() - own_before
    rest_cpu = machine_cpu_s() - machine_before - server_cpu - client_cpu
    copy_s = copy_rows(db_url, events, datetime.now(timezone.utc))
    return Round(api_s, copy_s, server_cpu, client_cpu, rest_cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000, help="events per round")
    parser.add_argument("--rounds", type=int, default=3, help="API + COPY pairs, each with fresh events")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="server processes (the target is for 1)")
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/tokenbudget_bench")
    args = parser.parse_args()

    db_url, schema = schema_url(args.url)
    home = tempfile.mkdtemp(prefix="tb-bench-")
    settings = Settings.resolve(environ={"TOKENBUDGET_HOME": home, "TOKENBUDGET_DATABASE_URL": db_url})
    rounds: list[Round] = []
    try:
        from tokenbudget.core.keys import create_key

        with open_store(settings) as store:
            key = create_key(store, name="bench", user_email="bench@example.com", project="bench").key
        proc, base = start_server(db_url, home, args.workers)
        try:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
                warm = make_events(args.batch, "warm")
                client.post("/v1/events/batch", json={"events": warm})  # price book loaded, key cached
            run = uuid.uuid4().hex[:8]
            for number in range(args.rounds):
                rounds.append(run_round(args, base, key, proc.pid, db_url, f"{run}-{number}"))
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        with open_store(settings) as store:
            stored = store.count_events()
        assert stored == args.rounds * args.events + args.batch, stored
    finally:
        drop_schema(args.url, schema)
    report(args, rounds)


def report(args: argparse.Namespace, rounds: list[Round]) -> None:
    n = args.events
    processes = f"{args.workers} server process{'es' if args.workers > 1 else ''}"
    print(
        f"{n:,} events per round in batches of {args.batch}, {args.clients} concurrent clients, {processes}"
    )
    print(
        f"{'round':>5}  {'API events/s':>12}  {'COPY events/s':>13}  {'API/COPY':>8}  CPU µs/event: server, load gen, rest"
    )
    for number, r in enumerate(rounds, 1):
        print(
            f"{number:>5}  {n / r.api_s:>12,.0f}  {n / r.copy_s:>13,.0f}  {r.copy_s / r.api_s:>8.1%}  "
            f"{r.server_cpu_s / n * 1e6:.1f}, {r.client_cpu_s / n * 1e6:.1f}, {r.rest_cpu_s / n * 1e6:.1f}"
        )
    api = statistics.median(n / r.api_s for r in rounds)
    ratio = statistics.median(r.copy_s / r.api_s for r in rounds)
    server = statistics.median(r.server_cpu_s / n * 1e6 for r in rounds)
    print(f"median: POST /v1/events/batch {api:,.0f} events/s, {ratio:.1%} of a raw psycopg binary COPY")
    print(
        f"        server CPU {server:.1f} µs/event ({os.cpu_count()} cores shared with PostgreSQL and this script)"
    )
    print("targets: >= 20,000 events/s and >= 25% of COPY")


if __name__ == "__main__":
    main()
