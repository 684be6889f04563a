"""Re-pricing stored calls with the current book: the one explicit act that rewrites history.

`plan_reprice` reads the calls and works out what would change (per model: calls, newly priced, old and new cost)
without writing anything; `reprice_updates` walks the calls again and yields the new costs for
`Store.update_costs`, which writes them in batches: memory stays constant however many calls are re-priced.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

if TYPE_CHECKING:
    from tokenbudget.core.analytics import EventFilter
    from tokenbudget.core.periods import Period
    from tokenbudget.core.pricing import PriceBook
    from tokenbudget.core.store import CostUpdate, Store


@dataclass
class ModelDiff:
    events: int = 0
    old_cost: Decimal = Decimal(0)
    new_cost: Decimal = Decimal(0)
    newly_priced: int = 0


@dataclass
class RepricePlan:
    scanned: int = 0
    models: dict[str, ModelDiff] = field(default_factory=lambda: defaultdict(ModelDiff))
    still_unpriced: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def changed(self) -> int:
        return sum(d.events for d in self.models.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "scanned": self.scanned,
            "changed": self.changed,
            "old_cost_usd": format(sum((d.old_cost for d in self.models.values()), Decimal(0)), "f"),
            "new_cost_usd": format(sum((d.new_cost for d in self.models.values()), Decimal(0)), "f"),
            "models": [
                {
                    "model": name,
                    "events": d.events,
                    "newly_priced": d.newly_priced,
                    "old_cost_usd": format(d.old_cost, "f"),
                    "new_cost_usd": format(d.new_cost, "f"),
                }
                for name, d in sorted(self.models.items())
            ],
            "still_unpriced": dict(sorted(self.still_unpriced.items())),
        }


def plan_reprice(
    store: Store, book: PriceBook, period: Period | None, filters: EventFilter, *, everything: bool = False
) -> RepricePlan:
    """What re-pricing would change. Only unpriced calls unless `everything`; never un-prices a call."""
    plan = RepricePlan()
    for _ in _walk(store, book, period, filters, everything, plan):
        pass
    return plan


def reprice_updates(
    store: Store, book: PriceBook, period: Period | None, filters: EventFilter, *, everything: bool = False
) -> Iterator[CostUpdate]:
    """The new costs plan_reprice counted, computed again page by page as they are consumed (a generator)."""
    return _walk(store, book, period, filters, everything, None)


def _walk(
    store: Store,
    book: PriceBook,
    period: Period | None,
    filters: EventFilter,
    everything: bool,
    plan: RepricePlan | None,
) -> Iterator[CostUpdate]:
    from tokenbudget.core.store import CostUpdate

    for event in store.iter_events(period, filters, only_unpriced=not everything):
        breakdown = book.try_cost(event.model, event.usage, provider=event.provider)
        if plan is not None:
            plan.scanned += 1
        if breakdown is None:
            if plan is not None and event.cost_status == "unpriced":
                plan.still_unpriced[event.model] += 1
            continue  # a priced or client-reported call keeps what it has
        new_cost = breakdown.total
        unchanged = event.cost_usd == new_cost and event.price_version == breakdown.price_version
        if event.cost_status == "priced" and unchanged:
            continue
        if plan is not None:
            entry = plan.models[breakdown.model_key]
            entry.events += 1
            entry.old_cost += event.cost_usd or Decimal(0)
            entry.new_cost += new_cost
            entry.newly_priced += event.cost_status != "priced"
        yield CostUpdate(event.event_id, breakdown.model_key, new_cost, "priced", breakdown.price_version)
