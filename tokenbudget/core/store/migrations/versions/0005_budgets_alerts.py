"""Budgets, alert channels, alerts and the delivery outbox, replacing the placeholders of 0001.

The placeholder tables were never written to by any release, so they are dropped and created again (simpler and
safer on SQLite than a chain of batch ALTERs). `alerts` carries the idempotency key of issue 5: one row per
(budget, period start, kind, threshold), enforced by UNIQUE so that concurrent checkers cannot alert twice.

Revision ID: 0005_budgets_alerts
Revises: 0004_project_owners
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_budgets_alerts"
down_revision: str | None = "0004_project_owners"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TS = sa.DateTime(timezone=True)


def _pk(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.drop_table("alert_deliveries")
    op.drop_table("alerts")
    op.drop_table("budgets")
    op.drop_table("alert_channels")
    op.create_table(
        "budgets",
        *_pk("budgets"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("scope_value", sa.String(200), nullable=True),
        sa.Column("project", sa.String(200), nullable=True),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("limit_nanos", sa.BigInteger(), nullable=False),
        sa.Column("thresholds", _JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.UniqueConstraint("name", name=op.f("uq_budgets_name")),
    )
    op.create_index(op.f("ix_budgets_project"), "budgets", ["project"])
    op.create_table(
        "alert_channels",
        *_pk("alert_channels"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret", sa.String(200), nullable=True),
        sa.Column("project", sa.String(200), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.UniqueConstraint("name", name=op.f("uq_alert_channels_name")),
    )
    op.create_table(
        "alerts",
        *_pk("alerts"),
        sa.Column("budget_id", _ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("threshold_pct", sa.Integer(), nullable=False),
        sa.Column("period_start", _TS, nullable=False),
        sa.Column("period_end", _TS, nullable=False),
        sa.Column("spent_nanos", sa.BigInteger(), nullable=False),
        sa.Column("limit_nanos", sa.BigInteger(), nullable=False),
        sa.Column("forecast_nanos", sa.BigInteger(), nullable=True),
        sa.Column("message", sa.String(1000), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("triggered_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["budget_id"], ["budgets.id"], name=op.f("fk_alerts_budget_id_budgets"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint(
            "budget_id",
            "period_start",
            "kind",
            "threshold_pct",
            name="uq_alerts_budget_period_kind_threshold",
        ),
    )
    op.create_table(
        "alert_deliveries",
        *_pk("alert_deliveries"),
        sa.Column("alert_id", _ID, nullable=False),
        sa.Column("channel_id", _ID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", _TS, nullable=False),
        sa.Column("claimed_until", _TS, nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("last_error", sa.String(1000), nullable=True),
        sa.Column("last_attempt_at", _TS, nullable=True),
        sa.Column("delivered_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_deliveries_alert_id_alerts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["alert_channels.id"],
            name=op.f("fk_alert_deliveries_channel_id_alert_channels"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("alert_id", "channel_id", name="uq_alert_deliveries_alert_channel"),
    )
    op.create_index("ix_alert_deliveries_due", "alert_deliveries", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_deliveries_due", table_name="alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_table("alerts")
    op.drop_table("alert_channels")
    op.drop_index(op.f("ix_budgets_project"), table_name="budgets")
    op.drop_table("budgets")
    # Back to the 0001 placeholders.
    op.create_table(
        "alert_channels",
        *_pk("alert_channels"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.String(1000), nullable=False),
        sa.Column("config", _JSON, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.UniqueConstraint("name", name=op.f("uq_alert_channels_name")),
    )
    op.create_table(
        "budgets",
        *_pk("budgets"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("scope_value", sa.String(200), nullable=True),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("limit_nanos", sa.BigInteger(), nullable=False),
        sa.Column("thresholds", _JSON, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=True),
        sa.UniqueConstraint("name", name=op.f("uq_budgets_name")),
    )
    op.create_table(
        "alerts",
        *_pk("alerts"),
        sa.Column("budget_id", _ID, nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("threshold_pct", sa.Integer(), nullable=True),
        sa.Column("period_start", _TS, nullable=True),
        sa.Column("spent_nanos", sa.BigInteger(), nullable=True),
        sa.Column("message", sa.String(1000), nullable=False),
        sa.Column("triggered_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["budget_id"], ["budgets.id"], name=op.f("fk_alerts_budget_id_budgets"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint(
            "budget_id", "threshold_pct", "period_start", name="uq_alerts_budget_threshold_period"
        ),
    )
    op.create_table(
        "alert_deliveries",
        *_pk("alert_deliveries"),
        sa.Column("alert_id", _ID, nullable=False),
        sa.Column("channel_id", _ID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(1000), nullable=True),
        sa.Column("delivered_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_deliveries_alert_id_alerts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["alert_channels.id"],
            name=op.f("fk_alert_deliveries_channel_id_alert_channels"),
            ondelete="CASCADE",
        ),
    )
