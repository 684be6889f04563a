"""Daily rollup of events (event_rollups), backfilled from the events already stored.

Revision ID: 0002_event_rollups
Revises: 0001_initial
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_event_rollups"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = ("day", "project", "provider", "model", "price_key", "feature", "env", "cost_status", "status")
SUMS = (
    "requests",
    "cost_nanos",
    "input_tokens",
    "cache_read_input_tokens",
    "cache_write_input_tokens",
    "output_tokens",
    "reasoning_tokens",
)


def upgrade() -> None:
    id_type = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "event_rollups",
        sa.Column("id", id_type, autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("price_key", sa.String(length=200), nullable=False),
        sa.Column("feature", sa.String(length=200), nullable=False),
        sa.Column("env", sa.String(length=200), nullable=False),
        sa.Column("cost_status", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in SUMS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_rollups")),
        sa.UniqueConstraint(*KEYS, name="uq_event_rollups_key"),
    )
    # Backfill with the same SQL the store uses to keep the rollup current (written out here on purpose:
    # a migration must not change meaning when application code changes later).
    if op.get_bind().dialect.name == "sqlite":
        day = "substr(occurred_at, 1, 10)"
    else:
        day = "(timezone('UTC', occurred_at))::date"
    keys = (
        f"{day}, project, coalesce(provider, ''), model, coalesce(price_key, ''), coalesce(feature, ''), "
        "coalesce(env, ''), cost_status, status"
    )
    sums = "count(*), " + ", ".join(f"coalesce(sum({name}), 0)" for name in SUMS[1:])
    op.execute(
        f"INSERT INTO event_rollups ({', '.join(KEYS)}, {', '.join(SUMS)}) "
        f"SELECT {keys}, {sums} FROM events GROUP BY {keys}"
    )


def downgrade() -> None:
    op.drop_table("event_rollups")
