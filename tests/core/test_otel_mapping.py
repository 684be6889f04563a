"""core.otel_mapping: every accepted attribute convention, provider spellings, the inclusive-input rule, tags."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from tokenbudget.core.errors import InvalidEventError
from tokenbudget.core.events import parse_event
from tokenbudget.core.otel_mapping import OtelSpan, event_id_for, map_span, normalise_provider

TRACE = "0af7651916cd43dd8448eb211c80319c"
SPAN = "b7ad6b7169203331"
END_NS = 1_795_000_000_123_456_789


def span(attributes: dict[str, Any], resource: dict[str, Any] | None = None, **fields: Any) -> OtelSpan:
    return OtelSpan(
        trace_id=TRACE,
        span_id=SPAN,
        name="chat",
        start_time_unix_nano=END_NS - 2_000_000_000,
        end_time_unix_nano=END_NS,
        attributes=attributes,
        resource_attributes=resource or {},
        **fields,
    )


def usage(event: dict[str, Any]) -> tuple[int, ...]:
    return tuple(
        event[k]
        for k in (
            "input_tokens",
            "cache_read_input_tokens",
            "cache_write_input_tokens",
            "output_tokens",
            "reasoning_tokens",
        )
    )


def test_current_genai_conventions() -> None:
    event = map_span(
        span(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "o3",
                "gen_ai.response.model": "o3-2025-04-16",
                "gen_ai.response.id": "resp_1",
                "gen_ai.usage.input_tokens": 1200,
                "gen_ai.usage.cache_read.input_tokens": 1000,
                "gen_ai.usage.cache_write.input_tokens": 100,
                "gen_ai.usage.output_tokens": 300,
                "gen_ai.usage.reasoning.output_tokens": 200,
                "gen_ai.openai.response.service_tier": "default",
            }
        )
    )
    assert event is not None
    assert event["model"] == "o3-2025-04-16"  # the response model (what ran) wins over the requested one
    assert event["provider"] == "openai" and event["request_id"] == "resp_1"
    assert usage(event) == (1200, 1000, 100, 300, 200)  # inclusive as reported: nothing added
    assert event["service_tier"] == "standard" and event["status"] == "ok"
    assert event["event_id"] == event_id_for(TRACE, SPAN) == f"otel_{TRACE}_{SPAN}"
    assert event["occurred_at"] == datetime(2026, 11, 18, 11, 6, 40, 123456, tzinfo=timezone.utc)
    assert event["latency_ms"] == 2000
    assert event["tags"] == {"operation": "chat"}
    inp = parse_event(event)  # what the server validates
    assert inp.usage.input_tokens == 1200 and inp.event_id == event["event_id"]


def test_cache_creation_name_and_deprecated_names() -> None:
    event = map_span(
        span(
            {
                "gen_ai.system": "az.ai.openai",
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.usage.prompt_tokens": "50",  # string and float counts are accepted
                "gen_ai.usage.completion_tokens": 7.0,
                "gen_ai.usage.cache_creation.input_tokens": 20,
            }
        )
    )
    assert event is not None and event["provider"] == "azure"
    assert usage(event) == (50, 0, 20, 7, 0)


def test_openllmetry_names() -> None:
    event = map_span(
        span(
            {
                "gen_ai.system": "Anthropic",
                "gen_ai.request.model": "claude-sonnet-4-5",
                "gen_ai.usage.input_tokens": 1500,  # OpenLLMetry reports it inclusive
                "gen_ai.usage.output_tokens": 80,
                "gen_ai.usage.cache_read_input_tokens": 1000,
                "gen_ai.usage.cache_creation_input_tokens": 400,
                "gen_ai.usage.reasoning_tokens": 30,
                "llm.usage.total_tokens": 1580,
                "llm.request.type": "chat",
            }
        )
    )
    assert event is not None and event["provider"] == "anthropic"
    assert usage(event) == (1500, 1000, 400, 80, 30)
    assert event["tags"] == {"operation": "chat"}


def test_openinference_names() -> None:
    event = map_span(
        span(
            {
                "openinference.span.kind": "LLM",
                "llm.model_name": "gemini-2.5-pro",
                "llm.provider": "google",
                "llm.system": "vertexai",
                "llm.token_count.prompt": 900,
                "llm.token_count.completion": 60,
                "llm.token_count.prompt_details.cache_read": 300,
                "llm.token_count.prompt_details.cache_write": 100,
                "llm.token_count.completion_details.reasoning": 20,
            }
        )
    )
    assert event is not None and event["provider"] == "gemini"  # llm.provider comes before llm.system
    assert usage(event) == (900, 300, 100, 60, 20)


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("az.ai.openai", "azure"),
        ("azure.ai.openai", "azure"),
        ("gcp.vertex_ai", "vertex_ai"),
        ("gcp.gemini", "gemini"),
        ("aws.bedrock", "bedrock"),
        ("Anthropic", "anthropic"),
        (" OpenAI ", "openai"),
        ("mistral_ai", "mistral"),
        ("x_ai", "xai"),
        ("some.new.provider", "some.new.provider"),
        ("", None),
    ],
)
def test_provider_spellings(spelling: str, expected: str | None) -> None:
    assert normalise_provider(spelling) == expected


ANTHROPIC_RAW = {
    "gen_ai.provider.name": "anthropic",
    "gen_ai.request.model": "claude-sonnet-4-5",
    "gen_ai.usage.input_tokens": 50,
    "gen_ai.usage.output_tokens": 10,
    "gen_ai.usage.cache_read.input_tokens": 30,
    "gen_ai.usage.cache_creation.input_tokens": 5,
}


def test_inclusive_input_is_never_inflated_for_the_provider_alone() -> None:
    event = map_span(span(ANTHROPIC_RAW))  # could be either; the conventions say inclusive
    assert event is not None and usage(event)[:3] == (50, 30, 5)


def test_exclusive_input_declared_by_the_span_or_resource() -> None:
    on_span = map_span(span({**ANTHROPIC_RAW, "tokenbudget.input_tokens_exclusive": True}))
    on_resource = map_span(span(ANTHROPIC_RAW, {"tokenbudget.input_tokens_exclusive": "true"}))
    declined = map_span(
        span({**ANTHROPIC_RAW, "gen_ai.usage.input_tokens": 10, "tokenbudget.input_tokens_exclusive": False})
    )
    assert on_span is not None and usage(on_span)[:3] == (85, 30, 5)
    assert on_resource is not None and usage(on_resource)[:3] == (85, 30, 5)
    # Declared inclusive but inconsistent: parse_event then rejects it, nothing is guessed.
    assert declined is not None and declined["input_tokens"] == 10
    with pytest.raises(InvalidEventError, match="exceed input_tokens"):
        parse_event(declined)


def test_exclusive_input_proven_by_the_counts() -> None:
    # Cache reads larger than the input count: impossible for an inclusive count.
    proven = map_span(
        span({**ANTHROPIC_RAW, "gen_ai.usage.input_tokens": 3, "gen_ai.usage.cache_read.input_tokens": 1000})
    )
    assert proven is not None and usage(proven)[:3] == (1008, 1000, 5)
    # A total that counts the cache on top of input + output.
    by_total = map_span(span({**ANTHROPIC_RAW, "gen_ai.usage.total_tokens": 95}))
    assert by_total is not None and by_total["input_tokens"] == 85
    # A total equal to input + output: inclusive, unchanged.
    inclusive_total = map_span(span({**ANTHROPIC_RAW, "llm.usage.total_tokens": 60}))
    assert inclusive_total is not None and inclusive_total["input_tokens"] == 50


def test_a_total_fills_the_missing_side() -> None:
    event = map_span(
        span(
            {"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 40, "llm.usage.total_tokens": 55}
        )
    )
    assert event is not None and (event["input_tokens"], event["output_tokens"]) == (40, 15)


def test_embedding_with_input_only() -> None:
    event = map_span(
        span(
            {
                "gen_ai.operation.name": "embeddings",
                "gen_ai.request.model": "text-embedding-3-small",
                "gen_ai.usage.input_tokens": 8,
            }
        )
    )
    assert event is not None and (event["input_tokens"], event["output_tokens"]) == (8, 0)


def test_tags_from_span_and_resource() -> None:
    resource = {
        "service.name": "checkout",
        "deployment.environment": "staging",
        "user.id": "u-resource",
        "tokenbudget.project": "web",
        "tokenbudget.feature": "from-resource",
    }
    event = map_span(
        span(
            {
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.usage.input_tokens": 1,
                "tokenbudget.feature": "search",
                "enduser.id": "u-1",
            },
            resource,
        )
    )
    assert event is not None
    assert event["project"] == "web" and event["feature"] == "search"  # the span wins over the resource
    assert event["env"] == "staging" and event["user_id"] == "u-resource"  # user.id comes before enduser.id
    assert event["tags"] == {"service": "checkout"}
    newer = map_span(
        span(
            {"gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 1, "tokenbudget.user_id": "explicit"},
            {"deployment.environment.name": "prod", "deployment.environment": "old", "enduser.id": "e"},
        )
    )
    assert newer is not None and newer["env"] == "prod" and newer["user_id"] == "explicit"


def test_error_status_and_missing_end_time() -> None:
    event = map_span(
        OtelSpan(
            TRACE,
            SPAN,
            attributes={"gen_ai.request.model": "m", "gen_ai.usage.output_tokens": 1},
            status_code=2,
        )
    )
    assert event is not None and event["status"] == "error"
    assert "occurred_at" not in event and "latency_ms" not in event


@pytest.mark.parametrize(
    "attributes",
    [
        {"http.request.method": "GET"},
        {},
        {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.usage.input_tokens": 100,
            "gen_ai.request.model": "m",
        },
        {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"},
        {"openinference.span.kind": "CHAIN", "llm.token_count.prompt": 5, "llm.model_name": "m"},
        {"traceloop.span.kind": "workflow", "gen_ai.usage.input_tokens": 5, "gen_ai.request.model": "m"},
    ],
)
def test_spans_that_are_not_model_calls_are_ignored(attributes: dict[str, Any]) -> None:
    assert map_span(span(attributes)) is None


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [
        ({"gen_ai.request.model": "gpt-4o"}, "no token usage"),
        ({"gen_ai.provider.name": "openai", "gen_ai.operation.name": "chat"}, "no token usage"),
        ({"gen_ai.usage.input_tokens": 5}, "no model name"),
        ({"gen_ai.request.model": "m", "gen_ai.usage.input_tokens": -1}, "non-negative whole number"),
        ({"gen_ai.request.model": "m", "gen_ai.usage.input_tokens": "many"}, "non-negative whole number"),
        ({"gen_ai.request.model": "m", "gen_ai.usage.input_tokens": True}, "non-negative whole number"),
    ],
)
def test_genai_spans_without_usable_usage_are_rejected(attributes: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidEventError, match=reason) as info:
        map_span(span(attributes))
    assert SPAN in str(info.value) and "'chat'" in str(info.value)


def test_spans_without_valid_ids_are_rejected() -> None:
    attributes = {"gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 1}
    with pytest.raises(InvalidEventError, match="no valid trace id"):
        map_span(OtelSpan("0" * 32, SPAN, attributes=attributes))
    with pytest.raises(InvalidEventError, match="no valid trace id"):
        map_span(OtelSpan(TRACE, "", attributes=attributes))
