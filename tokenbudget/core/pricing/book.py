"""`PriceBook`: an immutable set of model prices (a LiteLLM table plus custom prices) that prices usage."""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from tokenbudget.core.errors import PriceDataError, UnknownModelError
from tokenbudget.core.pricing.cost import CostBreakdown, compute_cost
from tokenbudget.core.pricing.custom import CustomPrice
from tokenbudget.core.pricing.errors import UnpricedModelError
from tokenbudget.core.pricing.model_price import ModelPrice
from tokenbudget.core.pricing.names import NameIndex
from tokenbudget.core.usage import Usage

# Top-level keys of a LiteLLM table that are not models.
NON_MODEL_KEYS = frozenset({"__meta__", "sample_spec", "fallback_generalizations"})
_RESOLVED_MEMO_SIZE = 10_000


class PriceBook:
    """Prices by model name. Immutable: `with_custom_prices` returns a new book."""

    def __init__(
        self,
        entries: Mapping[str, ModelPrice],
        aliases: Mapping[str, str],
        *,
        version: str,
        source: str,
        custom: Mapping[str, ModelPrice] | None = None,
    ) -> None:
        self.version = version
        self.source = source
        self._entries = dict(entries)
        self._aliases = dict(aliases)  # alias key -> target key (targets are always entries)
        self._custom = dict(custom or {})
        self._index: NameIndex | None = None
        self._custom_index: NameIndex | None = None
        self._hash: str | None = None
        # Name resolution memo: the book never changes, and ingest asks for the same few models all day long.
        self._resolved: dict[tuple[str, str | None], ModelPrice | None] = {}

    # -- construction ---------------------------------------------------------------------------------------------

    @classmethod
    def from_litellm(cls, data: Mapping[str, Any], *, version: str, source: str) -> PriceBook:
        """Read a LiteLLM price table (ideally parsed with parse_float=Decimal). Raises PriceDataError."""
        if not isinstance(data, Mapping):
            raise PriceDataError(f"a price table must be a JSON object, got {type(data).__name__}")
        entries: dict[str, ModelPrice] = {}
        pointers: dict[str, str] = {}
        for key, entry in data.items():
            if key in NON_MODEL_KEYS:
                continue
            if not isinstance(key, str) or not key:
                raise PriceDataError(f"model keys must be non-empty strings, got {key!r}")
            if not isinstance(entry, Mapping):
                raise PriceDataError(f"{key}: expected an object, got {type(entry).__name__}")
            target = entry.get("alias_of")
            if target is not None:
                if not isinstance(target, str):
                    raise PriceDataError(f"{key}.alias_of: expected a model name, got {target!r}")
                pointers[key] = target
                continue
            entries[key] = ModelPrice.from_entry(key, entry)
        # LiteLLM drops an alias whose target is missing or itself an alias; so do we (it is not a pricing error).
        aliases = {alias: target for alias, target in pointers.items() if target in entries}
        return cls(entries, aliases, version=version, source=source)

    def with_custom_prices(self, prices: Iterable[CustomPrice]) -> PriceBook:
        custom = dict(self._custom)
        for price in prices:
            custom[price.model] = price.to_model_price()
        return PriceBook(
            self._entries, self._aliases, version=self.version, source=self.source, custom=custom
        )

    # -- lookup -----------------------------------------------------------------------------------------------------

    def _indexes(self) -> tuple[NameIndex, NameIndex]:
        if self._index is None:
            table = [(key, price.provider) for key, price in self._entries.items()]
            table += [(alias, self._entries[target].provider) for alias, target in self._aliases.items()]
            self._index = NameIndex(table)
            self._custom_index = NameIndex((key, price.provider) for key, price in self._custom.items())
        assert self._custom_index is not None
        return self._index, self._custom_index

    def resolve(self, model: str, provider: str | None = None) -> ModelPrice | None:
        """The price entry `model` resolves to (custom prices first), or None."""
        try:
            return self._resolved[model, provider]
        except KeyError:
            pass
        price = self._resolve(model, provider)
        if len(self._resolved) < _RESOLVED_MEMO_SIZE:  # bounded: clients may send any number of odd names
            self._resolved[model, provider] = price
        return price

    def _resolve(self, model: str, provider: str | None) -> ModelPrice | None:
        index, custom_index = self._indexes()
        if self._custom:
            key = custom_index.find(model, provider)
            if key is not None:
                return self._custom[key]
        key = index.find(model, provider)
        if key is None:
            return None
        return self._entries[self._aliases.get(key, key)]

    def models(self) -> list[ModelPrice]:
        """Every entry (custom ones replacing table entries of the same key), sorted by key."""
        merged = {**self._entries, **self._custom}
        return [merged[key] for key in sorted(merged)]

    def __len__(self) -> int:
        return len(self._entries) + len(self._custom)

    # -- pricing ----------------------------------------------------------------------------------------------------

    def cost(self, model: str, usage: Usage, provider: str | None = None) -> CostBreakdown:
        """Price `usage`; raises UnknownModelError (with close names) or UnpricedModelError."""
        price = self.resolve(model, provider)
        if price is None:
            raise UnknownModelError(self._unknown_message(model))
        if not price.token_priced:
            raise UnpricedModelError(
                f"{price.key} is {price.unpriced_reason}; token pricing is not supported for it yet"
            )
        return self._price(price, usage)

    def try_cost(self, model: str, usage: Usage, provider: str | None = None) -> CostBreakdown | None:
        """Like `cost`, but None for an unknown or non-token-priced model (hot path: no suggestion search)."""
        price = self.resolve(model, provider)
        if price is None or not price.token_priced:
            return None
        return self._price(price, usage)

    def _price(self, price: ModelPrice, usage: Usage) -> CostBreakdown:
        threshold, rates = price.plan(usage.service_tier).pick(usage.input_tokens)
        return compute_cost(
            model_key=price.key,
            provider=price.provider,
            price_version=price.version or self.version,
            usage=usage,
            tier_threshold=threshold,
            rates=rates,
        )

    def _unknown_message(self, model: str) -> str:
        index, custom_index = self._indexes()
        names = index.keys_lower() + custom_index.keys_lower()
        close = difflib.get_close_matches(model.strip().lower(), names, n=3, cutoff=0.6)
        canonical = [index.canonical(name) or custom_index.canonical(name) or name for name in close]
        hint = f"; did you mean {', '.join(canonical)}?" if canonical else ""
        return f"no price known for model {model!r} in {self.source}{hint}"

    # -- identity ---------------------------------------------------------------------------------------------------

    def content_hash(self) -> str:
        """sha256 over every rate of every entry (custom prices included): equal hashes price identically."""
        if self._hash is None:
            digest = hashlib.sha256()
            for price in self.models():
                row = {
                    "key": price.key,
                    "provider": price.provider,
                    "source": price.source,
                    "rates": {name: str(rate) for name, rate in sorted(price.raw_rates.items())},
                    "tiered": [
                        [start, {k: str(v) for k, v in r.items()}] for start, r in price.tiered_pricing
                    ],
                }
                digest.update(json.dumps(row, sort_keys=True).encode())
            for alias in sorted(self._aliases):
                digest.update(f"{alias}->{self._aliases[alias]}".encode())
            self._hash = digest.hexdigest()
        return self._hash

    def __repr__(self) -> str:
        return f"PriceBook(version={self.version!r}, entries={len(self)})"
