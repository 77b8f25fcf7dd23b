"""Press-release echo: releases, their pick-ups, and stories.follows_id (a follow-up's story).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 03:30:00

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add releases, release_pickups and stories.follows_id."""
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "release_pickups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("release_id", sa.Integer(), sa.ForeignKey("releases.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("outlet_id", sa.String(64), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verbatim_share", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("headline_changed", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.UniqueConstraint("release_id", "article_id", name="uq_release_pickup"),
    )  # fmt: skip
    op.create_index("ix_releases_released_at", "releases", ["released_at"])
    for column in ("release_id", "article_id", "first_seen_at"):
        op.create_index(f"ix_release_pickups_{column}", "release_pickups", [column])
    # a plain column (no foreign key): SQLite adds it in place instead of rebuilding `stories`
    op.add_column("stories", sa.Column("follows_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop the pick-ups, the releases and the follow-up link."""
    if op.get_bind().dialect.name == "sqlite":  # 3.35+: in place (a rebuild would trip the FKs)
        op.execute("ALTER TABLE stories DROP COLUMN follows_id")
    else:
        op.drop_column("stories", "follows_id")
    op.drop_table("release_pickups")
    op.drop_table("releases")
