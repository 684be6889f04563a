"""What changed between two price tables: new models, removed models, and every changed rate (old, new, percent)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from tokenbudget.core.pricing.book import PriceBook
from tokenbudget.core.pricing.model_price import ModelPrice

_PERCENT_STEP = Decimal("0.1")


def rate_fields(price: ModelPrice) -> dict[str, Decimal]:
    """Every token rate of an entry under its LiteLLM name; `tiered_pricing` rows as `tier>START.name`."""
    rates = dict(price.raw_rates)
    for start, tier_rates in price.tiered_pricing:
        for name, rate in tier_rates.items():
            rates[f"tier>{start}.{name}"] = rate
    return rates


def rate_text(rate: Decimal | None) -> str | None:
    """Plain decimal text (no exponent), exact: 2.5e-06 -> '0.0000025'."""
    if rate is None:
        return None
    text = format(rate, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


@dataclass(frozen=True)
class RateChange:
    """One rate of one model: `old` is None for a new model, `new` is None for a removed one."""

    model: str
    field: str
    old: Decimal | None
    new: Decimal | None

    @property
    def change(self) -> str:
        return change_kind(self.old, self.new)

    @property
    def percent(self) -> Decimal | None:
        """(new - old) / old in percent, one decimal; None when there is no old rate, or it was 0, or no new one."""
        return percent_change(self.old, self.new)


def change_kind(old: object | None, new: object | None) -> str:
    """'added' (no old rate), 'removed' (no new rate) or 'changed'."""
    if old is None:
        return "added"
    if new is None:
        return "removed"
    return "changed"


def percent_change(old: Decimal | None, new: Decimal | None) -> Decimal | None:
    if old is None or new is None or old == 0:
        return None
    return ((new - old) / old * 100).quantize(_PERCENT_STEP, rounding=ROUND_HALF_EVEN)


@dataclass
class PriceDiff:
    """Old table -> new table. Models are compared by key; rates by their LiteLLM field name."""

    added: list[ModelPrice] = field(default_factory=list)
    removed: list[ModelPrice] = field(default_factory=list)
    changed: list[RateChange] = field(default_factory=list)  # rates of models in both tables

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    @property
    def changed_models(self) -> list[str]:
        return sorted({c.model for c in self.changed})

    def records(self) -> Iterator[RateChange]:
        """What the price_changes table keeps: each rate of a new model, of a removed one, and each changed rate.

        A model without any token rate (priced per image, per query, ...) has nothing to record.
        """
        for price in self.added:
            for name, rate in sorted(rate_fields(price).items()):
                yield RateChange(price.key, name, None, rate)
        for price in self.removed:
            for name, rate in sorted(rate_fields(price).items()):
                yield RateChange(price.key, name, rate, None)
        yield from self.changed


def diff_books(old: PriceBook, new: PriceBook) -> PriceDiff:
    """Compare two books entry by entry (pass table books without custom prices to compare tables)."""
    before = {price.key: price for price in old.models()}
    after = {price.key: price for price in new.models()}
    diff = PriceDiff(
        added=[after[key] for key in sorted(after.keys() - before.keys())],
        removed=[before[key] for key in sorted(before.keys() - after.keys())],
    )
    for key in sorted(before.keys() & after.keys()):
        diff.changed.extend(_rate_changes(key, rate_fields(before[key]), rate_fields(after[key])))
    return diff


def _rate_changes(key: str, old: Mapping[str, Decimal], new: Mapping[str, Decimal]) -> Iterator[RateChange]:
    for name in sorted(old.keys() | new.keys()):
        before, after = old.get(name), new.get(name)
        # Decimal equality: 2.5e-06 and 0.0000025 are the same rate.
        if before is None or after is None or before != after:
            yield RateChange(key, name, before, after)
