"""Re-pricing plans on SQLite and PostgreSQL: what changes, what never does."""

from __future__ import annotations

from decimal import Decimal

from tokenbudget.core.analytics import EventFilter, totals
from tokenbudget.core.periods import parse_period
from tokenbudget.core.pricing import CustomPrice, load_bundled_book
from tokenbudget.core.reprice import plan_reprice, reprice_updates
from tokenbudget.core.usage import Usage


def test_plan_prices_unpriced_calls_and_writes_nothing_until_applied(store, event_factory) -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    store.insert_events(
        [
            event_factory(model="acme-llm-2", provider="acme", usage=usage, cost=None),
            event_factory(model="acme-llm-2", provider="acme", usage=usage, cost=None),
            event_factory(model="mystery", provider=None, usage=usage, cost=None),
            event_factory(model="gpt-4o", usage=usage, cost=Decimal("1")),  # a stale price
            event_factory(model="gone", usage=usage, cost=Decimal("2"), cost_status="client_reported"),
        ]
    )
    book = load_bundled_book().with_custom_prices(
        [CustomPrice(model="acme-llm-2", input_per_token=Decimal("1e-6"), output_per_token=Decimal("2e-6"))]
    )
    everything = parse_period("all")
    plan = plan_reprice(store, book, everything, EventFilter())
    assert plan.scanned == 3 and plan.changed == 2  # only unpriced calls by default
    assert plan.models["acme-llm-2"].newly_priced == 2
    assert plan.models["acme-llm-2"].new_cost == Decimal("6")
    assert dict(plan.still_unpriced) == {"mystery": 1}
    assert totals(store, everything, EventFilter()).unpriced_requests == 3  # a plan writes nothing

    assert store.update_costs(reprice_updates(store, book, everything, EventFilter())) == 2
    after = totals(store, everything, EventFilter())
    assert after.unpriced_requests == 1
    assert after.cost_usd == Decimal("1") + Decimal("2") + Decimal("6")

    full = plan_reprice(store, book, everything, EventFilter(), everything=True)
    # gpt-4o gets today's price; the client-reported call of an unknown model keeps its figure
    assert set(full.models) == {"gpt-4o"}
    assert full.models["gpt-4o"].new_cost == Decimal("2.5") + Decimal("10")
    store.update_costs(reprice_updates(store, book, everything, EventFilter(), everything=True))
    assert plan_reprice(store, book, everything, EventFilter(), everything=True).changed == 0


def test_reprice_streams_while_it_writes_across_many_pages(store, event_factory) -> None:
    # More calls than one read page (2,000) and one write batch (5,000): the pages are read while earlier
    # ones are being re-priced, and each newly priced call leaves the "unpriced" filter behind the cursor.
    from tokenbudget.core.usage import Usage

    usage = Usage(input_tokens=1000, output_tokens=500)
    store.insert_events(
        [event_factory(model="acme-llm-2", provider=None, usage=usage, cost=None) for _ in range(12_345)]
    )
    book = load_bundled_book().with_custom_prices(
        [CustomPrice(model="acme-llm-2", input_per_token=Decimal("1e-6"), output_per_token=Decimal("2e-6"))]
    )
    everything = parse_period("all")
    updates = reprice_updates(store, book, everything, EventFilter())
    assert iter(updates) is updates  # a generator: nothing is computed or held before it is consumed
    assert store.update_costs(updates) == 12_345
    after = totals(store, everything, EventFilter())
    assert after.unpriced_requests == 0 and after.cost_usd == Decimal("0.002") * 12_345
