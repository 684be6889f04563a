"""Synthetic but realistic usage for `tb demo`, so every report, chart and budget has something to show.

Deterministic: the same (days, seed, date of `now`, scale) gives the same events, with ids `demo_<seed>_<date>_<n>`,
so running `tb demo` twice adds nothing and `tb demo --reset` can delete by the `demo_` prefix. Each day draws
from its own `random.Random` seeded by (seed, date), so a day's events do not depend on how many days were asked for.
Models are named as the provider SDKs report them (some with date suffixes) and all exist in LiteLLM's price
table, except `acme-llm-2`, which is deliberately unpriced (~1% of calls) so the "unpriced" footer shows.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal

from tokenbudget.core.events import EventInput, utc
from tokenbudget.core.usage import ServiceTier, Usage

__all__ = ["DEMO_EVENT_PREFIX", "UNPRICED_DEMO_MODEL", "estimate_demo_count", "generate_demo_events"]

DEMO_EVENT_PREFIX = "demo_"
UNPRICED_DEMO_MODEL = "acme-llm-2"

# Calls on an ordinary weekday at the end of the window, at scale 1.0. Weekends run at _WEEKEND of it, and
# the slow growth trend means earlier days had fewer: a 30-day window averages ~420 calls a day.
_BASE_PER_DAY = 480
_WEEKEND = 0.65
_GROWTH_PER_DAY = 0.004  # ~12% growth over a month
_MIN_TREND = 0.5
_ERROR_RATE = 0.015

Shape = Literal["chat", "cached_chat", "reasoning", "embedding"]


@dataclass(frozen=True, slots=True)
class _Route:
    """One kind of call an app makes: where it comes from, which model serves it and what its tokens look like."""

    project: str
    feature: str
    provider: str
    model: str
    weight: float
    shape: Shape
    input_median: int
    output_median: int
    user_facing: bool = True
    service_tier: ServiceTier = "standard"
    system_prompt: int = 0  # cacheable prefix (Anthropic cache_control), tokens
    reasoning_median: int = 0
    ms_per_output_token: float = 12.0


_ROUTES: tuple[_Route, ...] = (
    # checkout: small, fast OpenAI calls on the purchase path
    _Route(
        "checkout",
        "fraud-check",
        "openai",
        "gpt-4o-mini-2024-07-18",
        14,
        "chat",
        1400,
        60,
        ms_per_output_token=6,
    ),
    _Route(
        "checkout", "address-normalize", "openai", "gpt-4o-mini", 9, "chat", 350, 80, ms_per_output_token=6
    ),
    _Route("checkout", "receipt-summary", "openai", "gpt-4o-2024-08-06", 5, "chat", 1800, 250),
    # support-bot: Claude with a long, cached system prompt; some 1-hour cache writes
    _Route(
        "support-bot",
        "chat-reply",
        "anthropic",
        "claude-sonnet-4-5-20250929",
        16,
        "cached_chat",
        2500,
        420,
        system_prompt=6000,
        ms_per_output_token=18,
    ),
    _Route(
        "support-bot",
        "ticket-triage",
        "anthropic",
        "claude-haiku-4-5-20251001",
        10,
        "cached_chat",
        900,
        120,
        system_prompt=3000,
        ms_per_output_token=8,
    ),
    _Route(
        "support-bot",
        "summarize-thread",
        "anthropic",
        "claude-haiku-4-5",
        3,
        "cached_chat",
        5000,
        300,
        user_facing=False,
        service_tier="batch",
        system_prompt=2000,
        ms_per_output_token=8,
    ),
    # search: embeddings for queries and documents, answers, and an o-series reasoning step
    _Route("search", "embed-query", "openai", "text-embedding-3-small", 18, "embedding", 24, 0),
    _Route(
        "search", "embed-docs", "openai", "text-embedding-3-small", 6, "embedding", 3000, 0, user_facing=False
    ),
    _Route("search", "answer", "openai", "gpt-4o", 8, "chat", 3200, 350),
    _Route(
        "search",
        "query-planner",
        "openai",
        "o4-mini-2025-04-16",
        5,
        "reasoning",
        1200,
        220,
        reasoning_median=1400,
        ms_per_output_token=9,
    ),
    _Route(
        "search",
        "answer-check",
        "openai",
        "o3-mini",
        2,
        "reasoning",
        2200,
        120,
        reasoning_median=900,
        ms_per_output_token=9,
    ),
    # a model no price table knows: must show up as unpriced, never as $0
    _Route(
        "search", "rerank-experiment", "acme", UNPRICED_DEMO_MODEL, 1.1, "chat", 1500, 40, user_facing=False
    ),
)
_ROUTE_CUM_WEIGHTS = tuple(itertools.accumulate(r.weight for r in _ROUTES))

# Calls by hour of day (UTC): quiet nights, busy working hours peaking early afternoon.
_HOUR_WEIGHTS = tuple(0.15 + math.exp(-(((h - 13.5) / 4.0) ** 2)) for h in range(24))
_HOUR_CUM_WEIGHTS = tuple(itertools.accumulate(_HOUR_WEIGHTS))

_ENVS = ("prod", "staging", "dev")
_ENV_CUM_WEIGHTS = (0.86, 0.96, 1.0)
_USERS = tuple(f"u_{i:03d}" for i in range(1, 121))
# Zipf-like: a few heavy users account for much of the traffic, as in real apps.
_USER_CUM_WEIGHTS = tuple(itertools.accumulate(1.0 / (i**0.9) for i in range(1, len(_USERS) + 1)))
_REGIONS = ("us-east-1", "eu-west-1")
_ERROR_TYPES = ("rate_limit", "timeout", "server_error", "overloaded")


def generate_demo_events(
    *, days: int = 30, seed: int = 0, now: datetime, scale: float = 1.0
) -> Iterator[EventInput]:
    """Yield synthetic calls for the `days` whole days before `now`'s date (UTC), oldest first.

    Only whole past days are generated, so nothing lies in the future and the result does not depend on
    the time of day `now` carries.
    """
    today = utc(now).date()
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        rng = _day_rng(seed, day)
        count = _day_count(rng, day, back, scale)
        calls = [_call(rng, day) for _ in range(count)]
        calls.sort(key=lambda c: c.occurred_at)
        for n, inp in enumerate(calls, start=1):
            yield _with_id(inp, f"{DEMO_EVENT_PREFIX}{seed}_{day:%Y%m%d}_{n:05d}")


def estimate_demo_count(days: int, scale: float = 1.0, *, seed: int = 0, now: datetime | None = None) -> int:
    """How many events `generate_demo_events` yields: exact when `now` (and `seed`) are given, else close."""
    if now is not None:
        today = utc(now).date()
        total = 0
        for back in range(days, 0, -1):
            day = today - timedelta(days=back)
            total += _day_count(_day_rng(seed, day), day, back, scale)
        return total
    week = (5 + 2 * _WEEKEND) / 7
    return round(sum(_BASE_PER_DAY * week * _trend(back) * scale for back in range(1, days + 1)))


def _day_rng(seed: int, day: date) -> random.Random:
    # An int seed (not a tuple) because Random only accepts hashable scalars deterministically.
    return random.Random(seed * 10_000_019 + day.toordinal())


def _trend(days_back: int) -> float:
    return max(_MIN_TREND, 1.0 - _GROWTH_PER_DAY * days_back)


def _day_count(rng: random.Random, day: date, days_back: int, scale: float) -> int:
    # The first draw of a day's generator, so estimate_demo_count can reproduce it exactly.
    jitter = rng.uniform(0.9, 1.1)
    weekday = _WEEKEND if day.weekday() >= 5 else 1.0
    return max(0, round(_BASE_PER_DAY * weekday * _trend(days_back) * jitter * scale))


def _call(rng: random.Random, day: date) -> EventInput:
    route = rng.choices(_ROUTES, cum_weights=_ROUTE_CUM_WEIGHTS)[0]
    hour = rng.choices(range(24), cum_weights=_HOUR_CUM_WEIGHTS)[0]
    when = datetime.combine(day, time(hour), tzinfo=timezone.utc) + timedelta(
        seconds=rng.randrange(3600), milliseconds=rng.randrange(1000)
    )
    env = rng.choices(_ENVS, cum_weights=_ENV_CUM_WEIGHTS)[0]
    user = rng.choices(_USERS, cum_weights=_USER_CUM_WEIGHTS)[0] if route.user_facing else None
    tags = {"region": rng.choice(_REGIONS)} if env == "prod" else {}
    request_id = _request_id(rng, route)
    if rng.random() < _ERROR_RATE:
        # A failed call: billed nothing, but it took time and should show in error rates.
        tags["error_type"] = rng.choice(_ERROR_TYPES)
        usage = Usage(service_tier=route.service_tier)
        latency = int(rng.uniform(150, 30_000 if tags["error_type"] == "timeout" else 2_000))
        status = "error"
    else:
        usage = _usage(rng, route)
        latency = _latency(rng, route, usage)
        status = "ok"
    return EventInput(
        model=route.model,
        usage=usage,
        occurred_at=when,
        provider=route.provider,
        project=route.project,
        feature=route.feature,
        user_id=user,
        env=env,
        tags=tags,
        latency_ms=latency,
        status=status,
        request_id=request_id,
    )


def _tokens(rng: random.Random, median: int, sigma: float = 0.6) -> int:
    """A log-normal count: most calls near the median, a long tail of big ones."""
    return max(1, round(rng.lognormvariate(math.log(median), sigma)))


def _usage(rng: random.Random, route: _Route) -> Usage:
    tier = route.service_tier
    if route.shape == "embedding":
        return Usage(input_tokens=_tokens(rng, route.input_median, 0.8), service_tier=tier)
    output = _tokens(rng, route.output_median)
    if route.shape == "cached_chat":
        # Anthropic: the system prompt is read from the cache on most calls, written on a miss (5 min or 1 h).
        fresh = _tokens(rng, route.input_median)
        prefix = round(route.system_prompt * rng.uniform(0.95, 1.05))
        roll = rng.random()
        read = prefix if roll < 0.8 else 0
        write = prefix if 0.8 <= roll < 0.95 else 0
        write_1h = write if write and rng.random() < 0.3 else 0
        return Usage(
            input_tokens=fresh + read + write,
            output_tokens=output,
            cache_read_input_tokens=read,
            cache_write_input_tokens=write,
            cache_write_1h_input_tokens=write_1h,
            service_tier=tier,
        )
    inp = _tokens(rng, route.input_median)
    # OpenAI caches prompt prefixes of 1024+ tokens automatically, in 128-token steps.
    read = 0
    if inp >= 1024 and rng.random() < 0.45:
        read = max(1024, int(inp * rng.uniform(0.4, 0.9)) // 128 * 128)
    reasoning = _tokens(rng, route.reasoning_median, 0.7) if route.shape == "reasoning" else 0
    return Usage(
        input_tokens=inp,
        output_tokens=output + reasoning,
        cache_read_input_tokens=read,
        reasoning_tokens=reasoning,
        service_tier=tier,
    )


def _latency(rng: random.Random, route: _Route, usage: Usage) -> int:
    if route.shape == "embedding":
        return round(rng.lognormvariate(math.log(60 + usage.input_tokens / 100), 0.3))
    first_token = rng.lognormvariate(math.log(350), 0.4)
    return round(first_token + usage.output_tokens * route.ms_per_output_token * rng.uniform(0.8, 1.3))


def _request_id(rng: random.Random, route: _Route) -> str:
    token = f"{rng.getrandbits(96):024x}"
    if route.provider == "anthropic":
        return f"msg_{token}"
    if route.provider == "openai" and route.shape != "embedding":
        return f"chatcmpl-{token}"
    return f"req_{token}"


def _with_id(inp: EventInput, event_id: str) -> EventInput:
    return replace(inp, event_id=event_id)
