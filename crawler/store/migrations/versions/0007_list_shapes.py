"""List shapes get their own table (they were JSON in http_validators rows keyed newswatch:list-shapes:<id>).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 06:10:00

"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"  # 0006_releases.py
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PREFIX = "newswatch:list-shapes:"


def upgrade() -> None:
    """Create list_shapes and move the shapes learned so far out of http_validators."""
    op.create_table(
        "list_shapes",
        sa.Column("outlet_id", sa.String(64), primary_key=True),
        sa.Column("shape", sa.String(512), primary_key=True),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("other", sa.Integer(), nullable=False),
        sa.Column("learned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT url, etag, checked_at FROM http_validators WHERE url LIKE :p"), {"p": _PREFIX + "%"}
    ).all()
    insert = sa.text(
        "INSERT INTO list_shapes (outlet_id, shape, articles, other, learned_at, updated_at) "
        "VALUES (:outlet, :shape, :articles, :other, :at, :at)"
    )
    for url, stored, checked_at in rows:
        try:
            book = json.loads(stored or "{}")
        except json.JSONDecodeError:
            book = {}  # unreadable: relearned, as the crawl did before
        for shape, stats in (book.items() if isinstance(book, dict) else ()):
            if isinstance(stats, dict):
                conn.execute(insert, {"outlet": url[len(_PREFIX):], "shape": shape[:512],
                                      "articles": int(stats.get("articles", 0)),
                                      "other": int(stats.get("other", 0)), "at": checked_at})
    conn.execute(sa.text("DELETE FROM http_validators WHERE url LIKE :p"), {"p": _PREFIX + "%"})


def downgrade() -> None:
    """Put the shapes back as one JSON row per outlet in http_validators, then drop list_shapes."""
    conn = op.get_bind()
    books: dict[str, dict[str, dict[str, int]]] = {}
    latest: dict[str, object] = {}
    for outlet, shape, articles, other, updated_at in conn.execute(
        sa.text("SELECT outlet_id, shape, articles, other, updated_at FROM list_shapes")
    ):
        books.setdefault(outlet, {})[shape] = {"articles": articles, "other": other}
        latest[outlet] = max(latest.get(outlet, updated_at), updated_at)  # type: ignore[type-var]
    insert = sa.text(
        "INSERT INTO http_validators (url, etag, last_modified, checked_at) VALUES (:url, :etag, NULL, :at)"
    )
    for outlet, book in books.items():
        conn.execute(insert, {"url": _PREFIX + outlet, "etag": json.dumps(dict(sorted(book.items())),
                                                                          ensure_ascii=False),
                              "at": latest[outlet]})
    op.drop_table("list_shapes")
