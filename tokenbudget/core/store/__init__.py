"""The store: events, custom prices and price versions on SQLite or PostgreSQL (SQLAlchemy 2.0 + Alembic)."""

from tokenbudget.core.store.events_insert import InsertResult
from tokenbudget.core.store.events_repo import CostUpdate
from tokenbudget.core.store.store import Store, open_store

__all__ = ["CostUpdate", "InsertResult", "Store", "open_store"]
