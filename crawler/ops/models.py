"""Tables of the operations area: feedback labels and outlet mutes (migration 0003)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crawler.store.models import Base, utcnow

VERDICTS = ("relevant", "irrelevant", "mute-outlet")
SOURCES = ("mail", "cli")


class Label(Base):
    """One person's verdict on a story for a watchlist (from a mail link or `newswatch label`)."""

    __tablename__ = "labels"
    __table_args__ = (Index("ix_labels_watchlist_story", "watchlist_id", "story_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    watchlist_id: Mapped[str] = mapped_column(String(64))
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"), index=True)
    verdict: Mapped[str] = mapped_column(String(16))  # relevant | irrelevant | mute-outlet
    outlet_id: Mapped[str | None] = mapped_column(String(64))  # with mute-outlet
    recipient: Mapped[str] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(String(8))  # mail | cli
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutletMute(Base):
    """An outlet whose articles never make alerts for one watchlist (they are still stored and matched)."""

    __tablename__ = "outlet_mutes"
    watchlist_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    outlet_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
