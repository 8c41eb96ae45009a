"""reactions read again after ingest, to notice a complaint spreading

Revision ID: 0006_engagement
Revises: 0005_job_states
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_engagement"
down_revision: str | None = "0005_job_states"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(
            sa.Column("engagement_refreshed_at", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("comments") as batch:
        batch.add_column(
            sa.Column("engagement_checked_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("engagement_checked_at")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("engagement_refreshed_at")
