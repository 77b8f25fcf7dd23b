"""Outlet mutes and 관련 없음 verdicts: what is stored and matched but never mailed.

Kept free of mail and template imports so that alert planning (crawler.store.ingest) can ask
`is_muted` cheaply.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.store.models import Label, OutletMute


def mute(session: Session, watchlist_id: str, outlet_id: str, *, recipient: str, now: datetime | None = None) -> bool:
    """Mute an outlet for a watchlist; False when it already was."""
    if session.get(OutletMute, (watchlist_id, outlet_id)) is not None:
        return False
    session.add(OutletMute(watchlist_id=watchlist_id, outlet_id=outlet_id, recipient=recipient,
                           created_at=now or datetime.now(UTC)))
    return True


def unmute(session: Session, watchlist_id: str, outlet_id: str) -> bool:
    """Lift a mute; False when there was none."""
    row = session.get(OutletMute, (watchlist_id, outlet_id))
    if row is None:
        return False
    session.delete(row)
    return True


def is_muted(session: Session, watchlist_id: str, outlet_id: str) -> bool:
    """True when this outlet's articles must not make alerts for this watchlist (alert planning asks this)."""
    return session.get(OutletMute, (watchlist_id, outlet_id)) is not None


def muted_outlets(session: Session, watchlist_id: str) -> set[str]:
    """Every outlet muted for a watchlist."""
    return set(session.scalars(select(OutletMute.outlet_id).where(OutletMute.watchlist_id == watchlist_id)))


def unwanted_by(session: Session, watchlist_id: str, story_id: int) -> set[str]:
    """Recipients whose last verdict on this story is 관련 없음: it is never mailed to them again."""
    last: dict[str, str] = {}
    for recipient, verdict in session.execute(
        select(Label.recipient, Label.verdict).where(
            Label.watchlist_id == watchlist_id, Label.story_id == story_id,
            Label.verdict.in_(("relevant", "irrelevant"))).order_by(Label.id)):
        last[recipient] = verdict
    return {r for r, v in last.items() if v == "irrelevant"}
