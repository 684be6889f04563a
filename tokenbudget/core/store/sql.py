"""Small SQL building blocks shared by the repositories (one way to write each, on both dialects)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tokenbudget.core.errors import NotFoundError


def dialect_insert(bind: sa.Engine | sa.Connection | str, table: sa.Table) -> Any:
    """INSERT that knows ON CONFLICT: both dialects spell it the same way in SQLAlchemy. `bind` may be a name."""
    dialect = bind if isinstance(bind, str) else bind.dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


def rows_in_projects(
    engine: sa.Engine, table: sa.Table, *, projects: tuple[str, ...] | None, order_by: Any
) -> list[sa.Row[Any]]:
    """Every row of a project-confined table, or only those confined to `projects` (an API caller's scope)."""
    query = sa.select(table).order_by(order_by)
    if projects is not None:
        query = query.where(table.c.project.in_(projects))
    with engine.connect() as conn:
        return list(conn.execute(query))


def row_by_ref(engine: sa.Engine, table: sa.Table, ref: str | int, what: str) -> sa.Row[Any]:
    """The row with this id (int) or name (str); NotFoundError naming `what` otherwise."""
    column = table.c.id if isinstance(ref, int) else table.c.name
    with engine.connect() as conn:
        row = conn.execute(sa.select(table).where(column == ref)).first()
    if row is None:
        raise NotFoundError(f"no {what} {'#' if isinstance(ref, int) else 'named '}{ref!r}")
    return row
