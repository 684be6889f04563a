"""Custom prices: negotiated rates or private models, which win over the synced table for their names."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType

from tokenbudget.core.errors import PriceDataError
from tokenbudget.core.pricing.model_price import ModelPrice, to_decimal
from tokenbudget.core.pricing.rates import BASE_KEYS


@dataclass(frozen=True)
class CustomPrice:
    model: str
    input_per_token: Decimal
    output_per_token: Decimal
    cache_read_per_token: Decimal | None = None
    cache_write_per_token: Decimal | None = None
    provider: str | None = None
    updated_at: datetime | None = None

    @property
    def version(self) -> str:
        """Stable per revision: the events it priced keep naming the revision that priced them."""
        if self.updated_at is not None:
            return f"custom-{self.model}-{self.updated_at:%Y%m%dT%H%M%S}"
        # Without a timestamp, the rates themselves identify the revision.
        text = "|".join(
            str(v)
            for v in (
                self.input_per_token,
                self.output_per_token,
                self.cache_read_per_token,
                self.cache_write_per_token,
            )
        )
        return f"custom-{self.model}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"

    def to_model_price(self) -> ModelPrice:
        if not self.model.strip():
            raise PriceDataError("a custom price needs a model name")
        where = f"custom price {self.model}"
        raw = {
            BASE_KEYS["input"]: to_decimal(self.input_per_token, f"{where}: input"),
            BASE_KEYS["output"]: to_decimal(self.output_per_token, f"{where}: output"),
        }
        if self.cache_read_per_token is not None:
            raw[BASE_KEYS["cache_read"]] = to_decimal(self.cache_read_per_token, f"{where}: cache read")
        if self.cache_write_per_token is not None:
            raw[BASE_KEYS["cache_write"]] = to_decimal(self.cache_write_per_token, f"{where}: cache write")
        return ModelPrice(
            key=self.model,
            provider=self.provider,
            mode="chat",
            input=raw[BASE_KEYS["input"]],
            output=raw[BASE_KEYS["output"]],
            cache_read=raw.get(BASE_KEYS["cache_read"]),
            cache_write=raw.get(BASE_KEYS["cache_write"]),
            cache_write_1h=None,
            reasoning=None,
            tiers=(),
            service_tiers=MappingProxyType({}),
            token_priced=True,
            unpriced_reason=None,
            source="custom",
            max_input_tokens=None,
            max_output_tokens=None,
            raw_rates=MappingProxyType(raw),
            version=self.version,
        )
