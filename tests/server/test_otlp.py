"""POST /v1/traces through a real uvicorn server, on SQLite and PostgreSQL.

Protobuf bodies come from the REAL OpenTelemetry SDK and its OTLP HTTP exporter; JSON bodies are written by hand.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from tests.server.conftest import LiveServer
from tokenbudget.core.analytics import build_report, totals
from tokenbudget.core.periods import parse_period

END = datetime(2026, 11, 20, 10, 0, 5, tzinfo=timezone.utc)
END_NS = int(END.timestamp()) * 1_000_000_000
START_NS = END_NS - 1_250_000_000
PERIOD = parse_period("2026-11-20..2026-11-20")


def make_spans(resource: dict[str, Any] | None = None) -> list[ReadableSpan]:
    """Hand-made GenAI spans (several conventions), plus spans that must be ignored, via the real SDK."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource.create(
            resource
            or {"service.name": "checkout", "deployment.environment.name": "prod", "enduser.id": "u-9"}
        )
    )
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("test.genai")

    def span(name: str, attributes: dict[str, Any], error: bool = False) -> None:
        s = tracer.start_span(name, start_time=START_NS, attributes=attributes)
        if error:
            s.set_status(Status(StatusCode.ERROR))
        s.end(end_time=END_NS)

    # Current GenAI conventions (the official openai-v2 instrumentation's shape).
    span(
        "chat gpt-4o",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.response.model": "gpt-4o-2024-08-06",
            "gen_ai.response.id": "chatcmpl-1",
            "gen_ai.usage.input_tokens": 1000,
            "gen_ai.usage.cache_read.input_tokens": 200,
            "gen_ai.usage.output_tokens": 100,
            "tokenbudget.feature": "search",
        },
    )
    # Deprecated names, a failed call.
    span(
        "chat gpt-4o-mini",
        {
            "gen_ai.system": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.prompt_tokens": 10,
            "gen_ai.usage.completion_tokens": 5,
        },
        error=True,
    )
    span("GET /health", {"http.request.method": "GET", "http.response.status_code": 200})  # ignored
    span(  # an agent span sums its children's usage: ignored, never double-counted
        "invoke_agent planner",
        {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.usage.input_tokens": 1010,
            "gen_ai.usage.output_tokens": 105,
        },
    )
    provider.shutdown()
    return list(memory.get_finished_spans())


def exporter(server: LiveServer, key: str, **kwargs: Any) -> OTLPSpanExporter:
    return OTLPSpanExporter(
        endpoint=f"{server.url}/v1/traces", headers={"Authorization": f"Bearer {key}"}, timeout=30, **kwargs
    )


def test_sdk_exporter_protobuf_to_costed_events(server: LiveServer) -> None:
    key = server.key("ana@example.com", project="web")
    spans = make_spans()
    exp = exporter(server, key)
    assert exp.export(spans) == SpanExportResult.SUCCESS
    events = {e.model: e for e in server.store.iter_events()}
    assert set(events) == {"gpt-4o-2024-08-06", "gpt-4o-mini"}
    chat = events["gpt-4o-2024-08-06"]
    trace_id = format(spans[0].context.trace_id, "032x")
    span_id = format(spans[0].context.span_id, "016x")
    assert chat.event_id == f"otel_{trace_id}_{span_id}"
    assert chat.project == "web" and chat.provider == "openai"
    assert chat.occurred_at == END and chat.latency_ms == 1250
    assert (chat.env, chat.user_id, chat.feature) == ("prod", "u-9", "search")
    assert chat.tags == {"service": "checkout", "operation": "chat"}
    assert chat.request_id == "chatcmpl-1" and chat.status == "ok"
    assert (chat.usage.input_tokens, chat.usage.cache_read_input_tokens, chat.usage.output_tokens) == (
        1000,
        200,
        100,
    )
    # 800 uncached + 200 cache reads + 100 output at gpt-4o's rates, priced by the server.
    assert chat.cost_status == "priced" and chat.cost_usd == Decimal("0.00325")
    mini = events["gpt-4o-mini"]
    assert mini.status == "error" and mini.usage.input_tokens == 10 and mini.cost_status == "priced"

    # The exporter retries the same spans (and gzip on the wire): stored once.
    assert exporter(server, key, compression=Compression.Gzip).export(spans) == SpanExportResult.SUCCESS
    assert server.store.count_events() == 2
    assert totals(server.store, PERIOD).requests == 2
    report = build_report(server.store, PERIOD)
    assert report is not None


def test_protobuf_partial_success_and_project_from_resource(server: LiveServer) -> None:
    key = server.key("ana@example.com")  # not scoped: the project comes from the resource
    server.key("ana@example.com", project="mobile")
    spans = make_spans({"service.name": "app", "tokenbudget.project": "mobile"})
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    bad = provider.get_tracer("t").start_span("chat", attributes={"gen_ai.request.model": "gpt-4o"})
    bad.end()
    body = encode_spans([*spans, *memory.get_finished_spans()]).SerializeToString()
    with server.client(key) as client:
        response = client.post("/v1/traces", content=body, headers={"Content-Type": "application/x-protobuf"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    parsed = ExportTraceServiceResponse.FromString(response.content)
    # The span without usage has no resource project either; it is rejected for its usage first.
    assert parsed.partial_success.rejected_spans == 1
    assert "no token usage" in parsed.partial_success.error_message
    assert {e.project for e in server.store.iter_events()} == {"mobile"}
    assert server.store.count_events() == 2


def otlp_json(spans: list[dict[str, Any]], resource: dict[str, Any] | None = None) -> dict[str, Any]:
    attrs = [
        {"key": k, "value": {"stringValue": v}} for k, v in (resource or {"service.name": "svc"}).items()
    ]
    return {
        "resourceSpans": [
            {"resource": {"attributes": attrs}, "scopeSpans": [{"scope": {"name": "hand"}, "spans": spans}]}
        ]
    }


def json_span(n: int, attributes: dict[str, Any]) -> dict[str, Any]:
    return {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": f"{n:016x}",
        "name": f"span {n}",
        "kind": 3,
        "startTimeUnixNano": str(START_NS),
        "endTimeUnixNano": END_NS,  # a number here, a string above: both are valid OTLP/JSON
        "attributes": [{"key": k, "value": v} for k, v in attributes.items()],
        "status": {"code": 1},
    }


MIXED = otlp_json(
    [
        json_span(
            1,
            {
                "llm.model_name": {"stringValue": "gpt-4o"},
                "llm.provider": {"stringValue": "openai"},
                "openinference.span.kind": {"stringValue": "LLM"},
                "llm.token_count.prompt": {"intValue": "1000"},
                "llm.token_count.completion": {"intValue": 100},
                "llm.token_count.prompt_details.cache_read": {"intValue": "200"},
            },
        ),
        json_span(2, {"gen_ai.request.model": {"stringValue": "gpt-4o"}}),  # no usage: rejected
        json_span(3, {"gen_ai.usage.input_tokens": {"intValue": "5"}}),  # no model: rejected
        json_span(4, {"db.system": {"stringValue": "postgresql"}}),  # not GenAI: ignored
        json_span(
            5,
            {"openinference.span.kind": {"stringValue": "CHAIN"}, "llm.token_count.prompt": {"intValue": 9}},
        ),
    ]
)


def test_json_gzip_mixed_spans_partial_success(server: LiveServer) -> None:
    key = server.key("ana@example.com", project="web")
    raw = gzip.compress(json.dumps(MIXED).encode())
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    with server.client(key) as client:
        first = client.post("/v1/traces", content=raw, headers=headers)
        again = client.post("/v1/traces", content=raw, headers=headers)
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    partial = first.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "2"
    assert "2 GenAI span(s) rejected" in partial["errorMessage"]
    assert "no token usage" in partial["errorMessage"] and "no model name" in partial["errorMessage"]
    assert again.status_code == 200
    events = list(server.store.iter_events())
    assert len(events) == 1
    assert events[0].event_id == f"otel_5b8efff798038103d269b633813fc60c_{1:016x}"
    assert events[0].cost_usd == Decimal("0.00325") and events[0].tags == {"service": "svc"}


def test_json_full_success_is_an_empty_response(server: LiveServer) -> None:
    key = server.key("ana@example.com", project="web")
    body = otlp_json([MIXED["resourceSpans"][0]["scopeSpans"][0]["spans"][0]])
    with server.client(key) as client:
        response = client.post("/v1/traces", json=body)
        nothing = client.post("/v1/traces", json={})
    assert response.status_code == 200 and response.json() == {}
    assert nothing.status_code == 200 and nothing.json() == {}
    assert server.store.count_events() == 1


def test_undecodable_bodies_are_400_in_the_request_encoding(server: LiveServer) -> None:
    from google.rpc.status_pb2 import Status as RpcStatus

    key = server.key("ana@example.com", project="web")
    pb = {"Content-Type": "application/x-protobuf"}
    with server.client(key) as client:
        garbage_pb = client.post("/v1/traces", content=b"not a protobuf \xff\xff", headers=pb)
        garbage_json = client.post(
            "/v1/traces", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        wrong_shape = client.post("/v1/traces", json={"resourceSpans": {"a": 1}})
        bad_id = client.post("/v1/traces", json=otlp_json([{**json_span(1, {}), "traceId": "xyz"}]))
        truncated = client.post(
            "/v1/traces", content=gzip.compress(b"{}")[:-6], headers={**pb, "Content-Encoding": "gzip"}
        )
        unsupported = client.post("/v1/traces", content=b"x", headers={"Content-Type": "text/plain"})
    assert garbage_pb.status_code == 400
    status = RpcStatus.FromString(garbage_pb.content)
    assert status.code == 3 and "malformed OTLP protobuf" in status.message
    assert garbage_json.status_code == 400 and garbage_json.json()["message"].startswith(
        "malformed OTLP JSON"
    )
    assert wrong_shape.status_code == 400 and bad_id.status_code == 400
    assert "not hex" in bad_id.json()["message"]
    assert truncated.status_code == 400 and "gzip" in RpcStatus.FromString(truncated.content).message
    assert unsupported.status_code == 415
    assert server.store.count_events() == 0


def test_oversized_bodies_are_413_also_after_inflation(make_server) -> None:
    server = make_server(max_body_bytes=5_000)
    key = server.key("ana@example.com", project="web")
    raw = json.dumps(otlp_json([json_span(i, {"x": {"stringValue": "y" * 100}}) for i in range(40)])).encode()
    assert len(raw) > 5_000
    bomb = gzip.compress(raw)
    assert len(bomb) < 5_000
    with server.client(key) as client:
        plain = client.post("/v1/traces", content=raw, headers={"Content-Type": "application/json"})
        inflated = client.post(
            "/v1/traces",
            content=bomb,
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
    assert plain.status_code == 413 and inflated.status_code == 413
    assert "5000 bytes" in inflated.json()["message"]


def test_auth_and_rate_limit(make_server) -> None:
    server = make_server(rate_limit_per_minute=1)
    key = server.key("ana@example.com", project="web")
    with server.client() as anonymous:
        assert anonymous.post("/v1/traces", json={}).status_code == 401
    spans = make_spans()
    assert exporter(server, key).export(spans) == SpanExportResult.SUCCESS
    with server.client(key) as client:
        limited = client.post("/v1/traces", json={})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
