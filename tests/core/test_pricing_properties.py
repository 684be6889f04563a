"""Properties of pricing over EVERY token-priced chat/embedding entry of LiteLLM's table.

The table is the shared copy next to the repo (`../shared/data/litellm_model_prices.json`) or the file named by
TOKENBUDGET_LITELLM_TABLE. Every entry is walked deterministically (a handful of derived usages each, around every
threshold and in every service tier); hypothesis then explores random usages on a sample. Runs in a few seconds.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tokenbudget.core.pricing import ModelPrice, PriceBook, load_bundled_book
from tokenbudget.core.pricing.rates import INCLUSIVE_THRESHOLD_PROVIDERS
from tokenbudget.core.usage import SERVICE_TIERS, Usage

# sha256 of LiteLLM 1.110.2's table (see ../shared/data/README.md); the gzipped copy in tests/core/data is checked
# against it, so the property tests always run on exactly that table, in CI too (they never skip).
TABLE_SHA256 = "8943af58bf9f979c6a4bef815687117ffa341e462a41faed9be17b5c33d3dcc2"
BUNDLED_TEST_COPY = Path(__file__).parent / "data/litellm_model_prices.json.gz"


def _table_bytes() -> tuple[bytes, str]:
    override = os.environ.get("TOKENBUDGET_LITELLM_TABLE")
    if override:
        return Path(override).read_bytes(), override
    shared = Path(__file__).resolve().parents[3] / "shared/data/litellm_model_prices.json"
    if shared.is_file():
        return shared.read_bytes(), str(shared)
    return gzip.decompress(BUNDLED_TEST_COPY.read_bytes()), str(BUNDLED_TEST_COPY)


TABLE_BYTES, TABLE = _table_bytes()


def test_table_is_the_reference_copy() -> None:
    if not os.environ.get("TOKENBUDGET_LITELLM_TABLE"):
        assert hashlib.sha256(TABLE_BYTES).hexdigest() == TABLE_SHA256


@pytest.fixture(scope="module")
def table_book() -> PriceBook:
    data = json.loads(TABLE_BYTES, parse_float=Decimal)
    return PriceBook.from_litellm(data, version="litellm-shared", source=str(TABLE))


@pytest.fixture(scope="module")
def entries(table_book: PriceBook) -> list[ModelPrice]:
    chosen = [p for p in table_book.models() if p.token_priced and p.mode in ("chat", "embedding")]
    assert len(chosen) > 3000
    return chosen


def _one_more_of_each(usage: Usage) -> Iterator[Usage]:
    """`usage` plus one token of each kind, keeping the inclusive totals consistent."""
    base = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_input_tokens": usage.cache_read_input_tokens,
        "cache_write_input_tokens": usage.cache_write_input_tokens,
        "cache_write_1h_input_tokens": usage.cache_write_1h_input_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
    }
    bumps = (
        ("input_tokens",),
        ("input_tokens", "cache_read_input_tokens"),
        ("input_tokens", "cache_write_input_tokens"),
        ("input_tokens", "cache_write_input_tokens", "cache_write_1h_input_tokens"),
        ("output_tokens",),
        ("output_tokens", "reasoning_tokens"),
    )
    for fields in bumps:
        counts = dict(base)
        for name in fields:
            counts[name] += 1
        yield Usage(**counts, service_tier=usage.service_tier)


def _usages_for(price: ModelPrice, tier: str) -> Iterator[Usage]:
    sizes = {0, 1, 1000}
    for t in price.tiers:
        sizes |= {t.threshold_tokens - 1, t.threshold_tokens, t.threshold_tokens + 1}
    for n in sorted(sizes):
        yield Usage(
            input_tokens=n,
            cache_read_input_tokens=n // 4,
            cache_write_input_tokens=n // 8,
            cache_write_1h_input_tokens=n // 16,
            output_tokens=300,
            reasoning_tokens=100,
            service_tier=tier,  # type: ignore[arg-type]
        )


def test_bundled_snapshot_agrees_with_table(table_book: PriceBook) -> None:
    bundled = load_bundled_book()
    table_models = table_book.models()
    assert len(table_models) == len(bundled.models())
    for price in table_models:
        twin = bundled.resolve(price.key)
        assert twin is not None, price.key
        assert twin.key == price.key
        assert (twin.provider, twin.mode, twin.token_priced, twin.unpriced_reason) == (
            price.provider,
            price.mode,
            price.token_priced,
            price.unpriced_reason,
        ), price.key
        assert dict(twin.raw_rates) == dict(price.raw_rates), price.key
        assert twin.tiered_pricing == price.tiered_pricing, price.key
        assert (twin.max_input_tokens, twin.max_output_tokens) == (
            price.max_input_tokens,
            price.max_output_tokens,
        )
    assert bundled.content_hash() == table_book.content_hash()


def test_every_entry_zero_and_monotone(table_book: PriceBook, entries: list[ModelPrice]) -> None:
    for price in entries:
        for tier in SERVICE_TIERS:
            assert table_book.cost(price.key, Usage(service_tier=tier)).total == 0, (price.key, tier)  # type: ignore[arg-type]
            for usage in _usages_for(price, tier):
                cost = table_book.cost(price.key, usage).total
                assert cost >= 0
                for more in _one_more_of_each(usage):
                    assert table_book.cost(price.key, more).total >= cost, (price.key, usage, more)


def test_every_tier_switches_exactly_past_its_threshold(
    table_book: PriceBook, entries: list[ModelPrice]
) -> None:
    checked = 0
    for price in entries:
        inclusive = price.provider in INCLUSIVE_THRESHOLD_PROVIDERS
        previous: int | None = None
        for tier in price.tiers:
            # Strictly greater than the threshold (xAI: from the threshold itself, as LiteLLM bills it).
            last_below = tier.threshold_tokens - 1 if inclusive else tier.threshold_tokens
            below = table_book.cost(price.key, Usage(input_tokens=last_below, output_tokens=1))
            above = table_book.cost(price.key, Usage(input_tokens=last_below + 1, output_tokens=1))
            assert below.tier_threshold == previous, price.key
            assert above.tier_threshold == tier.threshold_tokens, price.key
            for name, rate in tier.rates.items():
                assert above.rates[name] == rate, (price.key, name)
            if previous is None:
                # Below the first threshold: the entry's own base rates.
                for name in ("input", "output", "cache_read", "cache_write"):
                    base = getattr(price, name)
                    if base is not None and not price.tiered_pricing:
                        assert below.rates[name] == base, (price.key, name)
            previous = tier.threshold_tokens
            checked += 1
    assert checked > 300  # 343 thresholds in LiteLLM 1.110.2's chat/embedding rows


def test_rates_are_the_tables_decimals(table_book: PriceBook, entries: list[ModelPrice]) -> None:
    """No float anywhere: the applied rate is the Decimal of the JSON text, e.g. 2.5e-06 exactly."""
    gpt4o = table_book.cost("gpt-4o", Usage(input_tokens=1))
    assert gpt4o.rates["input"] == Decimal("2.5e-06")
    for price in entries:
        for rate in price.raw_rates.values():
            assert isinstance(rate, Decimal)


@st.composite
def usages(draw: st.DrawFn) -> Usage:
    input_tokens = draw(st.integers(0, 2_000_000))
    cache_read = draw(st.integers(0, input_tokens))
    cache_write = draw(st.integers(0, input_tokens - cache_read))
    output = draw(st.integers(0, 200_000))
    return Usage(
        input_tokens=input_tokens,
        cache_read_input_tokens=cache_read,
        cache_write_input_tokens=cache_write,
        cache_write_1h_input_tokens=draw(st.integers(0, cache_write)),
        output_tokens=output,
        reasoning_tokens=draw(st.integers(0, output)),
        service_tier=draw(st.sampled_from(SERVICE_TIERS)),  # type: ignore[arg-type]
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), usage=usages())
def test_random_usage_is_exact_sum_of_rates(
    table_book: PriceBook, entries: list[ModelPrice], data: st.DataObject, usage: Usage
) -> None:
    price = data.draw(st.sampled_from(entries))
    b = table_book.cost(price.key, usage)
    r = b.rates
    expected = (
        usage.uncached_input_tokens * r["input"]
        + usage.cache_read_input_tokens * r["cache_read"]
        + usage.cache_write_5m_input_tokens * r["cache_write"]
        + usage.cache_write_1h_input_tokens * r["cache_write_1h"]
        + usage.text_output_tokens * r["output"]
        + usage.reasoning_tokens * r["reasoning"]
    )
    assert b.total == expected
    for more in _one_more_of_each(usage):
        assert table_book.cost(price.key, more).total >= b.total
