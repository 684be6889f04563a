"""Pricing errors beyond the shared ones in `tokenbudget.core.errors`."""

from __future__ import annotations

from tokenbudget.core.errors import TokenBudgetError


class UnpricedModelError(TokenBudgetError, LookupError):
    """The model is known, but not priced per token (e.g. per image), so a token usage cannot be priced."""

    http_status = 422
