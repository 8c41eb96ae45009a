"""console casework (assignment, escalation) and indexes for the console's lists

Revision ID: 0003_console
Revises: 0002_incidents
Create Date: 2026-11-22 17:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_console"
down_revision: str | None = "0002_incidents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("assigned_to_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            op.f("fk_comments_assigned_to_id_users"), "users", ["assigned_to_id"], ["id"]
        )
    op.create_index(
        "ix_comments_created_at", "comments", ["created_at", "platform", "language"], unique=False
    )
    op.create_index("ix_drafts_status_due", "drafts", ["status", "due_at"], unique=False)
    op.create_index("ix_drafts_created_at", "drafts", ["created_at"], unique=False)
    op.create_index("ix_drafts_reviewed_at", "drafts", ["reviewed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_drafts_reviewed_at", table_name="drafts")
    op.drop_index("ix_drafts_created_at", table_name="drafts")
    op.drop_index("ix_drafts_status_due", table_name="drafts")
    op.drop_index("ix_comments_created_at", table_name="comments")
    with op.batch_alter_table("comments") as batch:
        batch.drop_constraint(op.f("fk_comments_assigned_to_id_users"), type_="foreignkey")
        batch.drop_column("escalated_at")
        batch.drop_column("assigned_to_id")
