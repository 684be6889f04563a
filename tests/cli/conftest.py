"""CLI fixtures: the environment a user's shell would give `tb`, for each store backend."""

from __future__ import annotations

import pytest

from tokenbudget.core.settings import Settings


@pytest.fixture
def tb_env(store_settings: Settings) -> dict[str, str]:
    """TOKENBUDGET_HOME in a temp dir and the store URL of the current backend (SQLite file or a PG schema)."""
    return {
        "TOKENBUDGET_HOME": str(store_settings.home),
        "TOKENBUDGET_DATABASE_URL": store_settings.database_url,
    }
