"""How fast `PriceBook.cost` prices calls, next to LiteLLM's `cost_per_token` on the same calls (when importable).

    python benchmarks/bench_cost.py                       # TokenBudget only
    LITELLM_LOCAL_MODEL_COST_MAP=True /opt/oracle/bin/python benchmarks/bench_cost.py   # both, and the ratio

A mixed set of 20 (model, usage) pairs: plain, cached, 1-hour cache writes, reasoning, long-context tiers, flex and
priority, dated and provider-prefixed names. Batch calls are left out: LiteLLM prices them with another function.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
try:
    import tokenbudget  # noqa: F401
except ImportError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tokenbudget.core.pricing import load_bundled_book
from tokenbudget.core.usage import Usage

CALLS: list[tuple[str, str | None, Usage]] = [
    ("gpt-4o", None, Usage(input_tokens=1200, output_tokens=300)),
    ("gpt-4o", None, Usage(input_tokens=5000, cache_read_input_tokens=4096, output_tokens=200)),
    ("gpt-4o-mini", None, Usage(input_tokens=800, output_tokens=120)),
    ("gpt-4o-2024-08-06", None, Usage(input_tokens=2000, output_tokens=500)),
    ("openai/gpt-4o", None, Usage(input_tokens=2000, output_tokens=500, service_tier="priority")),
    ("o3", None, Usage(input_tokens=3000, output_tokens=4000, reasoning_tokens=3500, service_tier="flex")),
    ("o1", None, Usage(input_tokens=3000, output_tokens=4000, reasoning_tokens=3500)),
    (
        "gpt-5",
        None,
        Usage(input_tokens=40000, cache_read_input_tokens=30000, output_tokens=4000, reasoning_tokens=3000),
    ),
    ("gpt-5.4", None, Usage(input_tokens=300000, cache_read_input_tokens=100000, output_tokens=1000)),
    (
        "claude-sonnet-4-5",
        None,
        Usage(
            input_tokens=10000,
            cache_read_input_tokens=2000,
            cache_write_input_tokens=3000,
            cache_write_1h_input_tokens=1000,
            output_tokens=1000,
        ),
    ),
    ("anthropic/claude-sonnet-4-5", None, Usage(input_tokens=1000, output_tokens=1000)),
    ("claude-sonnet-4-5-20250929", None, Usage(input_tokens=1500, output_tokens=700)),
    (
        "vertex_ai/claude-sonnet-4-5",
        None,
        Usage(input_tokens=250000, cache_read_input_tokens=100000, output_tokens=2000),
    ),
    ("gemini-2.5-pro", None, Usage(input_tokens=200001, output_tokens=500)),
    ("gemini-2.5-pro", None, Usage(input_tokens=100000, cache_read_input_tokens=50000, output_tokens=500)),
    ("gemini/gemini-2.5-pro", None, Usage(input_tokens=250000, output_tokens=1000, service_tier="priority")),
    ("gemini-2.5-flash", None, Usage(input_tokens=1000, output_tokens=3000, reasoning_tokens=2000)),
    (
        "deepseek-chat",
        "deepseek",
        Usage(input_tokens=10000, cache_read_input_tokens=8000, output_tokens=1000),
    ),
    ("text-embedding-3-small", None, Usage(input_tokens=123456)),
    ("xai/grok-4.3", None, Usage(input_tokens=200000, output_tokens=100)),
]


def rate(fn: Callable[[], object], seconds: float = 1.5) -> float:
    """Calls per second of `fn`, over at least `seconds` of wall time after a short warm-up."""
    for _ in range(200):
        fn()
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(500):
            fn()
        count += 500
    return count / elapsed


def cycle(calls: list[Callable[[], object]]) -> Callable[[], object]:
    state = {"i": 0}

    def one() -> object:
        i = state["i"]
        state["i"] = (i + 1) % len(calls)
        return calls[i]()

    return one


def tokenbudget_calls() -> list[Callable[[], object]]:
    book = load_bundled_book()
    return [lambda m=m, p=p, u=u: book.cost(m, u, provider=p) for m, p, u in CALLS]


def litellm_calls() -> list[Callable[[], object]] | None:
    try:
        import litellm
    except ImportError:
        return None
    from litellm.types.utils import (
        CacheCreationTokenDetails,
        CompletionTokensDetailsWrapper,
        PromptTokensDetailsWrapper,
    )
    from litellm.types.utils import Usage as LiteUsage

    out: list[Callable[[], object]] = []
    for model, provider, usage in CALLS:
        tier = None if usage.service_tier == "standard" else usage.service_tier
        # The same information as ours (cache reads, 5m/1h writes, reasoning), built once outside the timed call.
        lite = LiteUsage(
            prompt_tokens=usage.input_tokens,
            completion_tokens=usage.output_tokens,
            total_tokens=usage.total_tokens,
            prompt_tokens_details=PromptTokensDetailsWrapper(
                cached_tokens=usage.cache_read_input_tokens,
                cache_creation_tokens=usage.cache_write_input_tokens,
                cache_creation_token_details=CacheCreationTokenDetails(
                    ephemeral_5m_input_tokens=usage.cache_write_5m_input_tokens,
                    ephemeral_1h_input_tokens=usage.cache_write_1h_input_tokens,
                )
                if usage.cache_write_input_tokens
                else None,
            ),
            completion_tokens_details=CompletionTokensDetailsWrapper(reasoning_tokens=usage.reasoning_tokens)
            if usage.reasoning_tokens
            else None,
        )
        out.append(
            lambda model=model, provider=provider, lite=lite, tier=tier: litellm.cost_per_token(
                model=model, custom_llm_provider=provider, usage_object=lite, service_tier=tier
            )
        )
    return out


def main() -> int:
    start = time.perf_counter()
    load_bundled_book()
    load_ms = (time.perf_counter() - start) * 1000
    ours = rate(cycle(tokenbudget_calls()))
    theirs_calls = litellm_calls()
    theirs = rate(cycle(theirs_calls)) if theirs_calls else None
    print(f"pricing {len(CALLS)} mixed calls, round-robin (bundled book loaded in {load_ms:.0f} ms)\n")
    print(f"{'implementation':<38} {'calls/s':>12} {'us/call':>9}")
    print(f"{'tokenbudget PriceBook.cost':<38} {ours:>12,.0f} {1e6 / ours:>9.2f}")
    if theirs is None:
        print(f"{'litellm cost_per_token':<38} {'(litellm not importable here)':>22}")
    else:
        print(
            f"{'litellm ' + litellm_version() + ' cost_per_token':<38} {theirs:>12,.0f} {1e6 / theirs:>9.2f}"
        )
        print(f"\nratio: tokenbudget is {ours / theirs:.1f}x the calls/s of litellm")
    return 0


def litellm_version() -> str:
    from importlib.metadata import version

    return version("litellm")


if __name__ == "__main__":
    raise SystemExit(main())
