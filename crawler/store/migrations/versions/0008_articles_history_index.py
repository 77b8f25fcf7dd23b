"""The adaptive cadence's history read is answered from an index: (first_seen_at, outlet_id,
story_id, published_at) replaces the index on first_seen_at alone.

Each scheduler tick counts the stories each outlet brought first in the lookback
(crawlstate.first_copies_by_hour). With only first_seen_at indexed, that read visited every
article's row — bodies included — and the daemon's memory held every page it touched (+130 MB
over 108,000 articles); from the covering index it reads a few MB. Queries on first_seen_at alone
use the new index's leading column as they used the old one.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 18:10:00

"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"  # 0007_list_shapes.py
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["first_seen_at", "outlet_id", "story_id", "published_at"]


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index("ix_articles_history", COLUMNS, unique=False)
        batch_op.drop_index(batch_op.f("ix_articles_first_seen_at"))


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_articles_first_seen_at"), ["first_seen_at"], unique=False)
        batch_op.drop_index("ix_articles_history")
