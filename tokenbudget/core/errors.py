"""One root error for everything TokenBudget raises on purpose.

The CLI and the server turn these into a message plus an exit code / HTTP status at their edge;
core code only raises them.
"""

from __future__ import annotations


class TokenBudgetError(Exception):
    """Root of every error TokenBudget raises deliberately."""

    exit_code = 1
    http_status = 400


class ConfigError(TokenBudgetError):
    """Settings or a config file could not be understood."""


class InvalidUsageError(TokenBudgetError, ValueError):
    """A usage record breaks the canonical rules (negative counts, parts larger than totals, ...)."""

    http_status = 422


class InvalidEventError(TokenBudgetError, ValueError):
    """An event (import line, API payload) is malformed."""

    http_status = 422


class UnknownModelError(TokenBudgetError, LookupError):
    """No price is known for a model name."""

    http_status = 404


class PriceDataError(TokenBudgetError):
    """A price table is malformed or cannot be read."""


class InvalidPeriodError(TokenBudgetError, ValueError):
    """A period string such as '30d' or '2026-01-01..2026-01-31' cannot be parsed."""

    exit_code = 2


class StoreError(TokenBudgetError):
    """The store cannot be opened, migrated or queried."""

    http_status = 503


class NotFoundError(TokenBudgetError, LookupError):
    """A named thing (custom price, project, ...) does not exist."""

    http_status = 404
