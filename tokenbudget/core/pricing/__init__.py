"""The price book: LiteLLM's price table (bundled snapshot) plus custom prices, and exact per-call costs.

Import-time cheap: nothing is read until `load_bundled_book()` is called.
"""

from tokenbudget.core.pricing.book import PriceBook
from tokenbudget.core.pricing.cost import CostBreakdown
from tokenbudget.core.pricing.custom import CustomPrice
from tokenbudget.core.pricing.errors import UnpricedModelError
from tokenbudget.core.pricing.model_price import ModelPrice, PriceTier
from tokenbudget.core.pricing.snapshot import load_bundled_book

__all__ = [
    "CostBreakdown",
    "CustomPrice",
    "ModelPrice",
    "PriceBook",
    "PriceTier",
    "UnpricedModelError",
    "load_bundled_book",
]
