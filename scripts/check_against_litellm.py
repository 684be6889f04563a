"""Compare TokenBudget's costs with LiteLLM's own calculator (the oracle), case by case.

    LITELLM_LOCAL_MODEL_COST_MAP=True /opt/oracle/bin/python scripts/check_against_litellm.py [--sweep]

Cases come from tests/core/data/pricing_cases.json (the hand-checked table of tests/core/test_pricing_cases.py).
Each case is priced by `PriceBook.cost` on the bundled snapshot and by LiteLLM: `cost_per_token` for standard, flex
and priority calls, `batch_cost_calculator` for batch ones. A case where DESIGN.md deliberately departs from LiteLLM
carries `oracle_expected` (LiteLLM's figure, also worked by hand): the oracle must match THAT, and the difference is
listed. Exits 1 if any relative difference exceeds 1e-9.

--sweep also prices every token-priced chat/embedding entry at a few usages (each service tier, around each
threshold) under both and prints the disagreements grouped by cause; informative only (it does not change the exit
code), since LiteLLM has provider-specific calculators and a few rules DESIGN.md overrides.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tokenbudget.core.pricing import PriceBook, load_bundled_book  # noqa: E402
from tokenbudget.core.usage import Usage  # noqa: E402

CASES = REPO / "tests/core/data/pricing_cases.json"
TOLERANCE = Decimal("1e-9")


def litellm_usage(usage: Usage) -> Any:
    from litellm.types.utils import (
        CacheCreationTokenDetails,
        CompletionTokensDetailsWrapper,
        PromptTokensDetailsWrapper,
    )
    from litellm.types.utils import Usage as LiteUsage

    details = None
    if usage.cache_write_input_tokens:
        details = CacheCreationTokenDetails(
            ephemeral_5m_input_tokens=usage.cache_write_5m_input_tokens,
            ephemeral_1h_input_tokens=usage.cache_write_1h_input_tokens,
        )
    return LiteUsage(
        prompt_tokens=usage.input_tokens,
        completion_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
        prompt_tokens_details=PromptTokensDetailsWrapper(
            cached_tokens=usage.cache_read_input_tokens,
            cache_creation_tokens=usage.cache_write_input_tokens,
            cache_creation_token_details=details,
        ),
        completion_tokens_details=(
            CompletionTokensDetailsWrapper(reasoning_tokens=usage.reasoning_tokens)
            if usage.reasoning_tokens
            else None
        ),
    )


def litellm_cost(model: str, provider: str | None, usage: Usage) -> Decimal:
    import litellm
    from litellm.cost_calculator import batch_cost_calculator

    lite = litellm_usage(usage)
    if usage.service_tier == "batch":
        prompt, completion = batch_cost_calculator(usage=lite, model=model, custom_llm_provider=provider)
    else:
        tier = None if usage.service_tier == "standard" else usage.service_tier
        prompt, completion = litellm.cost_per_token(
            model=model, custom_llm_provider=provider, usage_object=lite, service_tier=tier
        )
    # repr() is the shortest text that round-trips the float: the exact value LiteLLM computed, as a Decimal.
    return Decimal(repr(prompt)) + Decimal(repr(completion))


def rel_diff(ours: Decimal, theirs: Decimal) -> Decimal:
    if ours == theirs:
        return Decimal(0)
    return abs(ours - theirs) / max(abs(ours), abs(theirs))


def check_cases(book: PriceBook) -> int:
    cases = json.loads(CASES.read_text())
    print(f"{'case':<62} {'tokenbudget':>20} {'litellm':>24} {'rel diff':>9}")
    failures = compared = 0
    worst = Decimal(0)
    for case in cases:
        usage = Usage(**case["usage"])
        ours = book.cost(case["model"], usage, provider=case.get("provider")).total
        if "oracle_skip" in case:
            print(f"{case['id'][:62]:<62} {ours:>20f} {'(skipped)':>24}  {case['oracle_skip']}")
            continue
        # LiteLLM needs a provider hint for some names TokenBudget resolves alone ("oracle" gives it).
        oracle = case.get("oracle", {})
        try:
            theirs = litellm_cost(
                oracle.get("model", case["model"]), oracle.get("provider", case.get("provider")), usage
            )
        except Exception as exc:
            failures += 1
            print(f"{case['id'][:62]:<62} {ours:>20f} {'ERROR':>24}  {type(exc).__name__}: {str(exc)[:80]}")
            continue
        target = Decimal(case.get("oracle_expected", case["expected"]))
        diff = rel_diff(target, theirs)
        worst = max(worst, diff)
        compared += 1
        flag = ""
        if diff > TOLERANCE:
            failures += 1
            flag = "  MISMATCH"
        elif "oracle_expected" in case:
            flag = f"  DESIGN.md differs: LiteLLM {theirs:f} (rel {rel_diff(ours, theirs):.2e})"
        print(f"{case['id'][:62]:<62} {ours:>20f} {theirs:>24f} {diff:>9.1e}{flag}")
    print(
        f"\n{compared} cases compared with LiteLLM, max relative difference {worst:.2e}, {failures} mismatch(es)"
    )
    return 1 if failures else 0


def sweep(book: PriceBook) -> None:
    from collections import Counter

    causes: Counter[str] = Counter()
    examples: dict[str, str] = {}
    checked = 0
    for price in book.models():
        if not price.token_priced or price.mode not in ("chat", "embedding", "completion", "responses"):
            continue
        thresholds = [tier.threshold_tokens for tier in price.tiers] or [100_000]
        for tier in ("standard", "batch", "flex", "priority"):
            for n in {1000, *(t for t in thresholds), *(t + 1 for t in thresholds)}:
                usage = Usage(
                    input_tokens=n,
                    cache_read_input_tokens=n // 4,
                    cache_write_input_tokens=n // 8,
                    cache_write_1h_input_tokens=n // 16,
                    output_tokens=500,
                    reasoning_tokens=200,
                    service_tier=tier,  # type: ignore[arg-type]
                )
                ours = book.cost(price.key, usage).total
                try:
                    theirs = litellm_cost(price.key, price.provider, usage)
                except Exception as exc:
                    cause = f"{tier}: litellm raised {type(exc).__name__}"
                    causes[cause] += 1
                    examples.setdefault(cause, price.key)
                    continue
                checked += 1
                if rel_diff(ours, theirs) > TOLERANCE:
                    cause = f"{tier}: {price.provider}"
                    if tier == "batch" and "input_cost_per_token_batches" not in price.raw_rates:
                        cause = "batch at half price (DESIGN.md rule, see rates.py)"
                    causes[cause] += 1
                    examples.setdefault(cause, f"{price.key} n={n}: ours {ours:f} litellm {theirs:f}")
    print(f"\nsweep: {checked} comparisons; disagreements by service tier and provider:")
    for cause, count in causes.most_common():
        print(f"  {count:5d}  {cause:<50} e.g. {examples[cause]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare TokenBudget costs with LiteLLM's.")
    parser.add_argument("--sweep", action="store_true", help="also compare every entry (informative)")
    args = parser.parse_args(argv)
    try:
        import litellm  # noqa: F401
    except ImportError:
        print("litellm is not importable here; run with /opt/oracle/bin/python", file=sys.stderr)
        return 2
    book = load_bundled_book()
    status = check_cases(book)
    if args.sweep:
        sweep(book)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
