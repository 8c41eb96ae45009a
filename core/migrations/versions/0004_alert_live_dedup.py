"""one live alert per cause

Revision ID: 0004_alert_dedup
Revises: 0003_console
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_alert_dedup"
down_revision: str | None = "0003_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("status <> 'resolved'")


def upgrade() -> None:
    op.create_index(
        "uq_alerts_live_dedup_key",
        "alerts",
        ["dedup_key"],
        unique=True,
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )


def downgrade() -> None:
    op.drop_index("uq_alerts_live_dedup_key", table_name="alerts")
