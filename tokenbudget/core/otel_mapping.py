"""OpenTelemetry GenAI spans -> canonical usage events (pure: no HTTP, no protobuf; see docs/otlp.md).

`map_span(span)` returns the canonical event mapping that `core.events.parse_event` validates, `None` for a span
that is not a model call (ignored, never rejected), or raises `InvalidEventError` for a model-call span without
usable usage (the caller counts it as rejected). Every attribute name in use today is accepted, first match wins:

- current GenAI semantic conventions (`gen_ai.provider.name`, `gen_ai.request.model`, `gen_ai.response.model`,
  `gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens`, `gen_ai.usage.cache_read.input_tokens`,
  `gen_ai.usage.cache_creation.input_tokens` / `gen_ai.usage.cache_write.input_tokens`,
  `gen_ai.usage.reasoning.output_tokens`, `gen_ai.operation.name`, `gen_ai.response.id`);
- deprecated GenAI names (`gen_ai.system`, `gen_ai.usage.prompt_tokens`, `gen_ai.usage.completion_tokens`);
- OpenLLMetry (`gen_ai.usage.reasoning_tokens`, `gen_ai.usage.cache_read_input_tokens`,
  `gen_ai.usage.cache_creation_input_tokens`, `llm.usage.total_tokens`);
- OpenInference (`llm.model_name`, `llm.provider`, `llm.system`, `llm.token_count.prompt`, `.completion`, `.total`,
  `.prompt_details.cache_read`, `.prompt_details.cache_write`, `.completion_details.reasoning`).

Inclusive input (DESIGN.md): the GenAI conventions, OpenLLMetry and OpenInference all define the input count as
INCLUDING cached tokens, so it is taken as reported. Cache reads and writes are added back to it only where the
source is known to report it exclusive (Anthropic's raw `input_tokens`):
  1. the span or its resource says so: `tokenbudget.input_tokens_exclusive = true`;
  2. the counts prove it: cache reads + writes exceed the input count (impossible for an inclusive count);
  3. a reported total (`gen_ai.usage.total_tokens`, `llm.usage.total_tokens`, `llm.token_count.total`) equals
     input + cache reads + cache writes + output, and not input + output.
Nothing else (not the provider name alone) triggers it, so an inclusive source is never counted twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from tokenbudget.core.errors import InvalidEventError

__all__ = ["OtelSpan", "event_id_for", "map_span", "normalise_provider"]

STATUS_ERROR = 2  # OTLP Status.code: 0 unset, 1 ok, 2 error


@dataclass(frozen=True, slots=True)
class OtelSpan:
    """The parts of one OTLP span the mapping reads; ids are lowercase hex, times Unix nanoseconds."""

    trace_id: str
    span_id: str
    name: str = ""
    start_time_unix_nano: int = 0
    end_time_unix_nano: int = 0
    attributes: Mapping[str, Any] = field(default_factory=dict)
    resource_attributes: Mapping[str, Any] = field(default_factory=dict)
    status_code: int = 0


MODEL_KEYS = ("gen_ai.response.model", "gen_ai.request.model", "llm.model_name", "llm.response.model")
PROVIDER_KEYS = ("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system")
INPUT_KEYS = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt")
OUTPUT_KEYS = ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion")
CACHE_READ_KEYS = (
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "llm.token_count.prompt_details.cache_read",
)
CACHE_WRITE_KEYS = (
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_write.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "llm.token_count.prompt_details.cache_write",
)
REASONING_KEYS = (
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.reasoning_tokens",
    "llm.token_count.completion_details.reasoning",
)
TOTAL_KEYS = ("gen_ai.usage.total_tokens", "llm.usage.total_tokens", "llm.token_count.total")
SERVICE_TIER_KEYS = ("gen_ai.openai.response.service_tier", "openai.response.service_tier")
USAGE_KEYS = INPUT_KEYS + OUTPUT_KEYS + CACHE_READ_KEYS + CACHE_WRITE_KEYS + REASONING_KEYS + TOTAL_KEYS
# A span carrying any of these is a GenAI span; all others (HTTP, DB, app spans) are ignored.
GENAI_KEYS = frozenset(MODEL_KEYS + PROVIDER_KEYS + USAGE_KEYS + ("gen_ai.operation.name",))

# Spans that wrap model calls rather than being one: agent spans may carry the SUM of their children's usage
# (counting it would double the cost), tool spans carry none.
NOT_A_MODEL_CALL = frozenset({"invoke_agent", "create_agent", "execute_tool"})
OPENINFERENCE_MODEL_KINDS = frozenset({"LLM", "EMBEDDING"})
TRACELOOP_WRAPPER_KINDS = frozenset({"workflow", "task", "agent", "tool"})

# Provider spellings -> the provider names of the price table (LiteLLM's `litellm_provider`).
PROVIDER_ALIASES = {
    "az.ai.openai": "azure",
    "azure.ai.openai": "azure",
    "azure_openai": "azure",
    "azure": "azure",
    "az.ai.inference": "azure_ai",
    "azure.ai.inference": "azure_ai",
    "gcp.vertex_ai": "vertex_ai",
    "vertex_ai": "vertex_ai",
    "vertexai": "vertex_ai",
    "gcp.gemini": "gemini",
    "gcp.gen_ai": "gemini",
    "gemini": "gemini",
    "google": "gemini",
    "aws.bedrock": "bedrock",
    "aws": "bedrock",
    "bedrock": "bedrock",
    "mistral_ai": "mistral",
    "mistralai": "mistral",
    "x_ai": "xai",
    "ibm.watsonx.ai": "watsonx",
    "cohere": "cohere",
    "deepseek": "deepseek",
    "groq": "groq",
    "perplexity": "perplexity",
    "anthropic": "anthropic",
    "openai": "openai",
}


def normalise_provider(value: Any) -> str | None:
    """`az.ai.openai` -> `azure`, `Anthropic` -> `anthropic`, …; unknown names are kept, lowercased."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().lower()
    return PROVIDER_ALIASES.get(text, text)


def event_id_for(trace_id: str, span_id: str) -> str:
    """Deterministic: an exporter's retry of the same span is a duplicate, never a second call."""
    return f"otel_{trace_id.lower()}_{span_id.lower()}"


def map_span(span: OtelSpan) -> dict[str, Any] | None:
    """The canonical event mapping of one span, None when the span is not a model call (see module doc)."""
    attrs = span.attributes
    if not any(key in GENAI_KEYS for key in attrs):
        return None
    if not _is_model_call(attrs):
        return None
    label = f"span {span.name or '?'!r} ({span.span_id})"
    if not span.trace_id.strip("0") or not span.span_id.strip("0"):
        # Invalid ids (empty or all zeros) would give every such span the same event id.
        raise InvalidEventError(f"{label}: no valid trace id and span id")
    counts = {
        "input": _count(attrs, INPUT_KEYS, label),
        "output": _count(attrs, OUTPUT_KEYS, label),
        "cache_read": _count(attrs, CACHE_READ_KEYS, label),
        "cache_write": _count(attrs, CACHE_WRITE_KEYS, label),
        "reasoning": _count(attrs, REASONING_KEYS, label),
        "total": _count(attrs, TOTAL_KEYS, label),
    }
    _fill_from_total(counts)
    if counts["input"] is None and counts["output"] is None:
        raise InvalidEventError(
            f"{label}: no token usage (expected gen_ai.usage.input_tokens / output_tokens or an accepted alias)"
        )
    model = _first_text(attrs, MODEL_KEYS)
    if model is None:
        raise InvalidEventError(
            f"{label}: no model name (gen_ai.response.model, gen_ai.request.model, llm.model_name)"
        )
    cache_read = counts["cache_read"] or 0
    cache_write = counts["cache_write"] or 0
    input_tokens = counts["input"] or 0
    output_tokens = counts["output"] or 0
    if _input_is_exclusive(span, input_tokens, output_tokens, cache_read, cache_write, counts["total"]):
        input_tokens += cache_read + cache_write
    reasoning = counts["reasoning"] or 0
    both = _merged(span)
    event: dict[str, Any] = {
        "event_id": event_id_for(span.trace_id, span.span_id),
        "occurred_at": _time(span.end_time_unix_nano or span.start_time_unix_nano),
        "model": model,
        "provider": normalise_provider(_first_text(attrs, PROVIDER_KEYS)),
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_read_input_tokens": cache_read,
        "cache_write_input_tokens": cache_write,
        "reasoning_tokens": reasoning,
        "status": "error" if span.status_code == STATUS_ERROR else "ok",
        "request_id": _first_text(attrs, ("gen_ai.response.id",)),
        "project": _first_text(both, ("tokenbudget.project",)),
        "feature": _first_text(both, ("tokenbudget.feature",)),
        "user_id": _first_text(both, ("tokenbudget.user_id", "user.id", "enduser.id")),
        "env": _first_text(
            both, ("tokenbudget.env", "deployment.environment.name", "deployment.environment")
        ),
        "service_tier": _service_tier(_first_text(attrs, SERVICE_TIER_KEYS)),
    }
    if (
        span.end_time_unix_nano
        and span.start_time_unix_nano
        and span.end_time_unix_nano >= span.start_time_unix_nano
    ):
        event["latency_ms"] = (span.end_time_unix_nano - span.start_time_unix_nano) // 1_000_000
    tags = {}
    service = _first_text(both, ("service.name",))
    if service:
        tags["service"] = service
    operation = _first_text(attrs, ("gen_ai.operation.name", "llm.request.type"))
    if operation:
        tags["operation"] = operation
    if tags:
        event["tags"] = tags
    return {k: v for k, v in event.items() if v is not None}


def _is_model_call(attrs: Mapping[str, Any]) -> bool:
    operation = attrs.get("gen_ai.operation.name")
    if isinstance(operation, str) and operation.strip().lower() in NOT_A_MODEL_CALL:
        return False
    kind = attrs.get("openinference.span.kind")
    if isinstance(kind, str) and kind.strip().upper() not in OPENINFERENCE_MODEL_KINDS:
        return False
    traceloop = attrs.get("traceloop.span.kind")
    return not (isinstance(traceloop, str) and traceloop.strip().lower() in TRACELOOP_WRAPPER_KINDS)


def _fill_from_total(counts: dict[str, int | None]) -> None:
    # Only a total and one side: the other side is the difference (never negative).
    total, inp, out = counts["total"], counts["input"], counts["output"]
    if total is None:
        return
    if inp is not None and out is None and total >= inp:
        counts["output"] = total - inp
    elif out is not None and inp is None and total >= out:
        counts["input"] = total - out


def _input_is_exclusive(
    span: OtelSpan, inp: int, out: int, cache_read: int, cache_write: int, total: int | None
) -> bool:
    cached = cache_read + cache_write
    if cached == 0:
        return False
    declared = span.attributes.get("tokenbudget.input_tokens_exclusive")
    if declared is None:
        declared = span.resource_attributes.get("tokenbudget.input_tokens_exclusive")
    if declared is not None:
        return declared is True or (isinstance(declared, str) and declared.strip().lower() in ("true", "1"))
    if cached > inp:
        return True
    return total is not None and total == inp + cached + out and total != inp + out


def _merged(span: OtelSpan) -> dict[str, Any]:
    # Span attributes win over the resource's.
    return {**span.resource_attributes, **span.attributes}


def _first_text(attrs: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = attrs.get(key)
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, (str, int, float)):
            text = str(value).strip()
            if text:
                return text
    return None


def _count(attrs: Mapping[str, Any], keys: tuple[str, ...], label: str) -> int | None:
    for key in keys:
        if key not in attrs:
            continue
        value = attrs[key]
        number: int | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and value.strip().isdigit():
            number = int(value.strip())
        if number is None or number < 0:
            raise InvalidEventError(f"{label}: {key} must be a non-negative whole number, got {value!r}")
        return number
    return None


def _service_tier(value: str | None) -> str | None:
    # OpenAI reports `default` for the standard tier; an unknown tier is priced as standard, not rejected.
    if value is None:
        return None
    text = value.strip().lower()
    return text if text in ("batch", "flex", "priority") else "standard"


def _time(unix_nano: int) -> datetime | None:
    if not unix_nano:
        return None
    seconds, nanos = divmod(unix_nano, 1_000_000_000)
    return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(microsecond=nanos // 1000)
