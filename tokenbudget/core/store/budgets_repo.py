"""Budgets table: create-or-update by name, list, get, delete. Limits are stored as exact integer nano-USD."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tokenbudget.core.budgets import Budget
from tokenbudget.core.errors import NotFoundError
from tokenbudget.core.store.schema import budgets

NANOS = Decimal(1_000_000_000)


def dialect_insert(engine_or_conn: sa.Engine | sa.Connection, table: sa.Table) -> Any:
    """INSERT that knows ON CONFLICT: both dialects spell it the same way in SQLAlchemy."""
    module = postgresql if engine_or_conn.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def _budget(row: sa.Row[Any]) -> Budget:
    return Budget(
        id=row.id,
        name=row.name,
        scope=row.scope,
        scope_value=row.scope_value,
        project=row.project,
        period=row.period,
        timezone=row.timezone,
        limit_usd=(Decimal(row.limit_nanos) / NANOS).quantize(Decimal("1e-9")),
        thresholds=tuple(int(t) for t in row.thresholds or ()),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def save_budget(engine: sa.Engine, budget: Budget) -> tuple[Budget, bool]:
    """Create the budget, or update the one with the same name. Returns (stored budget, created?)."""
    now = datetime.now(timezone.utc)
    values = {
        "scope": budget.scope,
        "scope_value": budget.scope_value,
        "project": budget.project,
        "period": budget.period,
        "timezone": budget.timezone,
        "limit_nanos": int(budget.limit_usd * NANOS),
        "thresholds": list(budget.thresholds),
        "updated_at": now,
    }
    with engine.begin() as conn:
        existed = conn.execute(sa.select(budgets.c.id).where(budgets.c.name == budget.name)).first()
        # One upsert statement: two `tb budgets set` of the same name at once cannot both insert.
        stmt = dialect_insert(conn, budgets).values(name=budget.name, created_at=now, **values)
        stmt = stmt.on_conflict_do_update(index_elements=[budgets.c.name], set_=values)
        conn.execute(stmt)
        row = conn.execute(sa.select(budgets).where(budgets.c.name == budget.name)).one()
    return _budget(row), existed is None


def list_budgets(engine: sa.Engine, *, projects: tuple[str, ...] | None = None) -> list[Budget]:
    """Every budget, by name; `projects` restricts to budgets confined to one of those projects (API scope)."""
    query = sa.select(budgets).order_by(budgets.c.name)
    if projects is not None:
        query = query.where(budgets.c.project.in_(projects))
    with engine.connect() as conn:
        return [_budget(row) for row in conn.execute(query)]


def get_budget(engine: sa.Engine, ref: str | int) -> Budget:
    column = budgets.c.id if isinstance(ref, int) else budgets.c.name
    with engine.connect() as conn:
        row = conn.execute(sa.select(budgets).where(column == ref)).first()
    if row is None:
        raise NotFoundError(f"no budget {'#' if isinstance(ref, int) else 'named '}{ref!r}")
    return _budget(row)


def delete_budget(engine: sa.Engine, ref: str | int) -> Budget:
    """Delete a budget (its alerts and their deliveries go with it: ON DELETE CASCADE)."""
    found = get_budget(engine, ref)
    with engine.begin() as conn:
        conn.execute(sa.delete(budgets).where(budgets.c.id == found.id))
    return found
