"""Alert follow-ups: alerts.followup (0 = the story alert, n = its n-th follow-up) joins the alert key.

Existing rows become story alerts (followup 0), so their keys and Message-IDs do not change.
SQLite rebuilds the table (batch mode) to change the unique constraint.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 08:00:00

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KEY = ["recipient", "watchlist_id", "story_id", "revision"]
NEW_KEY = [*OLD_KEY, "followup"]


def upgrade() -> None:
    """Add alerts.followup and widen uq_alert_key to include it."""
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("followup", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_constraint("uq_alert_key", type_="unique")
        batch_op.create_unique_constraint("uq_alert_key", NEW_KEY)


def downgrade() -> None:
    """Drop the follow-up rows (the old key cannot hold them) and the column."""
    op.execute("DELETE FROM alerts WHERE followup <> 0")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_alert_key", type_="unique")
        batch_op.create_unique_constraint("uq_alert_key", OLD_KEY)
        batch_op.drop_column("followup")
