"""Operations: feedback labels and outlet mutes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 08:00:00

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create labels and outlet_mutes."""
    op.create_table(
        "labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("watchlist_id", sa.String(length=64), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("outlet_id", sa.String(length=64), nullable=True),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_labels_watchlist_story", "labels", ["watchlist_id", "story_id"])
    op.create_index("ix_labels_article_id", "labels", ["article_id"])
    op.create_table(
        "outlet_mutes",
        sa.Column("watchlist_id", sa.String(length=64), nullable=False),
        sa.Column("outlet_id", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("watchlist_id", "outlet_id"),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("outlet_mutes")
    op.drop_index("ix_labels_article_id", table_name="labels")
    op.drop_index("ix_labels_watchlist_story", table_name="labels")
    op.drop_table("labels")
