"""OpenAI: chat completions (create/parse/stream), responses (create/parse/stream), embeddings, legacy completions.

Usage mapping (DESIGN.md): `prompt_tokens` / `input_tokens` already include cached tokens; `cached_tokens` are cache
reads, `cache_write_tokens` cache writes; `completion_tokens` / `output_tokens` include `reasoning_tokens`.
Never imports `openai` (nor its HTTP library): everything is read by attribute.
"""

from __future__ import annotations

from typing import Any

from tokenbudget.sdk.capture import CallInfo

_TIERS = {"flex": "flex", "priority": "priority", "batch": "batch"}


def _n(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def canonical_usage(
    input_tokens: int, cache_read: int, cache_write: int, output_tokens: int, reasoning: int
) -> dict[str, int]:
    """Clamp parts into their totals, so a provider's rounding quirk never makes the event invalid."""
    cache_read = min(cache_read, input_tokens)
    cache_write = min(cache_write, input_tokens - cache_read)
    return {
        "input_tokens": input_tokens,
        "cache_read_input_tokens": cache_read,
        "cache_write_input_tokens": cache_write,
        "output_tokens": output_tokens,
        "reasoning_tokens": min(reasoning, output_tokens),
    }


def usage_from(usage: Any) -> dict[str, int]:
    if usage is None:
        return {}
    if hasattr(usage, "prompt_tokens"):  # chat completions, completions, embeddings
        details = getattr(usage, "prompt_tokens_details", None)
        out_details = getattr(usage, "completion_tokens_details", None)
        return canonical_usage(
            _n(usage.prompt_tokens),
            _n(getattr(details, "cached_tokens", 0)),
            _n(getattr(details, "cache_write_tokens", 0)),
            _n(getattr(usage, "completion_tokens", 0)),
            _n(getattr(out_details, "reasoning_tokens", 0)),
        )
    details = getattr(usage, "input_tokens_details", None)  # responses
    out_details = getattr(usage, "output_tokens_details", None)
    return canonical_usage(
        _n(getattr(usage, "input_tokens", 0)),
        _n(getattr(details, "cached_tokens", 0)),
        _n(getattr(details, "cache_write_tokens", 0)),
        _n(getattr(usage, "output_tokens", 0)),
        _n(getattr(out_details, "reasoning_tokens", 0)),
    )


def service_tier(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return _TIERS.get(value, "standard")


def info_from(obj: Any) -> CallInfo:
    return CallInfo(
        model=getattr(obj, "model", None) or None,
        usage=usage_from(getattr(obj, "usage", None)),
        request_id=getattr(obj, "_request_id", None),
        service_tier=service_tier(getattr(obj, "service_tier", None)),
    )


class ChatStreamObserver:
    """Chat (and legacy) completion chunks: usage arrives in a last chunk with no choices."""

    def __init__(self, hide_usage: bool) -> None:
        self.hide_usage = hide_usage
        self.complete = False
        self.model: str | None = None
        self.usage: dict[str, int] = {}
        self.tier: str | None = None

    def observe(self, chunk: Any) -> bool:
        model = getattr(chunk, "model", None)
        if model:
            self.model = model
        tier = getattr(chunk, "service_tier", None)
        if tier:
            self.tier = service_tier(tier)
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.usage = usage_from(usage)
            self.complete = True
            if self.hide_usage and not getattr(chunk, "choices", None):
                return False
        return True

    def info(self) -> CallInfo:
        return CallInfo(model=self.model, usage=self.usage, service_tier=self.tier)


class ResponsesStreamObserver:
    """Responses API events: the final `response.completed` (or `.incomplete` / `.failed`) carries the usage."""

    FINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})

    def __init__(self) -> None:
        self.complete = False
        self.model: str | None = None
        self.usage: dict[str, int] = {}
        self.tier: str | None = None

    def observe(self, event: Any) -> bool:
        response = getattr(event, "response", None)
        if response is not None:
            self.model = getattr(response, "model", None) or self.model
            self.tier = service_tier(getattr(response, "service_tier", None)) or self.tier
            usage = getattr(response, "usage", None)
            if usage is not None:
                self.usage = usage_from(usage)
            if getattr(event, "type", None) in self.FINAL:
                self.complete = True
        return True

    def info(self) -> CallInfo:
        return CallInfo(model=self.model, usage=self.usage, service_tier=self.tier)


class OpenAIAdapter:
    provider = "openai"

    def __init__(self, provider: str = "openai") -> None:
        self.provider = provider

    def wants(self, path: str) -> bool:
        path = path.split("?", 1)[0].rstrip("/")
        return path.endswith(("/chat/completions", "/responses", "/embeddings")) or path == "/completions"

    def prepare(self, path: str, body: Any) -> tuple[Any, bool]:
        # Chat streams report usage only when asked: ask, and hide the extra chunk from the caller.
        if (
            not isinstance(body, dict)
            or body.get("stream") is not True
            or path.rstrip("/").endswith("/responses")
        ):
            return body, False
        options = body.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage"):
            return body, False
        new_options = dict(options) if isinstance(options, dict) else {}
        new_options["include_usage"] = True
        return {**body, "stream_options": new_options}, True

    def from_response(self, response: Any) -> CallInfo:
        return info_from(response)

    def observer(self, path: str, hide_usage: bool) -> Any:
        if path.split("?", 1)[0].rstrip("/").endswith("/responses"):
            return ResponsesStreamObserver()
        return ChatStreamObserver(hide_usage)
