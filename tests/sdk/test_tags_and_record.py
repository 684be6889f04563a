"""tags() scoping (nesting, threads, asyncio) and record() into the local store."""

from __future__ import annotations

import asyncio
import logging
import threading
from decimal import Decimal

import tokenbudget
from tokenbudget.core.pricing import CustomPrice
from tokenbudget.core.store import open_store
from tokenbudget.core.usage import Usage


def test_nested_tags_merge_inner_wins_and_none_removes():
    with tokenbudget.tags(feature="outer", user_id="u1", team="a"):
        with tokenbudget.tags(feature="inner", team=None, extra=1):
            assert tokenbudget.current_tags() == {"feature": "inner", "user_id": "u1", "extra": "1"}
        assert tokenbudget.current_tags() == {"feature": "outer", "user_id": "u1", "team": "a"}
    assert tokenbudget.current_tags() == {}


def test_tags_are_isolated_between_threads():
    seen = {}
    barrier = threading.Barrier(4)

    def worker(n):
        with tokenbudget.tags(user_id=f"u{n}"):
            barrier.wait()
            seen[n] = dict(tokenbudget.current_tags())

    with tokenbudget.tags(feature="main-thread-only"):
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert seen == {n: {"user_id": f"u{n}"} for n in range(4)}


def test_tags_follow_asyncio_tasks_under_gather():
    async def task(n):
        with tokenbudget.tags(user_id=f"u{n}"):
            await asyncio.sleep(0.01 * (3 - n))
            return dict(tokenbudget.current_tags())

    async def main():
        with tokenbudget.tags(feature="batch"):
            return await asyncio.gather(*(task(n) for n in range(3)))

    assert asyncio.run(main()) == [{"feature": "batch", "user_id": f"u{n}"} for n in range(3)]


def test_tags_as_decorator_on_sync_and_async_functions():
    @tokenbudget.tags(feature="summarize")
    def sync_fn():
        return dict(tokenbudget.current_tags())

    @tokenbudget.tags(feature="async-summarize", env="test")
    async def async_fn():
        await asyncio.sleep(0)
        return dict(tokenbudget.current_tags())

    with tokenbudget.tags(user_id="u9"):
        assert sync_fn() == {"feature": "summarize", "user_id": "u9"}
        assert asyncio.run(async_fn()) == {"feature": "async-summarize", "env": "test", "user_id": "u9"}
    assert sync_fn.__name__ == "sync_fn"
    assert tokenbudget.current_tags() == {}


def test_record_any_provider_into_the_local_store(recorded, store_settings):
    with open_store(store_settings) as store:
        store.set_custom_price(
            CustomPrice(
                model="mistral-large-latest",
                provider="mistral",
                input_per_token=Decimal("0.000002"),
                output_per_token=Decimal("0.000006"),
            )
        )
    with tokenbudget.tags(feature="rag", customer="acme"):
        event_id = tokenbudget.record(
            provider="mistral",
            model="mistral-large-latest",
            input_tokens=1000,
            output_tokens=100,
            latency_ms=321,
            request_id="r1",
            user_id="explicit",
        )
    [event] = recorded()
    assert event.event_id == event_id
    assert event.usage == Usage(input_tokens=1000, output_tokens=100)
    assert event.cost_usd == Decimal("0.0026")  # the store's custom price, exactly
    assert (event.feature, event.user_id, dict(event.tags)) == ("rag", "explicit", {"customer": "acme"})
    assert (event.latency_ms, event.request_id, event.provider) == (321, "r1", "mistral")


def test_invalid_record_never_raises_is_dropped_and_warned_once(recorded, sdk_warnings):
    for _ in range(3):
        assert tokenbudget.record(model="gpt-4o", input_tokens=-5) is not None
    tokenbudget.record(model="gpt-4o", input_tokens=10, output_tokens=2)
    events = recorded()
    assert [e.usage.input_tokens for e in events] == [10]
    warnings = [r for r in sdk_warnings.records if "invalid event" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING and warnings[0].name == "tokenbudget"


def test_flush_and_shutdown_are_safe_to_repeat(recorded):
    tokenbudget.record(model="gpt-4o", input_tokens=1)
    assert tokenbudget.flush(timeout=30)
    assert tokenbudget.shutdown(timeout=30)
    assert tokenbudget.shutdown(timeout=30)
    assert tokenbudget.flush(timeout=1)
    tokenbudget.record(model="gpt-4o", input_tokens=2)  # a new worker after shutdown
    assert sorted(e.usage.input_tokens for e in recorded()) == [1, 2]
