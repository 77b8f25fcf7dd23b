"""Each outlet's newest article is read from an index: (outlet_id, first_seen_at) replaces the index
on outlet_id alone.

The health check (and `newswatch status`, the dashboard) asks for every outlet's newest first-seen
time. With only outlet_id indexed, that read visited every article's row — bodies included — and,
through SQLite's memory map, the scheduler's RSS held every page it touched: the health check
lifted a 3,000-outlet daemon by ~130 MB over 240,000 articles. From the covering index it reads a
few MB. Queries on outlet_id alone use the new index's leading column as they used the old one.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 01:45:00

"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"  # 0008_articles_history_index.py
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["outlet_id", "first_seen_at"]


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index("ix_articles_outlet_seen", COLUMNS, unique=False)
        batch_op.drop_index(batch_op.f("ix_articles_outlet_id"))


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_articles_outlet_id"), ["outlet_id"], unique=False)
        batch_op.drop_index("ix_articles_outlet_seen")
