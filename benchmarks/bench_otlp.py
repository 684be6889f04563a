"""Benchmark: spans/s through POST /v1/traces (OTLP/HTTP protobuf) next to events/s through POST /v1/events/batch.

    python benchmarks/bench_otlp.py [--events 20000] [--batch 500] [--clients 4] [--rounds 2] [--url POSTGRES_URL]

Starts ONE `tb serve` process (uvicorn, the real app, rate limit off; bench_ingest.start_server) over a fresh
SQLite store in a temp dir, or a fresh schema of --url (PostgreSQL). The same synthetic usage (bench_ingest's
events: 10 models, distinct ids) is posted both ways, in requests of --batch from --clients concurrent HTTP
connections: as JSON event batches, and as ExportTraceServiceRequest protobufs whose spans carry the GenAI
attributes (gen_ai.usage.*, gen_ai.request.model, tokenbudget.feature, ...; unique trace/span ids) that the
server maps to the same events. Bodies are encoded before the clock starts. Each round posts a fresh copy of the
usage both ways, alternating which goes first (the store grows as the run goes on); rates are over all rounds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import uuid
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import drop_schema, make_events, post_all, schema_url, start_server
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from tokenbudget.core.keys import create_key
from tokenbudget.core.settings import Settings
from tokenbudget.core.store import open_store

TAGS = {"service": "bench", "operation": "chat"}  # what the OTLP spans' resource/operation turn into


def json_events(n: int, run: str) -> list[dict]:
    return [{**e, "tags": TAGS} for e in make_events(n, run)]


def _kv(key: str, value: str | int) -> KeyValue:
    kv = KeyValue(key=key)
    if isinstance(value, int):
        kv.value.int_value = value
    else:
        kv.value.string_value = value
    return kv


def otlp_body(events: list[dict]) -> bytes:
    """One ExportTraceServiceRequest: one span per event, same usage, fresh random trace/span ids."""
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.append(_kv("service.name", "bench"))
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = "bench.genai"
    for e in events:
        end_ns = int(datetime.fromisoformat(e["occurred_at"]).timestamp()) * 1_000_000_000
        span = scope_spans.spans.add()
        span.trace_id = uuid.uuid4().bytes
        span.span_id = uuid.uuid4().bytes[:8]
        span.name = f"chat {e['model']}"
        span.kind = 3  # CLIENT
        span.start_time_unix_nano = end_ns - e["latency_ms"] * 1_000_000
        span.end_time_unix_nano = end_ns
        attributes = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": e["provider"],
            "gen_ai.request.model": e["model"],
            "gen_ai.usage.input_tokens": e["input_tokens"],
            "gen_ai.usage.cache_read.input_tokens": e["cache_read_input_tokens"],
            "gen_ai.usage.output_tokens": e["output_tokens"],
            "gen_ai.usage.reasoning.output_tokens": e["reasoning_tokens"],
            "tokenbudget.feature": e["feature"],
            "tokenbudget.user_id": e["user_id"],
            "tokenbudget.env": e["env"],
        }
        span.attributes.extend(_kv(k, v) for k, v in attributes.items() if v is not None)
    return request.SerializeToString()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000, help="events (= spans) per endpoint per round")
    parser.add_argument("--batch", type=int, default=500, help="events or spans per request")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--url", default=None, help="PostgreSQL URL (default: SQLite in a temp dir)")
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="tb-bench-otlp-")
    db_url, schema = schema_url(args.url) if args.url else (f"sqlite:///{home}/bench.db", None)
    settings = Settings.resolve(environ={"TOKENBUDGET_HOME": home, "TOKENBUDGET_DATABASE_URL": db_url})
    seconds = {"/v1/events/batch": 0.0, "/v1/traces": 0.0}
    try:
        with open_store(settings) as store:
            key = create_key(
                store, name="bench", user_email="bench@example.com", project="bench", rounds=4
            ).key
        proc, base = start_server(db_url, home)
        try:
            warm = json_events(args.batch, "warm")
            post_all(base, key, "/v1/events/batch", [json.dumps({"events": warm}).encode()], 1)
            post_all(base, key, "/v1/traces", [otlp_body(warm)], 1)
            for r in range(args.rounds):
                events = json_events(args.events, uuid.uuid4().hex[:8])
                chunks = [events[i : i + args.batch] for i in range(0, len(events), args.batch)]
                bodies = {
                    "/v1/events/batch": [json.dumps({"events": c}).encode() for c in chunks],
                    "/v1/traces": [otlp_body(c) for c in chunks],
                }
                order = list(bodies) if r % 2 == 0 else list(reversed(bodies))
                for path in order:
                    seconds[path] += post_all(base, key, path, bodies[path], args.clients)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        with open_store(settings) as store:
            stored = store.count_events()
        expected = 2 * (args.events * args.rounds + args.batch)
        assert stored == expected, (stored, expected)
    finally:
        if schema:
            drop_schema(args.url, schema)
        shutil.rmtree(home, ignore_errors=True)

    total = args.events * args.rounds
    json_rate = total / seconds["/v1/events/batch"]
    otlp_rate = total / seconds["/v1/traces"]
    backend = "PostgreSQL" if args.url else "SQLite"
    print(
        f"{backend}, {total:,} events/spans per endpoint ({args.rounds} rounds), {args.batch} per request, "
        f"{args.clients} clients, 1 server process"
    )
    print(f"{'endpoint':<34}{'rate':>14}{'time':>10}")
    print(f"{'POST /v1/events/batch (JSON)':<34}{json_rate:>9,.0f} ev/s{seconds['/v1/events/batch']:>9.2f}s")
    print(f"{'POST /v1/traces (OTLP protobuf)':<34}{otlp_rate:>9,.0f} sp/s{seconds['/v1/traces']:>9.2f}s")
    print(f"{'OTLP / JSON':<34}{otlp_rate / json_rate:>14.1%}")


if __name__ == "__main__":
    main()
