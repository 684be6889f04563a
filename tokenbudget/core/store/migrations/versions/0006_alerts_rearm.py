"""Alerts re-arm when a budget's limit changes: the limit joins the alerts' idempotency key.

Before, the key was (budget, period start, kind, threshold): after raising a limit mid-period, the thresholds
already alerted under the old limit stayed silent under the new one for the rest of the period. With the limit
in the key, each threshold alerts once per period and limit; concurrent checkers still store one alert.

Revision ID: 0006_alerts_rearm
Revises: 0005_budgets_alerts
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006_alerts_rearm"
down_revision: str | None = "0005_budgets_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = "uq_alerts_budget_period_kind_threshold"
_NEW = "uq_alerts_budget_period_kind_threshold_limit"


def upgrade() -> None:
    # Batch mode: SQLite cannot drop a constraint with ALTER TABLE, so Alembic copies the (small) table.
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint(_OLD, type_="unique")
        batch.create_unique_constraint(
            _NEW, ["budget_id", "period_start", "kind", "threshold_pct", "limit_nanos"]
        )


def downgrade() -> None:
    # Keeps the first alert of each old key (the others were re-arms under another limit).
    op.execute(
        "DELETE FROM alerts WHERE id NOT IN "
        "(SELECT min(id) FROM alerts GROUP BY budget_id, period_start, kind, threshold_pct)"
    )
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint(_NEW, type_="unique")
        batch.create_unique_constraint(_OLD, ["budget_id", "period_start", "kind", "threshold_pct"])
