"""`CostBreakdown` and the arithmetic that fills it. Exact Decimal throughout; no float ever enters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tokenbudget.core.pricing.rates import RateSet
from tokenbudget.core.usage import Usage


@dataclass(frozen=True)
class CostBreakdown:
    """What one call cost, part by part, and the rates that priced it. All amounts in USD."""

    model_key: str
    provider: str | None
    price_version: str
    service_tier: str
    tier_threshold: int | None
    uncached_input: Decimal
    cache_read: Decimal
    cache_write: Decimal
    output: Decimal
    reasoning: Decimal
    rate_set: RateSet

    @property
    def rates(self) -> Mapping[str, Decimal]:
        """The rates that priced it, by name (built on demand: the ingest hot path never reads them)."""
        return self.rate_set.as_dict()

    @property
    def total(self) -> Decimal:
        return self.uncached_input + self.cache_read + self.cache_write + self.output + self.reasoning

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: every amount and rate as a plain decimal string (never exponent notation, never a float)."""
        return {
            "model_key": self.model_key,
            "provider": self.provider,
            "price_version": self.price_version,
            "service_tier": self.service_tier,
            "tier_threshold": self.tier_threshold,
            "uncached_input": _plain(self.uncached_input),
            "cache_read": _plain(self.cache_read),
            "cache_write": _plain(self.cache_write),
            "output": _plain(self.output),
            "reasoning": _plain(self.reasoning),
            "total": _plain(self.total),
            "rates": {name: _plain(rate) for name, rate in self.rates.items()},
        }


def _plain(value: Decimal) -> str:
    # normalize() drops the trailing zeros that exact multiplication leaves ("0.04410000" -> "0.0441", 0E-8 -> "0").
    return format(value.normalize(), "f")


def compute_cost(
    *,
    model_key: str,
    provider: str | None,
    price_version: str,
    usage: Usage,
    tier_threshold: int | None,
    rates: RateSet,
) -> CostBreakdown:
    write_1h = usage.cache_write_1h_input_tokens
    return CostBreakdown(
        model_key=model_key,
        provider=provider,
        price_version=price_version,
        service_tier=usage.service_tier,
        tier_threshold=tier_threshold,
        uncached_input=usage.uncached_input_tokens * rates.input,
        cache_read=usage.cache_read_input_tokens * rates.cache_read,
        cache_write=usage.cache_write_5m_input_tokens * rates.cache_write + write_1h * rates.cache_write_1h,
        output=usage.text_output_tokens * rates.output,
        reasoning=usage.reasoning_tokens * rates.reasoning,
        rate_set=rates,
    )
