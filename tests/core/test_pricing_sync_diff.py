"""diff_books: new, removed and changed rates, tiered rates, percent and exact decimal text."""

from __future__ import annotations

from decimal import Decimal

from tokenbudget.core.pricing import PriceBook
from tokenbudget.core.pricing.diff import diff_books, percent_change, rate_text
from tokenbudget.core.pricing.snapshot import loads


def book(text: str) -> PriceBook:
    return PriceBook.from_litellm(loads(text), version="v", source="test")


OLD = """{
  "a": {"litellm_provider": "openai", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06},
  "b": {"litellm_provider": "openai", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06},
  "img": {"litellm_provider": "openai", "mode": "image_generation", "output_cost_per_image": 0.04},
  "t": {"litellm_provider": "x", "output_cost_per_token": 1e-06,
        "tiered_pricing": [{"range": [0, 32000], "input_cost_per_token": 1e-06},
                           {"range": [32000, 128000], "input_cost_per_token": 2e-06}]}
}"""
NEW = """{
  "a": {"litellm_provider": "openai", "input_cost_per_token": 0.000001, "output_cost_per_token": 3e-06,
        "cache_read_input_token_cost": 1e-07},
  "c": {"litellm_provider": "openai", "input_cost_per_token": 5e-07, "output_cost_per_token": 1e-06},
  "img": {"litellm_provider": "openai", "mode": "image_generation", "output_cost_per_image": 0.05},
  "t": {"litellm_provider": "x", "output_cost_per_token": 1e-06,
        "tiered_pricing": [{"range": [0, 32000], "input_cost_per_token": 1e-06},
                           {"range": [32000, 128000], "input_cost_per_token": 1.5e-06}]}
}"""


def test_diff_books() -> None:
    diff = diff_books(book(OLD), book(NEW))
    assert [p.key for p in diff.added] == ["c"]
    assert [p.key for p in diff.removed] == ["b"]
    changes = [
        (c.model, c.field, c.change, rate_text(c.old), rate_text(c.new), c.percent) for c in diff.changed
    ]
    # 1e-06 and 0.000001 are the same rate: no change; a rate new to a model is "added".
    assert changes == [
        ("a", "cache_read_input_token_cost", "added", None, "0.0000001", None),
        ("a", "output_cost_per_token", "changed", "0.000002", "0.000003", Decimal("50.0")),
        ("t", "tier>32000.input_cost_per_token", "changed", "0.000002", "0.0000015", Decimal("-25.0")),
    ]
    assert diff.changed_models == ["a", "t"]
    records = [(r.model, r.field, r.change) for r in diff.records()]
    assert ("c", "input_cost_per_token", "added") in records
    assert ("b", "output_cost_per_token", "removed") in records
    assert not any(model == "img" for model, _, _ in records)  # no token rate: nothing to record
    assert diff_books(book(OLD), book(OLD)).is_empty


def test_percent_and_text() -> None:
    assert percent_change(Decimal(3), Decimal(4)) == Decimal("33.3")
    assert percent_change(Decimal(0), Decimal(4)) is None
    assert percent_change(None, Decimal(4)) is None
    assert rate_text(Decimal("2.5E-6")) == "0.0000025"
    assert rate_text(Decimal("0E-7")) == "0"
    assert rate_text(Decimal(3)) == "3"
