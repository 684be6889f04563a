"""Hand-checked costs, one per rule of DESIGN.md "Usage and cost", on the bundled snapshot.

The case table lives in tests/core/data/pricing_cases.json so that scripts/check_against_litellm.py can replay the
same cases against LiteLLM itself. Each case carries `arithmetic`: the sum worked by hand from the table's rates
(tokens x USD/token); `expected` is that sum written out. Where DESIGN.md departs from LiteLLM on purpose, the case
also carries `oracle_expected` (LiteLLM's figure, worked the same way) and a `note`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tokenbudget.core.errors import PriceDataError, TokenBudgetError, UnknownModelError
from tokenbudget.core.pricing import (
    CostBreakdown,
    CustomPrice,
    PriceBook,
    UnpricedModelError,
    load_bundled_book,
)
from tokenbudget.core.usage import Usage

CASES: list[dict[str, Any]] = json.loads((Path(__file__).parent / "data/pricing_cases.json").read_text())


def _evaluate(arithmetic: str) -> Decimal:
    """Evaluate a case's hand arithmetic with Decimal operands (numbers only; the table's rates as written)."""
    expression = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?(?:e-?\d+)?)", r"Decimal('\1')", arithmetic)
    assert re.fullmatch(r"[\sDecimal()'0-9.e+\-*/]*", expression), arithmetic
    return eval(expression, {"Decimal": Decimal})


@pytest.fixture(scope="module")
def book() -> PriceBook:
    return load_bundled_book()


def test_case_table_is_large_and_consistent() -> None:
    assert len(CASES) >= 25
    assert len({case["id"] for case in CASES}) == len(CASES)
    for case in CASES:
        # The written-out expectation is exactly the hand arithmetic: no typo between the two.
        assert _evaluate(case["arithmetic"]) == Decimal(case["expected"]), case["id"]


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_hand_checked_cost(book: PriceBook, case: dict[str, Any]) -> None:
    usage = Usage(**case["usage"])
    breakdown = book.cost(case["model"], usage, provider=case.get("provider"))
    assert breakdown.model_key == case["expected_key"]
    assert breakdown.total == Decimal(case["expected"])
    assert breakdown.service_tier == usage.service_tier
    assert breakdown.price_version == book.version
    # try_cost agrees with cost whenever cost succeeds.
    assert book.try_cost(case["model"], usage, provider=case.get("provider")) == breakdown


def test_breakdown_parts_and_rates(book: PriceBook) -> None:
    usage = Usage(
        input_tokens=10000,
        cache_read_input_tokens=2000,
        cache_write_input_tokens=3000,
        cache_write_1h_input_tokens=1000,
        output_tokens=1000,
        reasoning_tokens=400,
    )
    b = book.cost("claude-sonnet-4-5", usage)
    assert b.uncached_input == Decimal("5000") * Decimal("3e-06")
    assert b.cache_read == Decimal("2000") * Decimal("3e-07")
    assert b.cache_write == Decimal("2000") * Decimal("3.75e-06") + Decimal("1000") * Decimal("6e-06")
    assert b.output == Decimal("600") * Decimal("1.5e-05")
    assert b.reasoning == Decimal("400") * Decimal("1.5e-05")
    assert b.total == b.uncached_input + b.cache_read + b.cache_write + b.output + b.reasoning
    assert b.rates["cache_write_1h"] == Decimal("6e-06")
    assert b.tier_threshold is None
    as_json = b.to_dict()
    assert Decimal(as_json["total"]) == b.total == Decimal("0.0441")
    assert "e" not in as_json["total"].lower()
    assert json.loads(json.dumps(as_json)) == as_json
    assert all(isinstance(v, str) for v in as_json["rates"].values())


def test_tier_threshold_is_reported(book: PriceBook) -> None:
    assert book.cost("gemini-2.5-pro", Usage(input_tokens=200_001)).tier_threshold == 200_000
    assert book.cost("gemini-2.5-pro", Usage(input_tokens=200_000)).tier_threshold is None


def test_zero_usage_costs_zero(book: PriceBook) -> None:
    for model in ("gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro", "dashscope/qwen-flash"):
        for tier in ("standard", "batch", "flex", "priority"):
            assert book.cost(model, Usage(service_tier=tier)).total == 0  # type: ignore[arg-type]


def test_unknown_model_suggests_close_names(book: PriceBook) -> None:
    with pytest.raises(UnknownModelError) as info:
        book.cost("gpt-4oo", Usage(input_tokens=1))
    assert "gpt-4oo" in str(info.value)
    assert "did you mean" in str(info.value) and "gpt-4o" in str(info.value)
    assert isinstance(info.value, TokenBudgetError)
    assert book.try_cost("gpt-4oo", Usage(input_tokens=1)) is None
    assert book.resolve("no-such-model-anywhere") is None


def test_image_model_is_known_but_unpriced(book: PriceBook) -> None:
    price = book.resolve("aiml/dall-e-3")
    assert price is not None and not price.token_priced
    assert price.unpriced_reason == "priced per image"
    with pytest.raises(UnpricedModelError, match="priced per image"):
        book.cost("aiml/dall-e-3", Usage(input_tokens=10))
    assert book.try_cost("aiml/dall-e-3", Usage(input_tokens=10)) is None
    # A per-pixel image model with `output_cost_per_token: 0.0` is still not token priced.
    pixel = book.resolve("azure/standard/1024-x-1024/dall-e-3")
    assert pixel is not None and pixel.unpriced_reason == "priced per image"


def test_model_price_fields(book: PriceBook) -> None:
    price = book.resolve("gemini/gemini-2.5-pro")
    assert price is not None
    assert price.provider == "gemini" and price.mode == "chat" and price.source == "litellm"
    assert price.input == Decimal("0.00000125") and price.output == Decimal("0.00001")
    assert [t.threshold_tokens for t in price.tiers] == [200_000]
    assert price.tiers[0].rates["input"] == Decimal("2.5e-06")
    assert price.service_tiers["batch"]["input"] == Decimal("6.25e-07")
    assert price.service_tiers["priority"]["output"] == Decimal("1.8e-05")
    assert price.per_million(price.input) == Decimal("1.25")
    assert price.max_input_tokens == 1048576


def test_provider_argument_prefers_provider_entry(book: PriceBook) -> None:
    assert book.resolve("gemini-2.5-pro").key == "gemini-2.5-pro"  # type: ignore[union-attr]
    assert book.resolve("gemini-2.5-pro", provider="gemini").key == "gemini/gemini-2.5-pro"  # type: ignore[union-attr]
    # An exact key of the right provider is kept as is.
    assert book.resolve("gpt-4o", provider="openai").key == "gpt-4o"  # type: ignore[union-attr]


def test_custom_prices_override_and_resolve(book: PriceBook) -> None:
    when = datetime(2026, 5, 1, 12, 30, 0)
    custom = book.with_custom_prices(
        [
            CustomPrice(
                "gpt-4o", Decimal("0.000002"), Decimal("0.000008"), cache_read_per_token=Decimal("0.000001")
            ),
            CustomPrice(
                "acme-private-7b", Decimal("1e-7"), Decimal("2e-7"), provider="acme", updated_at=when
            ),
        ]
    )
    usage = Usage(input_tokens=1000, cache_read_input_tokens=500, output_tokens=100)
    b = custom.cost("openai/GPT-4o-2024-11-20", usage)  # prefix, case and date suffix all stripped
    assert b.model_key == "gpt-4o"
    assert b.total == 500 * Decimal("0.000002") + 500 * Decimal("0.000001") + 100 * Decimal("0.000008")
    assert b.price_version.startswith("custom-gpt-4o-")
    private = custom.cost("acme/acme-private-7b", Usage(input_tokens=10, output_tokens=10))
    assert private.total == Decimal("0.000003")
    assert private.price_version == "custom-acme-private-7b-20260501T123000"
    assert custom.resolve("acme-private-7b").source == "custom"  # type: ignore[union-attr]
    # The original book is untouched, and the content hash tells the two apart.
    assert book.cost("gpt-4o", usage).total == 500 * Decimal("2.5e-06") + 500 * Decimal(
        "1.25e-06"
    ) + 100 * Decimal("1e-05")
    assert book.resolve("acme-private-7b") is None
    assert custom.content_hash() != book.content_hash()
    # A missing cache rate falls back to the custom input rate.
    cached = custom.cost("acme-private-7b", Usage(input_tokens=10, cache_write_input_tokens=10))
    assert cached.total == Decimal("0.000001")
    assert [m.key for m in custom.models()] == sorted(m.key for m in custom.models())


def test_from_litellm_rejects_malformed_tables() -> None:
    with pytest.raises(PriceDataError):
        PriceBook.from_litellm([], version="x", source="x")  # type: ignore[arg-type]
    with pytest.raises(PriceDataError, match="m1"):
        PriceBook.from_litellm({"m1": "not an object"}, version="x", source="x")
    with pytest.raises(PriceDataError, match="input_cost_per_token"):
        PriceBook.from_litellm({"m1": {"input_cost_per_token": "cheap"}}, version="x", source="x")
    with pytest.raises(PriceDataError):
        PriceBook.from_litellm({"m1": {"input_cost_per_token": -1}}, version="x", source="x")


def test_small_table_end_to_end() -> None:
    data = {
        "tiny": {
            "litellm_provider": "acme",
            "mode": "chat",
            "input_cost_per_token": 1e-06,
            "output_cost_per_token": Decimal("2e-06"),
        },
        "tiny-alias": {"alias_of": "tiny"},
        "dangling": {"alias_of": "nowhere"},
    }
    book = PriceBook.from_litellm(data, version="test-1", source="test table")
    b = book.cost("TINY-ALIAS", Usage(input_tokens=3, output_tokens=1))
    assert (b.model_key, b.total, b.price_version) == ("tiny", Decimal("0.000005"), "test-1")
    assert book.resolve("dangling") is None
    assert isinstance(b, CostBreakdown)


def test_bundled_book_identity(book: PriceBook) -> None:
    assert re.fullmatch(r"litellm-[0-9a-f]{12}", book.version)
    assert "1.110.2" in book.source
    assert load_bundled_book() is book
    assert re.fullmatch(r"[0-9a-f]{64}", book.content_hash())
    assert len(book.models()) > 4000
