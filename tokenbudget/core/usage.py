"""The canonical usage record (DESIGN.md, "Usage and cost").

Totals are inclusive: `input_tokens` counts cache reads and writes, `output_tokens` counts reasoning.
Every source (SDK, OTLP, REST, import) is normalised to this shape before it is priced or stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from tokenbudget.core.errors import InvalidUsageError

ServiceTier = Literal["standard", "batch", "flex", "priority"]
SERVICE_TIERS: tuple[str, ...] = get_args(ServiceTier)

TOKEN_FIELDS: tuple[str, ...] = (
    "input_tokens",
    "cache_read_input_tokens",
    "cache_write_input_tokens",
    "cache_write_1h_input_tokens",
    "output_tokens",
    "reasoning_tokens",
)


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one call. Validated on construction; raises `InvalidUsageError`."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_write_input_tokens: int = 0
    cache_write_1h_input_tokens: int = 0
    reasoning_tokens: int = 0
    service_tier: ServiceTier = "standard"

    def __post_init__(self) -> None:
        for name in TOKEN_FIELDS:
            value = getattr(self, name)
            # `type is int` first: the common case in one check (bool is an int subclass and is refused below).
            if type(value) is not int and (isinstance(value, bool) or not isinstance(value, int)):
                raise InvalidUsageError(f"{name} must be a whole number, got {value!r}")
            if value < 0:
                raise InvalidUsageError(f"{name} must not be negative, got {value}")
        cached = self.cache_read_input_tokens + self.cache_write_input_tokens
        if cached > self.input_tokens:
            raise InvalidUsageError(
                f"cache_read_input_tokens + cache_write_input_tokens ({cached}) exceed input_tokens "
                f"({self.input_tokens}); input_tokens must include cached tokens"
            )
        if self.cache_write_1h_input_tokens > self.cache_write_input_tokens:
            raise InvalidUsageError(
                f"cache_write_1h_input_tokens ({self.cache_write_1h_input_tokens}) exceed "
                f"cache_write_input_tokens ({self.cache_write_input_tokens}); the 1-hour part is included in it"
            )
        if self.reasoning_tokens > self.output_tokens:
            raise InvalidUsageError(
                f"reasoning_tokens ({self.reasoning_tokens}) exceed output_tokens ({self.output_tokens}); "
                "output_tokens must include reasoning"
            )
        if self.service_tier not in SERVICE_TIERS:
            raise InvalidUsageError(
                f"service_tier must be one of {', '.join(SERVICE_TIERS)}, got {self.service_tier!r}"
            )

    @property
    def uncached_input_tokens(self) -> int:
        return self.input_tokens - self.cache_read_input_tokens - self.cache_write_input_tokens

    @property
    def cache_write_5m_input_tokens(self) -> int:
        return self.cache_write_input_tokens - self.cache_write_1h_input_tokens

    @property
    def text_output_tokens(self) -> int:
        """Output tokens that are not reasoning."""
        return self.output_tokens - self.reasoning_tokens

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens
