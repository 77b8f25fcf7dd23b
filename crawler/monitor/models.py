"""The monitoring table: what the maintainers were last told about each outlet and rule."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from crawler.store.models import Base, utcnow


class HealthNotice(Base):
    """One (outlet, rule): failing or ok, and when the maintainers were last told (one mail a day)."""

    __tablename__ = "health_notices"
    outlet_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # "scheduler" for the heartbeat
    rule: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="failing")  # failing | ok
    first_failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[datetime | None]  # the last failure notice
    recovered_at: Mapped[datetime | None]
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message: Mapped[str] = mapped_column(String(500), default="")
