"""The canonical usage record and event parsing/pricing: clear rejections, nothing silently $0."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from tokenbudget.core.errors import InvalidEventError, InvalidUsageError
from tokenbudget.core.events import parse_event, price_event
from tokenbudget.core.pricing import load_bundled_book
from tokenbudget.core.usage import Usage

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"input_tokens": -1}, "input_tokens must not be negative"),
        (
            {"input_tokens": 10, "cache_read_input_tokens": 8, "cache_write_input_tokens": 3},
            "exceed input_tokens",
        ),
        ({"input_tokens": 10, "cache_write_input_tokens": 2, "cache_write_1h_input_tokens": 3}, "1-hour"),
        ({"output_tokens": 5, "reasoning_tokens": 6}, "reasoning_tokens (6) exceed output_tokens (5)"),
        ({"service_tier": "turbo"}, "service_tier must be one of"),
        ({"input_tokens": 1.5}, "whole number"),
        ({"input_tokens": True}, "whole number"),
    ],
)
def test_usage_rejects_impossible_counts(fields: dict, message: str) -> None:
    with pytest.raises(InvalidUsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Usage(**fields)


def test_usage_parts() -> None:
    u = Usage(
        input_tokens=100,
        cache_read_input_tokens=30,
        cache_write_input_tokens=20,
        cache_write_1h_input_tokens=5,
        output_tokens=50,
        reasoning_tokens=10,
    )
    assert (u.uncached_input_tokens, u.cache_write_5m_input_tokens, u.text_output_tokens) == (50, 15, 40)
    assert u.total_tokens == 150


def test_parse_event_accepts_csv_strings_and_derives_a_stable_id() -> None:
    row = {"model": "gpt-4o", "input_tokens": "12", "output_tokens": "3", "occurred_at": "2026-11-20T10:00:00Z",
           "tags": '{"team": "search"}', "cost_usd": "0.1", "feature": ""}  # fmt: skip
    first, second = parse_event(row, now=NOW), parse_event(dict(row), now=NOW)
    assert first.usage == Usage(input_tokens=12, output_tokens=3)
    assert first.occurred_at == datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
    assert first.tags == {"team": "search"} and first.feature is None
    assert first.client_cost_usd == Decimal("0.1")  # from the text, not a binary float
    assert first.event_id == second.event_id and first.event_id.startswith("c_")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"input_tokens": 1}, "model is required"),
        ({"model": "m", "colour": "red"}, "unknown field"),
        ({"model": "m", "occurred_at": "yesterday"}, "ISO 8601"),
        ({"model": "m", "status": "maybe"}, "status"),
        ({"model": "m", "cost_usd": "-1"}, "non-negative"),
        ({"model": "m", "tags": "[1]"}, "tags"),
        ({"model": "m", "input_tokens": 5, "cache_read_input_tokens": 9}, "exceed input_tokens"),
    ],
)
def test_parse_event_rejects_with_a_reason(row: dict, message: str) -> None:
    with pytest.raises(InvalidEventError, match=message):
        parse_event(row, now=NOW)


def test_price_event_never_silently_zero() -> None:
    book = load_bundled_book()
    priced = price_event(parse_event({"model": "gpt-4o", "input_tokens": 1000}, now=NOW), book)
    assert priced.cost_status == "priced" and priced.cost_usd == Decimal("0.0025")
    assert priced.price_version == book.version and priced.price_key == "gpt-4o"
    unknown = price_event(parse_event({"model": "acme-llm-2", "input_tokens": 1000}, now=NOW), book)
    assert unknown.cost_status == "unpriced" and unknown.cost_usd is None and unknown.price_version is None
    reported = price_event(parse_event({"model": "acme-llm-2", "cost_usd": "0.25"}, now=NOW), book)
    assert reported.cost_status == "client_reported" and reported.cost_usd == Decimal("0.25")
    # the server's own price wins over a client's figure for a model it knows
    overridden = price_event(
        parse_event({"model": "gpt-4o", "input_tokens": 1000, "cost_usd": "9"}, now=NOW), book
    )
    assert overridden.cost_status == "priced" and overridden.cost_usd == Decimal("0.0025")
