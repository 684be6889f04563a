"""Synced price tables (price_tables): the pricing-relevant content of each table `tb pricing sync` stored.

Revision ID: 0003_price_tables
Revises: 0002_event_rollups
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_price_tables"
down_revision: str | None = "0002_event_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "price_tables",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("version", sa.String(length=80), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("content_hash", sa.String(length=128), nullable=False),
        sa.Column("model_count", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_tables")),
        sa.UniqueConstraint("version", name=op.f("uq_price_tables_version")),
    )
    op.create_index("ix_price_tables_activated_at", "price_tables", ["activated_at"])
    op.create_index("ix_price_changes_detected_at", "price_changes", ["detected_at"])


def downgrade() -> None:
    op.drop_index("ix_price_changes_detected_at", table_name="price_changes")
    op.drop_index("ix_price_tables_activated_at", table_name="price_tables")
    op.drop_table("price_tables")
