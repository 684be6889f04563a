"""WHERE clauses shared by event iteration and analytics, so a filter means the same thing everywhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from tokenbudget.core.store.schema import events

if TYPE_CHECKING:
    from tokenbudget.core.analytics import EventFilter
    from tokenbudget.core.periods import Period

# EventFilter field -> events column. `model` is special: it matches the reported name or the price key.
_COLUMNS = {
    "project": events.c.project,
    "feature": events.c.feature,
    "provider": events.c.provider,
    "user_id": events.c.user_id,
    "env": events.c.env,
}


def event_conditions(period: Period | None, filters: EventFilter | None) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if period is not None:
        # Half-open [start, end): an event exactly at `end` belongs to the next period.
        conditions += [events.c.occurred_at >= period.start, events.c.occurred_at < period.end]
    if filters is None:
        return conditions
    for name, column in _COLUMNS.items():
        value = getattr(filters, name, None)
        if value is not None:
            conditions.append(column == value)
    model = getattr(filters, "model", None)
    if model is not None:
        conditions.append(sa.or_(events.c.model == model, events.c.price_key == model))
    scope = getattr(filters, "projects", None)
    if scope is not None:
        conditions.append(events.c.project.in_(scope))
    return conditions
