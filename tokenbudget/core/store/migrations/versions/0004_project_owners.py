"""Projects get an owner (the user whose API keys may see them) and a description.

Revision ID: 0004_project_owners
Revises: 0003_price_tables
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_project_owners"
down_revision: str | None = "0003_price_tables"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    id_type = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    # Batch mode: SQLite cannot add a foreign key with ALTER TABLE, so Alembic copies the (small) table.
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("user_id", id_type, nullable=True))
        batch.add_column(sa.Column("description", sa.String(length=1000), nullable=True))
        batch.create_foreign_key(
            op.f("fk_projects_user_id_users"), "users", ["user_id"], ["id"], ondelete="SET NULL"
        )
    op.create_index(op.f("ix_projects_user_id"), "projects", ["user_id"])
    op.create_index(op.f("ix_api_keys_user_id"), "api_keys", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_api_keys_user_id"), table_name="api_keys")
    op.drop_index(op.f("ix_projects_user_id"), table_name="projects")
    with op.batch_alter_table("projects") as batch:
        batch.drop_constraint(op.f("fk_projects_user_id_users"), type_="foreignkey")
        batch.drop_column("description")
        batch.drop_column("user_id")
