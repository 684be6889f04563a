"""`ModelPrice`: one entry of a price book, read from a LiteLLM table row or a custom price."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from types import MappingProxyType
from typing import Any

from tokenbudget.core.errors import PriceDataError
from tokenbudget.core.pricing.rates import (
    BASE_KEYS,
    IMAGE_OUTPUT_KEY,
    SERVICE_TIER_SUFFIXES,
    TIER_KEY,
    RatePlan,
    build_plan,
    parse_threshold,
    plan_from_tiered_pricing,
)

MILLION = Decimal(1_000_000)

# Keys a token-priced entry needs, in any tier/service-tier spelling. Everything else priced per token
# (audio/image/video tokens) is a refinement we do not bill separately yet.
_RATE_KEY = re.compile(
    r"^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|cache_creation_input_token_cost"
    r"|output_cost_per_reasoning_token|output_cost_per_image_token)"
    r"(_above_1hr)?(_above_\d+k?_tokens)?(_batches|_flex|_priority)?$"
)
# Non-token cost keys, in the order we name them when an entry has no token price.
_UNPRICED_REASONS: tuple[tuple[str, str], ...] = (
    ("image", "priced per image"),
    ("pixel", "priced per image"),
    ("per_second", "priced per second of audio/video"),
    ("per_character", "priced per character"),
    ("per_page", "priced per page"),
    ("per_query", "priced per query"),
    ("per_request", "priced per request"),
    ("per_unit", "priced per unit"),
)


def is_rate_key(key: str) -> bool:
    return _RATE_KEY.match(key) is not None


def to_decimal(value: Any, where: str) -> Decimal:
    """A JSON number (ideally already a Decimal from parse_float=Decimal) as an exact, finite, non-negative Decimal."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise PriceDataError(f"{where}: expected a number, got {value!r}")
    try:
        # str() first so that a float 1.25e-06 becomes Decimal('0.00000125'), not its binary approximation.
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise PriceDataError(f"{where}: not a number: {value!r}") from None
    if not number.is_finite() or number < 0:
        raise PriceDataError(f"{where}: must be a finite, non-negative number, got {value!r}")
    return number


@dataclass(frozen=True)
class PriceTier:
    """Long-context tier: rates that replace the base ones when input_tokens exceeds `threshold_tokens`."""

    threshold_tokens: int
    rates: Mapping[str, Decimal]


@dataclass(frozen=True)
class ModelPrice:
    key: str
    provider: str | None
    mode: str | None
    input: Decimal | None
    output: Decimal | None
    cache_read: Decimal | None
    cache_write: Decimal | None
    cache_write_1h: Decimal | None
    reasoning: Decimal | None
    tiers: tuple[PriceTier, ...]
    service_tiers: Mapping[str, Mapping[str, Decimal]]
    token_priced: bool
    unpriced_reason: str | None
    source: str
    max_input_tokens: int | None
    max_output_tokens: int | None
    # Beyond the agreed fields: every raw rate key of the entry (for plans and hashing), the alias target if the
    # entry was reached through `alias_of`, and the price version of a custom price (None for table entries).
    raw_rates: Mapping[str, Decimal] = field(default_factory=dict, repr=False, compare=False)
    tiered_pricing: tuple[tuple[int, Mapping[str, Decimal]], ...] = field(
        default=(), repr=False, compare=False
    )
    version: str | None = None

    def __hash__(self) -> int:
        # The generated hash would hash the rate mappings (unhashable); key, source and revision identify an entry.
        return hash((self.key, self.source, self.version))

    @staticmethod
    def per_million(rate: Decimal | None) -> Decimal | None:
        """USD per million tokens, for display."""
        return None if rate is None else (rate * MILLION).normalize()

    @cached_property
    def _plans(self) -> dict[str, RatePlan]:
        # Built on first use per model; cached_property writes to the instance dict, which frozen dataclasses allow.
        # Two threads racing here at worst both build the same immutable plan: no lock needed.
        return {}

    def plan(self, service_tier: str) -> RatePlan:
        plans = self._plans
        plan = plans.get(service_tier)
        if plan is None:
            if self.tiered_pricing:
                # LiteLLM's tiered tables have no service-tier prices; batch is half, like any model without them.
                plan = plan_from_tiered_pricing(
                    list(self.tiered_pricing), self.raw_rates.get("output_cost_per_token")
                )
                if service_tier == "batch":
                    plan = RatePlan(plan.base.halved(), tuple((t, r.halved()) for t, r in plan.tiers))
            else:
                plan = build_plan(self.raw_rates, service_tier, self.provider)
            plans[service_tier] = plan
        return plan

    @classmethod
    def from_entry(cls, key: str, entry: Mapping[str, Any], *, source: str = "litellm") -> ModelPrice:
        """Read one LiteLLM row. Raises PriceDataError when a field this module relies on is malformed."""
        if not isinstance(entry, Mapping):
            raise PriceDataError(f"{key}: expected an object, got {type(entry).__name__}")
        raw: dict[str, Decimal] = {}
        for name, value in entry.items():
            if is_rate_key(name) and value is not None:
                raw[name] = to_decimal(value, f"{key}.{name}")
        tiered = _read_tiered_pricing(key, entry.get("tiered_pricing"))
        provider = entry.get("litellm_provider")
        mode = entry.get("mode")
        # An image model may carry `output_cost_per_token: 0.0` next to its per-pixel price: that alone is no token price.
        token_priced = bool(tiered) or BASE_KEYS["input"] in raw or bool(raw.get(BASE_KEYS["output"]))
        return cls(
            key=key,
            provider=provider if isinstance(provider, str) else None,
            mode=mode if isinstance(mode, str) else None,
            input=raw.get(BASE_KEYS["input"]),
            output=raw.get(BASE_KEYS["output"], raw.get(IMAGE_OUTPUT_KEY)),
            cache_read=raw.get(BASE_KEYS["cache_read"]),
            cache_write=raw.get(BASE_KEYS["cache_write"]),
            cache_write_1h=raw.get(BASE_KEYS["cache_write_1h"]),
            reasoning=raw.get(BASE_KEYS["reasoning"]),
            tiers=_standard_tiers(raw, tiered),
            service_tiers=_service_tiers(raw),
            token_priced=token_priced,
            unpriced_reason=None if token_priced else unpriced_reason(entry),
            source=source,
            max_input_tokens=_int_or_none(entry.get("max_input_tokens")),
            max_output_tokens=_int_or_none(entry.get("max_output_tokens")),
            raw_rates=MappingProxyType(raw),
            tiered_pricing=tiered,
        )


def unpriced_reason(entry: Mapping[str, Any]) -> str:
    cost_keys = [name for name, value in entry.items() if "cost" in name and value is not None]
    tiers = entry.get("tiered_pricing")
    if isinstance(tiers, list):
        cost_keys += [name for tier in tiers if isinstance(tier, Mapping) for name in tier if "cost" in name]
    for needle, reason in _UNPRICED_REASONS:
        if any(needle in name for name in cost_keys):
            return reason
    return "has no price in the table"


def _standard_tiers(
    raw: Mapping[str, Decimal], tiered: tuple[tuple[int, Mapping[str, Decimal]], ...]
) -> tuple[PriceTier, ...]:
    if tiered:
        return tuple(PriceTier(start, _rename(rates)) for start, rates in tiered[1:])
    by_label: dict[str, dict[str, Decimal]] = {}
    for name, value in raw.items():
        match = TIER_KEY.match(name)
        if match and match.group(3) is None:
            rate_name = next(n for n, base in BASE_KEYS.items() if base == match.group(1))
            by_label.setdefault(match.group(2), {})[rate_name] = value
    ordered = sorted(by_label, key=parse_threshold)
    return tuple(PriceTier(parse_threshold(label), MappingProxyType(by_label[label])) for label in ordered)


def _service_tiers(raw: Mapping[str, Decimal]) -> Mapping[str, Mapping[str, Decimal]]:
    out: dict[str, Mapping[str, Decimal]] = {}
    for tier, suffix in SERVICE_TIER_SUFFIXES.items():
        if not suffix:
            continue
        rates = {name: raw[base + suffix] for name, base in BASE_KEYS.items() if base + suffix in raw}
        if rates:
            out[tier] = MappingProxyType(rates)
    return MappingProxyType(out)


def _rename(rates: Mapping[str, Decimal]) -> Mapping[str, Decimal]:
    return MappingProxyType({name: rates[base] for name, base in BASE_KEYS.items() if base in rates})


def _read_tiered_pricing(key: str, value: Any) -> tuple[tuple[int, Mapping[str, Decimal]], ...]:
    """A `tiered_pricing` list as ((range_start, {rate key: rate}), ...) sorted by start; () when absent."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise PriceDataError(f"{key}.tiered_pricing: expected a list")
    tiers: list[tuple[int, Mapping[str, Decimal]]] = []
    for index, tier in enumerate(value):
        where = f"{key}.tiered_pricing[{index}]"
        bounds = tier.get("range") if isinstance(tier, Mapping) else None
        if not isinstance(bounds, list) or len(bounds) != 2:
            continue  # not a token tier (e.g. search priced per query by result count); LiteLLM skips these too
        start = to_decimal(bounds[0], f"{where}.range")
        rates = {
            name: to_decimal(rate, f"{where}.{name}")
            for name, rate in tier.items()
            if name != "range" and is_rate_key(name) and rate is not None
        }
        if "input_cost_per_token" in rates:
            tiers.append((int(start), MappingProxyType(rates)))
    tiers.sort(key=lambda item: item[0])
    return tuple(tiers)


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)) and value == int(value):
        return int(value)
    return None
