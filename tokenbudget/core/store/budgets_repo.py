"""Budgets table: create-or-update by name, list, get, delete. Limits are stored as exact integer nano-USD."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from tokenbudget.core.budgets import Budget
from tokenbudget.core.store.schema import budgets
from tokenbudget.core.store.sql import dialect_insert, row_by_ref, rows_in_projects

NANOS = Decimal(1_000_000_000)


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
    return [
        _budget(row) for row in rows_in_projects(engine, budgets, projects=projects, order_by=budgets.c.name)
    ]


def get_budget(engine: sa.Engine, ref: str | int) -> Budget:
    return _budget(row_by_ref(engine, budgets, ref, "budget"))


def delete_budget(engine: sa.Engine, ref: str | int) -> Budget:
    """Delete a budget (its alerts and their deliveries go with it: ON DELETE CASCADE)."""
    found = get_budget(engine, ref)
    with engine.begin() as conn:
        conn.execute(sa.delete(budgets).where(budgets.c.id == found.id))
    return found
