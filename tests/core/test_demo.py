"""Demo data: deterministic, valid, and shaped like real usage (weekday rhythm, caches, reasoning, errors)."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import asdict
from datetime import datetime, timedelta, timezone

import pytest

from tokenbudget.core.demo import (
    DEMO_EVENT_PREFIX,
    UNPRICED_DEMO_MODEL,
    estimate_demo_count,
    generate_demo_events,
)
from tokenbudget.core.events import EventInput, parse_event
from tokenbudget.core.pricing import load_bundled_book
from tokenbudget.core.usage import Usage

NOW = datetime(2026, 3, 15, 10, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def month() -> list[EventInput]:
    return list(generate_demo_events(days=28, seed=7, now=NOW))


def test_deterministic_for_a_seed_and_different_across_seeds(month: list[EventInput]) -> None:
    assert list(generate_demo_events(days=28, seed=7, now=NOW)) == month
    # Only the date of `now` matters, not its time of day.
    assert list(generate_demo_events(days=28, seed=7, now=NOW.replace(hour=23, minute=59))) == month
    other = list(generate_demo_events(days=28, seed=8, now=NOW))
    assert [asdict(e) | {"event_id": None} for e in other] != [asdict(e) | {"event_id": None} for e in month]


def test_a_day_does_not_depend_on_the_window_length(month: list[EventInput]) -> None:
    week = list(generate_demo_events(days=7, seed=7, now=NOW))
    assert week == month[-len(week) :]


def test_ids_are_unique_prefixed_and_name_the_seed(month: list[EventInput]) -> None:
    ids = [e.event_id for e in month]
    assert len(set(ids)) == len(ids)
    assert all(i is not None and i.startswith(f"{DEMO_EVENT_PREFIX}7_") for i in ids)


def test_every_event_is_valid(month: list[EventInput]) -> None:
    for e in month:
        # Re-validate through the Usage rules (cache parts <= input, 1h <= write, reasoning <= output).
        assert Usage(**{k: v for k, v in asdict(e.usage).items()}) == e.usage
        assert e.occurred_at.tzinfo is not None and e.occurred_at < NOW.replace(hour=0, minute=0)
        assert e.status in ("ok", "error") and e.latency_ms is not None and e.latency_ms > 0
        assert e.project and e.feature and e.provider and e.env in ("prod", "staging", "dev")
        assert all(isinstance(v, str) for v in e.tags.values())


def test_events_round_trip_through_the_import_parser(month: list[EventInput]) -> None:
    for e in month[:500]:
        line = {
            "event_id": e.event_id,
            "occurred_at": e.occurred_at.isoformat(),
            "provider": e.provider,
            "model": e.model,
            "project": e.project,
            "feature": e.feature,
            "user_id": e.user_id,
            "env": e.env,
            "tags": dict(e.tags),
            "latency_ms": e.latency_ms,
            "status": e.status,
            "request_id": e.request_id,
            **asdict(e.usage),
        }
        assert parse_event(line) == e


def test_window_covers_whole_past_days_in_order(month: list[EventInput]) -> None:
    days = sorted({e.occurred_at.date() for e in month})
    assert days[0] == NOW.date() - timedelta(days=28) and days[-1] == NOW.date() - timedelta(days=1)
    assert len(days) == 28
    assert [e.occurred_at for e in month] == sorted(e.occurred_at for e in month)


def test_volume_and_weekday_rhythm(month: list[EventInput]) -> None:
    per_day = Counter(e.occurred_at.date() for e in month)
    weekday = [n for d, n in per_day.items() if d.weekday() < 5]
    weekend = [n for d, n in per_day.items() if d.weekday() >= 5]
    assert statistics.mean(weekday) > 1.3 * statistics.mean(weekend)
    assert 300 <= statistics.mean(per_day.values()) <= 600
    # working hours are busier than the night
    hours = Counter(e.occurred_at.hour for e in month)
    assert sum(hours[h] for h in range(10, 17)) > 3 * sum(hours[h] for h in range(0, 7))


def test_slow_growth(month: list[EventInput]) -> None:
    per_day = Counter(e.occurred_at.date() for e in month)
    days = sorted(per_day)
    assert sum(per_day[d] for d in days[-14:]) > sum(per_day[d] for d in days[:14])


def test_contains_every_kind_of_call(month: list[EventInput]) -> None:
    usages = [e.usage for e in month]
    assert any(u.cache_read_input_tokens for u in usages)
    assert any(u.cache_write_input_tokens and not u.cache_write_1h_input_tokens for u in usages)
    assert any(u.cache_write_1h_input_tokens for u in usages)
    assert any(u.reasoning_tokens for u in usages)
    assert any(u.service_tier == "batch" for u in usages)
    assert any(u.output_tokens == 0 and u.input_tokens for u in usages)  # embeddings
    errors = [e for e in month if e.status == "error"]
    assert errors and all(e.usage.total_tokens == 0 for e in errors)
    assert {e.provider for e in month} == {"openai", "anthropic", "acme"}
    unpriced = sum(e.model == UNPRICED_DEMO_MODEL for e in month) / len(month)
    assert 0.003 < unpriced < 0.03
    envs = Counter(e.env for e in month)
    assert envs["prod"] > envs["staging"] > envs["dev"] > 0
    assert len({e.project for e in month}) >= 3
    assert len({e.user_id for e in month if e.user_id}) > 20


def test_models_are_priced_by_the_bundled_book(month: list[EventInput]) -> None:
    book = load_bundled_book()
    models = {(e.model, e.provider) for e in month if e.model != UNPRICED_DEMO_MODEL}
    unpriced = {m for m in models if book.try_cost(m[0], Usage(input_tokens=1), provider=m[1]) is None}
    assert not unpriced
    assert book.resolve(UNPRICED_DEMO_MODEL) is None
    assert any(
        m[-10:].replace("-", "").isdigit() for m, _ in models
    )  # some date-suffixed names, as SDKs report


def test_scale() -> None:
    small = list(generate_demo_events(days=3, seed=1, now=NOW, scale=0.1))
    big = list(generate_demo_events(days=3, seed=1, now=NOW, scale=2.0))
    assert 5 * len(small) < len(big)
    assert list(generate_demo_events(days=0, now=NOW)) == []


@pytest.mark.parametrize(("days", "scale"), [(28, 1.0), (3, 0.5), (90, 2.0)])
def test_estimate_demo_count(days: int, scale: float) -> None:
    actual = sum(1 for _ in generate_demo_events(days=days, seed=3, now=NOW, scale=scale))
    assert estimate_demo_count(days, scale, seed=3, now=NOW) == actual
    assert abs(estimate_demo_count(days, scale) - actual) <= 0.1 * actual
