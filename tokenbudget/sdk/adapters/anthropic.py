"""Anthropic: messages create / parse / stream (the stream helper posts directly, not through `create`).

Anthropic's `input_tokens` excludes cache reads and writes: canonical input = input + cache read + cache creation,
with the 1-hour part of the writes from `cache_creation.ephemeral_1h_input_tokens`. In a stream, `message_start`
carries the input side and `message_delta` usage is cumulative: assigned, never added.
"""

from __future__ import annotations

from typing import Any

from tokenbudget.sdk.capture import CallInfo

_TIERS = {"priority": "priority", "batch": "batch", "flex": "flex"}
_PARTS = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "output_tokens")


def _n(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


class _Counts:
    """Anthropic's own usage fields, as last reported."""

    def __init__(self) -> None:
        self.values = dict.fromkeys(_PARTS, 0)
        self.write_1h = 0
        self.thinking = 0
        self.tier: str | None = None

    def assign(self, usage: Any) -> None:
        if usage is None:
            return
        for name in _PARTS:
            value = getattr(usage, name, None)
            if value is not None:
                self.values[name] = _n(value)
        creation = getattr(usage, "cache_creation", None)
        if creation is not None:
            self.write_1h = _n(getattr(creation, "ephemeral_1h_input_tokens", 0))
        details = getattr(usage, "output_tokens_details", None)
        if details is not None:
            self.thinking = _n(getattr(details, "thinking_tokens", 0))
        tier = getattr(usage, "service_tier", None)
        if isinstance(tier, str):
            self.tier = _TIERS.get(tier, "standard")

    def canonical(self) -> dict[str, int]:
        v = self.values
        write = v["cache_creation_input_tokens"]
        output = v["output_tokens"]
        return {
            "input_tokens": v["input_tokens"] + v["cache_read_input_tokens"] + write,
            "cache_read_input_tokens": v["cache_read_input_tokens"],
            "cache_write_input_tokens": write,
            "cache_write_1h_input_tokens": min(self.write_1h, write),
            "output_tokens": output,
            "reasoning_tokens": min(self.thinking, output),
        }


def usage_from(usage: Any) -> tuple[dict[str, int], str | None]:
    counts = _Counts()
    counts.assign(usage)
    return counts.canonical(), counts.tier


class MessageStreamObserver:
    def __init__(self) -> None:
        self.complete = False
        self.model: str | None = None
        self.counts = _Counts()
        self.seen_usage = False

    def observe(self, event: Any) -> bool:
        kind = getattr(event, "type", None)
        if kind == "message_start":
            message = getattr(event, "message", None)
            self.model = getattr(message, "model", None) or self.model
            self.counts.assign(getattr(message, "usage", None))
            self.seen_usage = True
        elif kind == "message_delta":
            self.counts.assign(getattr(event, "usage", None))
            self.seen_usage = True
        elif kind == "message_stop":
            self.complete = True
        return True

    def info(self) -> CallInfo:
        usage = self.counts.canonical() if self.seen_usage else {}
        return CallInfo(model=self.model, usage=usage, service_tier=self.counts.tier)


class AnthropicAdapter:
    provider = "anthropic"

    def wants(self, path: str) -> bool:
        return path.split("?", 1)[0].rstrip("/").endswith("/v1/messages")

    def prepare(self, path: str, body: Any) -> tuple[Any, bool]:
        return body, False

    def from_response(self, response: Any) -> CallInfo:
        usage, tier = usage_from(getattr(response, "usage", None))
        return CallInfo(
            model=getattr(response, "model", None) or None,
            usage=usage,
            request_id=getattr(response, "_request_id", None),
            service_tier=tier,
        )

    def observer(self, path: str, hide_usage: bool) -> Any:
        return MessageStreamObserver()
