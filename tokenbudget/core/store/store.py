"""`Store`: one database (SQLite file or PostgreSQL) behind a small, explicit API. Open it with `open_store`."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from tokenbudget.core.events import Event
from tokenbudget.core.store import engine as _engine
from tokenbudget.core.store import events_insert, events_repo, price_history_repo, prices_repo, rollups
from tokenbudget.core.store import migrate as _migrations
from tokenbudget.core.store.events_insert import InsertResult
from tokenbudget.core.store.events_repo import CostUpdate

if TYPE_CHECKING:
    from tokenbudget.core.analytics import EventFilter
    from tokenbudget.core.budgets import Budget
    from tokenbudget.core.periods import Period
    from tokenbudget.core.pricing import CustomPrice
    from tokenbudget.core.settings import Settings


class Store:
    """Events, custom prices and price versions in one database. Thread-safe (an engine with a pool)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.url: str = _engine.display_url(engine.url)
        self.dialect: str = engine.dialect.name
        # This process's event writers take turns for the rollup write + COMMIT (see events_insert).
        self._rollup_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    # -- lifecycle --------------------------------------------------------------------------------------------
    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- schema -----------------------------------------------------------------------------------------------
    def upgrade(self, revision: str = "head") -> None:
        _migrations.upgrade(self.engine, revision)

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return _migrations.current_revision(conn)

    def head_revision(self) -> str:
        return _migrations.HEAD_REVISION

    # -- events -----------------------------------------------------------------------------------------------
    def insert_events(self, events: Iterable[Event], *, batch_size: int = 5000) -> InsertResult:
        return events_insert.insert_events(self.engine, events, batch_size, self._rollup_lock)

    def iter_events(
        self,
        period: Period | None = None,
        filters: EventFilter | None = None,
        *,
        only_unpriced: bool = False,
        batch_size: int = 2000,
    ) -> Iterator[Event]:
        return events_repo.iter_events(
            self.engine, period, filters, only_unpriced=only_unpriced, batch_size=batch_size
        )

    def stream_event_rows(
        self,
        period: Period | None = None,
        filters: EventFilter | None = None,
        *,
        columns: Sequence[str],
        batch_size: int = 5000,
    ) -> Iterator[tuple[Any, ...]]:
        """Tuples of the named `events` columns, oldest first, streamed in constant memory (exports)."""
        return events_repo.stream_rows(self.engine, period, filters, columns=columns, batch_size=batch_size)

    def update_costs(self, updates: Iterable[CostUpdate]) -> int:
        return events_repo.update_costs(self.engine, updates)

    def delete_events(self, *, event_id_prefix: str) -> int:
        return events_repo.delete_events(self.engine, event_id_prefix)

    def count_events(self) -> int:
        return events_repo.count_events(self.engine)

    def latest_events(self, limit: int = 50, filters: EventFilter | None = None) -> list[Event]:
        """The `limit` newest matching events, newest first (by occurred_at, then id): the TUI's live tail."""
        from tokenbudget.core.store.filtering import event_conditions
        from tokenbudget.core.store.schema import events

        query = (
            sa.select(events)
            .where(*event_conditions(None, filters))
            .order_by(events.c.occurred_at.desc(), events.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [events_repo._event(row) for row in conn.execute(query)]

    def rebuild_rollups(self) -> None:
        """Recompute the daily rollup from the events (repair, e.g. after rows were written around the store)."""
        with self.engine.begin() as conn:
            rollups.rebuild(conn)

    # -- prices -----------------------------------------------------------------------------------------------
    def list_custom_prices(self) -> list[CustomPrice]:
        return prices_repo.list_custom_prices(self.engine)

    def set_custom_price(self, price: CustomPrice) -> CustomPrice:
        return prices_repo.set_custom_price(self.engine, price)

    def delete_custom_price(self, model: str) -> bool:
        return prices_repo.delete_custom_price(self.engine, model)

    def register_price_version(
        self, version: str, *, source: str, content_hash: str, model_count: int
    ) -> None:
        prices_repo.register_price_version(
            self.engine, version, source=source, content_hash=content_hash, model_count=model_count
        )

    def list_price_versions(self) -> list[dict[str, Any]]:
        return prices_repo.list_price_versions(self.engine)

    # -- price history (tables stored by `tb pricing sync`; see price_history_repo) ----------------------------
    def latest_price_table_version(self) -> str | None:
        return price_history_repo.latest_version(self.engine)

    def latest_price_table(self) -> price_history_repo.StoredPriceTable | None:
        return price_history_repo.latest_table(self.engine)

    def save_price_table(self, **table: Any) -> int:
        return price_history_repo.save_table(self.engine, **table)

    def list_price_changes(self, **filters: Any) -> list[price_history_repo.PriceChangeRecord]:
        return price_history_repo.list_changes(self.engine, **filters)

    def count_unpriced_by_model(self) -> list[tuple[str, str | None, int]]:
        return price_history_repo.count_unpriced_by_model(self.engine)

    # -- budgets and alerts (see budgets_repo / alerts_repo; detection and dispatch live in core/alerts) -----------
    def save_budget(self, budget: Budget) -> tuple[Budget, bool]:
        from tokenbudget.core.store import budgets_repo

        return budgets_repo.save_budget(self.engine, budget)

    def list_budgets(self, *, projects: tuple[str, ...] | None = None) -> list[Budget]:
        from tokenbudget.core.store import budgets_repo

        return budgets_repo.list_budgets(self.engine, projects=projects)

    def get_budget(self, ref: str | int) -> Budget:
        from tokenbudget.core.store import budgets_repo

        return budgets_repo.get_budget(self.engine, ref)

    def delete_budget(self, ref: str | int) -> Budget:
        from tokenbudget.core.store import budgets_repo

        return budgets_repo.delete_budget(self.engine, ref)


def open_store(settings: Settings, *, migrate: bool = True) -> Store:
    """Open the store of `settings.database_url`, bringing its schema to head unless `migrate=False`.

    Raises StoreError with one line when the database is unreachable or cannot be migrated.
    """
    engine = _engine.create_engine(settings.database_url, echo=settings.echo_sql)
    try:
        _engine.check_connection(engine)
        if migrate:
            _migrations.ensure_current(engine)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)
