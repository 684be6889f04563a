"""Turning LiteLLM's flat rate keys into the per-token rates one request is billed at.

LiteLLM spells every variant of a rate as a key: `input_cost_per_token`, `..._priority`, `..._above_200k_tokens`,
`..._above_272k_tokens_batches`, ... This module reads those keys once per (model, service tier) into a `RatePlan`:
the base rates plus one complete `RateSet` per long-context threshold, so pricing a call is a threshold pick and six
multiplications, with no key scanning on the hot path.

Rules follow DESIGN.md "Usage and cost"; where LiteLLM 1.110.2 does something else the comment says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

RATE_NAMES: tuple[str, ...] = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning")

# Our rate name -> LiteLLM's base key (before tier / service-tier suffixes).
BASE_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "input": "input_cost_per_token",
        "output": "output_cost_per_token",
        "cache_read": "cache_read_input_token_cost",
        "cache_write": "cache_creation_input_token_cost",
        "cache_write_1h": "cache_creation_input_token_cost_above_1hr",
        "reasoning": "output_cost_per_reasoning_token",
    }
)
# Image-generation models price their output tokens here when they have no plain output rate (LiteLLM does the same).
IMAGE_OUTPUT_KEY = "output_cost_per_image_token"

SERVICE_TIER_SUFFIXES: Mapping[str, str] = MappingProxyType(
    {"standard": "", "batch": "_batches", "flex": "_flex", "priority": "_priority"}
)
# Every suffix LiteLLM uses for a non-standard tier; a threshold key with one of these is not a standard tier.
_OTHER_SUFFIXES = (
    "_batches",
    "_flex",
    "_priority",
    "_balanced",
    "_fast",
    "_ultrafast",
    "_decisions",
    "_auto",
)

_PREFIXES = "|".join(
    BASE_KEYS[name] for name in ("input", "output", "cache_read", "cache_write_1h", "cache_write")
)
# A long-context key: <prefix>_above_<N>[k]_tokens[_<suffix>]. The 1h-write prefix is listed before the 5m one so
# `cache_creation_input_token_cost_above_1hr_above_200k_tokens` is read as the 1h rate, not as a 5m key.
TIER_KEY = re.compile(rf"^({_PREFIXES})_above_(\d+k?)_tokens(_[a-z]+)?$")

# xAI bills the higher tier once the prompt REACHES the threshold; LiteLLM special-cases it (>=), so do we.
# DESIGN.md says "strictly greater" for everyone; this is the one provider where that would under-bill.
INCLUSIVE_THRESHOLD_PROVIDERS = frozenset({"xai"})
# Fireworks bills cached input at half the input rate; its table rows rarely say so, and LiteLLM fills the missing
# cache-read rate in as input x 0.5 for this provider. DESIGN.md's generic rule (missing cache rate -> input rate)
# would overcharge every cached Fireworks token by 2x, so we follow LiteLLM here too.
DEFAULT_CACHE_READ_RATIO: Mapping[str, Decimal] = MappingProxyType({"fireworks_ai": Decimal("0.5")})


def parse_threshold(label: str) -> int:
    """'200k' -> 200000, '128' -> 128 (LiteLLM accepts both spellings)."""
    return int(label[:-1]) * 1000 if label.endswith("k") else int(label)


@dataclass(frozen=True, slots=True)
class RateSet:
    """USD per token for each part of a request, every fallback already applied."""

    input: Decimal
    cache_read: Decimal
    cache_write: Decimal
    cache_write_1h: Decimal
    output: Decimal
    reasoning: Decimal

    def as_dict(self) -> dict[str, Decimal]:
        return {name: getattr(self, name) for name in RATE_NAMES}

    def halved(self) -> RateSet:
        return RateSet(*(getattr(self, name) / 2 for name in RATE_NAMES))


@dataclass(frozen=True, slots=True)
class RatePlan:
    """Rates of one model under one service tier: `tiers` are (threshold, rates) ascending."""

    base: RateSet
    tiers: tuple[tuple[int, RateSet], ...]
    inclusive: bool = False

    def pick(self, input_tokens: int) -> tuple[int | None, RateSet]:
        chosen: tuple[int | None, RateSet] = (None, self.base)
        for threshold, rates in self.tiers:
            if input_tokens > threshold or (self.inclusive and input_tokens == threshold):
                chosen = (threshold, rates)
            else:
                break
        return chosen


def tier_labels(raw: Mapping[str, Decimal], suffixes: tuple[str, ...]) -> dict[str, int]:
    """Threshold labels of the long-context keys whose suffix is one of `suffixes` ('' = standard)."""
    labels: dict[str, int] = {}
    for key in raw:
        match = TIER_KEY.match(key)
        if match and (match.group(3) or "") in suffixes:
            labels[match.group(2)] = parse_threshold(match.group(2))
    return labels


def _first(*values: Decimal | None) -> Decimal | None:
    for value in values:
        if value is not None:
            return value
    return None


def _tiered_rates(raw: Mapping[str, Decimal], suffix: str, label: str | None) -> RateSet:
    """Standard, flex or priority rates, at long-context tier `label` (None = below every threshold).

    Below every threshold: the model's service-tier rate where it has one, else the standard rate. Past a threshold
    the tier's own service-tier rate (`..._above_272k_tokens_priority`) wins; a rate the tier lacks keeps its base.

    When the tier has only a STANDARD rate and the model has a service-tier base rate, LiteLLM takes the standard tier
    rate. That can be cheaper than the service-tier base (azure/eu/gpt-5.4 priority output: 4.95e-05 below 272k,
    2.475e-05 above), so one more input token would make the call cheaper. We take the larger of the two: identical
    to LiteLLM wherever LiteLLM's rate does not drop, and cost stays monotone in every token count.
    """

    def tiered(name: str) -> Decimal | None:
        key = BASE_KEYS[name]
        if label is None:
            return _first(raw.get(key + suffix) if suffix else None, raw.get(key))
        tier_key = f"{key}_above_{label}_tokens"
        if not suffix:
            return _first(raw.get(tier_key), raw.get(key))
        tier_service, service, tier_standard = (
            raw.get(tier_key + suffix),
            raw.get(key + suffix),
            raw.get(tier_key),
        )
        if tier_service is not None:
            return tier_service
        if service is not None and tier_standard is not None:
            return max(service, tier_standard)
        return _first(tier_standard, service, raw.get(key))

    input_rate = tiered("input") or Decimal(0)
    output_rate = tiered("output")
    if not output_rate and IMAGE_OUTPUT_KEY in raw:
        output_rate = raw[IMAGE_OUTPUT_KEY]
    output_rate = output_rate or Decimal(0)
    # A provider that publishes no cache price bills cached tokens as ordinary input.
    cache_read = _first(tiered("cache_read"), input_rate)
    cache_write = _first(tiered("cache_write"), input_rate)
    cache_write_1h = _first(tiered("cache_write_1h"), cache_write)
    reasoning_key = BASE_KEYS["reasoning"]
    # Reasoning has no long-context keys in the table. Under flex/priority a model with its own output rate for the
    # tier but no tier reasoning rate bills reasoning as tier output (as LiteLLM does), not at the standard reasoning rate.
    if suffix and reasoning_key + suffix in raw:
        reasoning = raw[reasoning_key + suffix]
    elif suffix and BASE_KEYS["output"] + suffix in raw:
        reasoning = output_rate
    else:
        reasoning = _first(raw.get(reasoning_key), output_rate)
    assert cache_read is not None and cache_write is not None and cache_write_1h is not None
    assert reasoning is not None
    return RateSet(input_rate, cache_read, cache_write, cache_write_1h, output_rate, reasoning)


def _batch_rates(raw: Mapping[str, Decimal], crossed: list[str]) -> RateSet:
    """Rates of a model that has `_batches` keys, for a request past the thresholds `crossed` (ascending).

    As in LiteLLM's `batch_cost_calculator`, each rate picks its own highest crossed `_above_<N>_tokens_batches` key,
    else its flat `_batches` key. A missing batch output rate is half the standard output rate; a missing batch
    cache-write rate is the batch input rate (DESIGN.md and LiteLLM agree). A missing batch cache-READ rate is the
    standard cache-read rate (LiteLLM), not the batch input rate as DESIGN.md words it: that reading would bill a cached
    batch token above a cached synchronous one (e.g. 1.5e-6 instead of 3e-7 on Claude Sonnet).
    """

    def batch(name: str) -> Decimal | None:
        key = BASE_KEYS[name]
        for label in reversed(crossed):
            value = raw.get(f"{key}_above_{label}_tokens_batches")
            if value is not None:
                return value
        return raw.get(key + "_batches")

    input_rate = batch("input") or Decimal(0)
    output_rate = batch("output")
    if output_rate is None:
        std_output = raw.get(BASE_KEYS["output"])
        output_rate = std_output / 2 if std_output is not None else Decimal(0)
    cache_read = batch("cache_read")
    if cache_read is None:
        std_labels = [label for label in crossed if f"{BASE_KEYS['cache_read']}_above_{label}_tokens" in raw]
        key = BASE_KEYS["cache_read"]
        cache_read = raw.get(f"{key}_above_{std_labels[-1]}_tokens") if std_labels else raw.get(key)
    cache_read = _first(cache_read, input_rate)
    cache_write = _first(batch("cache_write"), input_rate)
    cache_write_1h = _first(batch("cache_write_1h"), cache_write)
    assert cache_read is not None and cache_write is not None and cache_write_1h is not None
    # LiteLLM bills every batch output token at the batch output rate, reasoning included.
    return RateSet(input_rate, cache_read, cache_write, cache_write_1h, output_rate, output_rate)


def build_plan(raw: Mapping[str, Decimal], service_tier: str, provider: str | None) -> RatePlan:
    """The rate plan of a model under `service_tier` (standard, batch, flex, priority)."""
    inclusive = provider in INCLUSIVE_THRESHOLD_PROVIDERS
    ratio = DEFAULT_CACHE_READ_RATIO.get(provider or "")
    cache_read_key, input_key = BASE_KEYS["cache_read"], BASE_KEYS["input"]
    if ratio is not None and cache_read_key not in raw and input_key in raw and service_tier != "batch":
        # Only the synchronous path: LiteLLM's batch calculator does not apply this default.
        raw = {**raw, cache_read_key: raw[input_key] * ratio}
    suffix = SERVICE_TIER_SUFFIXES[service_tier]
    if service_tier == "batch":
        std = build_plan(raw, "standard", provider)
        if BASE_KEYS["input"] + "_batches" not in raw:
            # No batch price: half of each standard rate. DESIGN.md: half of the rates the request would be billed
            # at, long-context tier and 1h/reasoning/missing-cache fallbacks included. LiteLLM halves only the flat
            # input/output/cache rates (ignoring tiers, 1h writes and reasoning rates, and billing cache reads at
            # $0 when the model has no cache-read rate).
            return RatePlan(std.base.halved(), tuple((t, r.halved()) for t, r in std.tiers), inclusive)
        labels = tier_labels(raw, ("_batches",)) | {
            label: value
            for label, value in tier_labels(raw, ("",)).items()
            if f"{BASE_KEYS['cache_read']}_above_{label}_tokens" in raw
        }
        ordered = sorted(labels, key=labels.__getitem__)
        tiers = tuple((labels[label], _batch_rates(raw, ordered[: i + 1])) for i, label in enumerate(ordered))
        return RatePlan(_batch_rates(raw, []), tiers, inclusive)
    labels = tier_labels(raw, ("", suffix) if suffix else ("",))
    ordered = sorted(labels, key=labels.__getitem__)
    tiers = tuple((labels[label], _tiered_rates(raw, suffix, label)) for label in ordered)
    return RatePlan(_tiered_rates(raw, suffix, None), tiers, inclusive)


def plan_from_tiered_pricing(
    tiers: list[tuple[int, Mapping[str, Decimal]]], model_output: Decimal | None
) -> RatePlan:
    """Plan for an entry priced by a `tiered_pricing` list (Alibaba/Dashscope style), any service tier.

    Each tier is all-or-nothing (the tier chosen by input size prices the whole request). A rate a tier lacks falls
    back to the tier's input rate (cache) or to the model's own output rate (output), as LiteLLM does. The first tier
    is the base, so a request with zero input tokens is billed at the lowest tier (LiteLLM bills it at $0).
    """
    sets: list[tuple[int, RateSet]] = []
    for start, rates in tiers:
        input_rate = rates.get("input_cost_per_token", Decimal(0))
        output_rate = _first(rates.get("output_cost_per_token"), model_output) or Decimal(0)
        cache_write = _first(rates.get("cache_creation_input_token_cost"), input_rate)
        assert cache_write is not None
        sets.append(
            (
                start,
                RateSet(
                    input=input_rate,
                    cache_read=_first(rates.get("cache_read_input_token_cost"), input_rate) or Decimal(0),
                    cache_write=cache_write,
                    cache_write_1h=_first(rates.get(BASE_KEYS["cache_write_1h"]), cache_write) or Decimal(0),
                    output=output_rate,
                    reasoning=_first(rates.get("output_cost_per_reasoning_token"), output_rate) or Decimal(0),
                ),
            )
        )
    sets.sort(key=lambda item: item[0])
    return RatePlan(sets[0][1], tuple(sets[1:]))
