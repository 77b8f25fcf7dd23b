"""Feedback: labels on stories, outlet mutes, signed mail links, and labels as `watchlist test` input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crawler.alert.mutes import mute
from crawler.alert.tokens import FeedbackPayload
from crawler.ops.common import OpsError
from crawler.store.models import Alert, Article, Label, Story, StoryOutlet


@dataclass(frozen=True)
class LabelOutcome:
    """What `record_label` stored, and whether the story's text is still there for export."""

    label_id: int
    story_id: int
    article_id: int | None
    verdict: str
    muted: str | None
    pruned: bool


def story_article(session: Session, story_id: int) -> Article | None:
    """The story's first article (the one a label points at)."""
    return session.scalars(
        select(Article).where(Article.story_id == story_id).order_by(Article.id).limit(1)
    ).first()


def record_label(session: Session, *, watchlist_id: str, story_id: int, verdict: str, recipient: str,
                 source: str, outlet_id: str | None = None, now: datetime | None = None) -> LabelOutcome:
    """Store a verdict (and a mute with `mute-outlet`); OpsError for an unknown story or outlet."""
    now = now or datetime.now(UTC)
    if session.get(Story, story_id) is None:
        raise OpsError(f"no story {story_id}; the dashboard and `newswatch export` show story ids")
    if verdict == "mute-outlet":
        if not outlet_id:
            raise OpsError("muting needs an outlet id")
        carried = session.get(StoryOutlet, (story_id, outlet_id))
        if carried is None and not session.scalars(select(Article.id).where(Article.outlet_id == outlet_id).limit(1)).first():
            raise OpsError(f"no stored article comes from outlet {outlet_id!r}; check the id (`newswatch outlets`)")
    article = story_article(session, story_id)
    if verdict in ("relevant", "irrelevant"):
        # one verdict per recipient and story: a changed mind (or a replayed link) replaces it
        session.execute(delete(Label).where(
            Label.watchlist_id == watchlist_id, Label.story_id == story_id, Label.recipient == recipient,
            Label.verdict.in_(("relevant", "irrelevant"))))
    if verdict == "irrelevant":
        # "never mailed again": what is still waiting in the outbox for this person goes too
        session.execute(delete(Alert).where(
            Alert.recipient == recipient, Alert.watchlist_id == watchlist_id, Alert.story_id == story_id,
            Alert.status == "pending"))
    label = Label(watchlist_id=watchlist_id, story_id=story_id, article_id=article.id if article else None,
                  verdict=verdict, outlet_id=outlet_id if verdict == "mute-outlet" else None,
                  recipient=recipient, source=source, created_at=now)
    session.add(label)
    muted = None
    if verdict == "mute-outlet" and outlet_id:
        mute(session, watchlist_id, outlet_id, recipient=recipient, now=now)
        muted = outlet_id
    session.flush()
    pruned = article is None or article.body is None
    return LabelOutcome(label.id, story_id, label.article_id, verdict, muted, pruned)


def record_token(session: Session, payload: FeedbackPayload) -> LabelOutcome:
    """Store the vote a verified token carries (the dashboard's /feedback endpoint calls this)."""
    return record_label(session, watchlist_id=payload.watchlist_id, story_id=payload.story_id,
                        verdict=payload.verdict, recipient=payload.recipient, source="mail",
                        outlet_id=payload.outlet_id)


def latest_labels(session: Session, watchlist_id: str | None = None) -> Iterator[Label]:
    """The newest relevant/irrelevant label per (watchlist, story), oldest story first."""
    stmt = select(Label).where(Label.verdict.in_(("relevant", "irrelevant"))).order_by(Label.id)
    if watchlist_id:
        stmt = stmt.where(Label.watchlist_id == watchlist_id)
    latest: dict[tuple[str, int], Label] = {}
    for label in session.scalars(stmt):
        latest[(label.watchlist_id, label.story_id)] = label
    yield from sorted(latest.values(), key=lambda lb: (lb.watchlist_id, lb.story_id))


def export_labels(session: Session, out: TextIO, watchlist_id: str | None = None) -> tuple[int, int]:
    """Write `{"id","title","body","label"}` lines; returns (written, skipped because the body was pruned)."""
    written = skipped = 0
    for label in latest_labels(session, watchlist_id):
        article = session.get(Article, label.article_id) if label.article_id else None
        if article is None or article.body is None:
            skipped += 1
            continue
        line = {"id": f"story-{label.story_id}", "title": article.title,
                "body": "\n".join(x for x in (article.subtitle, article.body) if x),
                "label": 1 if label.verdict == "relevant" else 0, "watchlist": label.watchlist_id}
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        written += 1
    return written, skipped
