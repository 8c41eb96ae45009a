"""incidents, incident posts and case follow-ups

Revision ID: 0002_incidents
Revises: 0001
Create Date: 2026-11-22 17:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_incidents"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", JSON, nullable=False),
        sa.Column("status_url", sa.String(length=500), nullable=True),
        sa.Column("keywords", JSON, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("declared_by_id", sa.Integer(), nullable=True),
        sa.Column("declared_by_label", sa.String(length=200), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["declared_by_id"], ["users.id"], name=op.f("fk_incidents_declared_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"], name=op.f("fk_incidents_resolved_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index("ix_incidents_status", "incidents", ["status"], unique=False)
    op.create_table(
        "incident_comments",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_incident_comments_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_comments_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_comments")),
        sa.UniqueConstraint(
            "incident_id", "comment_id", name=op.f("uq_incident_comments_incident_id_comment_id")
        ),
    )
    op.create_index(
        op.f("ix_incident_comments_comment_id"), "incident_comments", ["comment_id"], unique=False
    )
    op.create_index(
        op.f("ix_incident_comments_incident_id"), "incident_comments", ["incident_id"], unique=False
    )
    op.create_table(
        "incident_posts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("original_text", sa.Text(), nullable=False),
        sa.Column("template", sa.String(length=200), nullable=True),
        sa.Column("findings", JSON, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("external_post_id", sa.String(length=200), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_posts_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_incident_posts_reviewed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_posts")),
    )
    op.create_index(
        op.f("ix_incident_posts_incident_id"), "incident_posts", ["incident_id"], unique=False
    )
    op.create_table(
        "case_followups",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("comment_id", BIG_ID, nullable=False),
        sa.Column("draft_id", BIG_ID, nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("score_origin", sa.String(length=20), nullable=True),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scored_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_case_followups_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["drafts.id"],
            name=op.f("fk_case_followups_draft_id_drafts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"], name=op.f("fk_case_followups_resolved_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["scored_by_id"], ["users.id"], name=op.f("fk_case_followups_scored_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_followups")),
        sa.UniqueConstraint("comment_id", name=op.f("uq_case_followups_comment_id")),
    )


def downgrade() -> None:
    op.drop_table("case_followups")
    op.drop_index(op.f("ix_incident_posts_incident_id"), table_name="incident_posts")
    op.drop_table("incident_posts")
    op.drop_index(op.f("ix_incident_comments_incident_id"), table_name="incident_comments")
    op.drop_index(op.f("ix_incident_comments_comment_id"), table_name="incident_comments")
    op.drop_table("incident_comments")
    op.drop_index("ix_incidents_status", table_name="incidents")
    op.drop_table("incidents")
