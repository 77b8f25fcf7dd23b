"""What storing an article sets off in alerting: the store's `IngestHooks`, built by the caller
(the crawl's writer, rematch, tests) and passed to `crawler.store.ingest.ingest`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from crawler.alert.followups import story_gained_outlet
from crawler.alert.mutes import is_muted
from crawler.alert.plan import alert_max_age_hours, enqueue, plan_for_match
from crawler.alert.recipients import Recipients
from crawler.dedupe.stories import StoryDoc
from crawler.releases import record_pickups


@dataclass
class AlertsOnStore:
    """Plan alerts for the recipients (muted outlets skipped), note follow-ups, record pick-ups."""

    recipients: Recipients
    max_age_hours: float = field(default_factory=alert_max_age_hours)

    def new_article(self, session: Session, *, article_id: int, outlet_id: str, doc: StoryDoc,
                    now: datetime) -> None:
        record_pickups(session, article_id=article_id, outlet_id=outlet_id, doc=doc, first_seen_at=now)

    def story_joined(self, session: Session, *, story_id: int, article_id: int, now: datetime) -> None:
        story_gained_outlet(session, story_id=story_id, article_id=article_id, recipients=self.recipients, now=now)

    def alerts(self, session: Session, *, watchlist_id: str, score: float, published_at: datetime | None,
               outlet_id: str, story_id: int, article_id: int, match_id: int, revision: int, seed: bool,
               now: datetime) -> int:
        plans = plan_for_match(self.recipients, watchlist_id, score=score, now=now, published_at=published_at,
                               seed=seed, max_age_hours=self.max_age_hours)
        if not plans or is_muted(session, watchlist_id, outlet_id):
            return 0
        return enqueue(session, plans, story_id=story_id, article_id=article_id, match_id=match_id,
                       watchlist_id=watchlist_id, revision=revision)
