"""Benchmark: authenticated request latency with 1 API key stored and with 1,000 active keys.

    python benchmarks/bench_auth.py [--requests 500] [--keys 1000] [--url POSTGRES_URL]

One `tb serve` process on a fresh PostgreSQL schema. For each key count it times, from one HTTP client:
  warm  - GET /api/projects repeated with one key (cache hit: no bcrypt), median and p95;
  cold  - the first request of 10 fresh keys (index lookup by prefix + ONE bcrypt check at the default cost).
Keys are found by their indexed prefix, so neither figure should grow with the number of keys (target: within
1.2x). The 999 filler keys use bcrypt cost 4 to create quickly; lookup never touches their hashes anyway.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_ingest import drop_schema, schema_url, start_server

from tokenbudget.core.keys import create_key
from tokenbudget.core.settings import Settings
from tokenbudget.core.store import open_store


def timed(client: httpx.Client, key: str) -> float:
    start = time.perf_counter()
    response = client.get("/api/projects", headers={"Authorization": f"Bearer {key}"})
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, response.text
    return elapsed * 1000


def measure(base: str, store, requests: int, tag: str) -> tuple[float, float, float]:
    key = create_key(store, name=f"warm-{tag}", user_email="bench@example.com", project="bench").key
    fresh = [create_key(store, name=f"cold-{tag}-{i}", user_email="bench@example.com").key for i in range(10)]
    with httpx.Client(base_url=base, timeout=30) as client:
        timed(client, key)  # verify once, then every request is a cache hit
        warm = sorted(timed(client, key) for _ in range(requests))
        cold = [timed(client, k) for k in fresh]
    return statistics.median(warm), warm[int(len(warm) * 0.95) - 1], statistics.median(cold)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/tokenbudget_bench")
    args = parser.parse_args()
    db_url, schema = schema_url(args.url)
    home = tempfile.mkdtemp(prefix="tb-bench-")
    settings = Settings.resolve(environ={"TOKENBUDGET_HOME": home, "TOKENBUDGET_DATABASE_URL": db_url})
    try:
        with open_store(settings) as store:
            proc, base = start_server(db_url, home)
            try:
                one = measure(base, store, args.requests, "one")
                for i in range(args.keys - 1):
                    create_key(store, name=f"filler-{i}", user_email=f"u{i % 50}@example.com", rounds=4)
                many = measure(base, store, args.requests, "many")
            finally:
                proc.terminate()
                proc.wait(timeout=20)
    finally:
        drop_schema(args.url, schema)
    print(f"GET /api/projects, {args.requests} warm requests per case, one client, 1 server process")
    print(f"{'':18}{'warm median':>14}{'warm p95':>12}{'cold (bcrypt)':>16}")
    print(f"{'1 key stored':18}{one[0]:>12.2f}ms{one[1]:>10.2f}ms{one[2]:>14.2f}ms")
    print(f"{args.keys:,} keys stored".ljust(18) + f"{many[0]:>12.2f}ms{many[1]:>10.2f}ms{many[2]:>14.2f}ms")
    print(
        f"ratio (many/one)  {many[0] / one[0]:>13.2f}x{many[1] / one[1]:>11.2f}x{many[2] / one[2]:>15.2f}x  (target <= 1.2x)"
    )


if __name__ == "__main__":
    main()
