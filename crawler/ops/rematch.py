"""Re-running a watchlist over stored articles after it changed.

How a rematch is recorded: a Match is unique per (article, watchlist, article version), so the
row of the article's current version is updated in place when its score, verdict or terms
changed, and the previous values are kept in ``explanation["rematch"]`` (``at``, ``previous``:
score, relevant, rule, terms, matched_at). An article with no row for its current version gets a
new row only when it now matches, marked ``explanation["rematch"] = {"at": …, "previous": None}``.
Articles whose body was pruned are skipped (they cannot be matched again) and counted.

Alerts: only for articles that *start* matching, only when the article is younger than
NEWSWATCH_ALERT_MAX_AGE_HOURS, never for a story that already has an alert for the watchlist
(any recipient, any status), never for a muted outlet, none at all with ``quiet`` or ``dry_run``.
Work goes in batches of short transactions, so a crawl can run meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.alert.mutes import is_muted
from crawler.alert.plan import alert_max_age_hours, enqueue, plan_for_match
from crawler.match import Matcher, Watchlist
from crawler.ops.common import seoul_start
from crawler.store.db import Database
from crawler.store.models import Alert, Article, Match

if TYPE_CHECKING:
    from crawler.alert.recipients import Recipients

BATCH = 200


@dataclass(frozen=True)
class Change:
    """One article whose verdict for the watchlist flipped."""

    article_id: int
    story_id: int | None
    outlet_id: str
    title: str
    kind: str  # start | stop
    before: float | None
    after: float
    alerts: int = 0
    note: str = ""


@dataclass
class RematchReport:
    """What a rematch saw and did."""

    watchlist_id: str
    dry_run: bool
    quiet: bool
    scanned: int = 0
    pruned: int = 0
    updated: int = 0  # rows changed or added (0 on a dry run)
    still_matching: int = 0
    alerts: int = 0
    changes: list[Change] = field(default_factory=list)

    @property
    def started(self) -> list[Change]:
        return [c for c in self.changes if c.kind == "start"]

    @property
    def stopped(self) -> list[Change]:
        return [c for c in self.changes if c.kind == "stop"]


def _since_clause(since: date | None):
    if since is None:
        return True
    return func.coalesce(Article.published_at, Article.first_seen_at) >= seoul_start(since)


def _previous(session: Session, article: Article, watchlist_id: str) -> tuple[Match | None, Match | None]:
    """The row of the current version (to update), and the newest row of any version (the 'before')."""
    rows = list(session.scalars(
        select(Match).where(Match.article_id == article.id, Match.watchlist_id == watchlist_id)
        .order_by(Match.article_version.desc(), Match.id.desc())
    ))
    current = next((m for m in rows if m.article_version == article.version), None)
    return current, (rows[0] if rows else None)


def _already_alerted(session: Session, watchlist_id: str, story_id: int) -> bool:
    return session.scalars(
        select(Alert.id).where(Alert.watchlist_id == watchlist_id, Alert.story_id == story_id).limit(1)
    ).first() is not None


def rematch(db: Database, watchlist: Watchlist, *, since: date | None = None, dry_run: bool = False,
            quiet: bool = False, recipients: Recipients | None = None, now: datetime | None = None,
            max_age_hours: float | None = None, batch: int = BATCH) -> RematchReport:
    """Match every stored article (since `since`) again; record flips; alert new matches (see module doc)."""
    now = now or datetime.now(UTC)
    max_age = alert_max_age_hours() if max_age_hours is None else max_age_hours
    alerting = not (dry_run or quiet) and recipients is not None
    matcher = Matcher(watchlist)
    wid = watchlist.id
    report = RematchReport(wid, dry_run, quiet)
    alerted: set[int] = set()
    with db.sessions() as s:
        report.pruned = s.scalar(select(func.count(Article.id)).where(Article.body.is_(None), _since_clause(since))) or 0
    last_id = 0
    while True:
        with (db.sessions() if dry_run else db.session()) as s:  # a dry run never commits
            articles = list(s.scalars(
                select(Article).where(Article.id > last_id, Article.body.is_not(None), _since_clause(since))
                .order_by(Article.id).limit(batch)
            ))
            if not articles:
                break
            last_id = articles[-1].id
            for article in articles:
                report.scanned += 1
                result = matcher.match(article.title, article.body or "", article.subtitle or "")
                current, before = _previous(s, article, wid)
                was = bool(before and before.relevant)
                now_relevant = result.relevant
                if was and now_relevant:
                    report.still_matching += 1
                if not dry_run:
                    report.updated += _record(s, article, current, result, now)
                if was == now_relevant:
                    continue
                if not now_relevant:
                    report.changes.append(Change(article.id, article.story_id, article.outlet_id, article.title,
                                                 "stop", before.score if before else None, float(result.score)))
                    continue
                sent, note = 0, ""
                sid = article.story_id
                if sid is None:
                    note = "no story"
                elif sid in alerted or _already_alerted(s, wid, sid):
                    note = "story already alerted"
                elif is_muted(s, wid, article.outlet_id):
                    note = "outlet muted"
                else:
                    plans = plan_for_match(recipients, wid, score=float(result.score), now=now,
                                           published_at=article.published_at or article.first_seen_at,
                                           seed=False, max_age_hours=max_age) if recipients is not None else []
                    if not plans:
                        note = "no alert: older than the alert age or no subscriber"
                    elif alerting:
                        match = _previous(s, article, wid)[0]
                        assert match is not None
                        sent = enqueue(s, plans, story_id=sid, article_id=article.id, match_id=match.id,
                                       watchlist_id=wid, revision=1)
                        alerted.add(sid)
                    else:
                        note = f"would alert {len(plans)}" if dry_run else "quiet: no alert"
                        alerted.add(sid)
                report.alerts += sent
                report.changes.append(Change(article.id, sid, article.outlet_id, article.title, "start",
                                             before.score if before else None, float(result.score), sent, note))
    return report


def _record(session: Session, article: Article, current: Match | None, result, now: datetime) -> int:
    """Update the current version's row in place (previous values kept), or add one when it now matches."""
    if current is None:
        if not result.relevant:
            return 0
        explanation = result.explanation()
        explanation["rematch"] = {"at": now.isoformat(), "previous": None}
        session.add(Match(article_id=article.id, watchlist_id=result.watchlist, article_version=article.version,
                          score=float(result.score), relevant=result.relevant, rule=result.rule,
                          terms=list(result.terms), explanation=explanation, snippet_title=result.snippet_title,
                          snippet_body=result.snippet_body, matched_at=now))
        session.flush()
        return 1
    if (round(current.score, 6), current.relevant, list(current.terms)) == (
            round(float(result.score), 6), result.relevant, list(result.terms)):
        return 0
    explanation = result.explanation()
    explanation["rematch"] = {"at": now.isoformat(), "previous": {
        "score": current.score, "relevant": current.relevant, "rule": current.rule,
        "terms": list(current.terms), "matched_at": current.matched_at.isoformat()}}
    current.score, current.relevant, current.rule = float(result.score), result.relevant, result.rule
    current.terms, current.explanation = list(result.terms), explanation
    current.snippet_title, current.snippet_body, current.matched_at = result.snippet_title, result.snippet_body, now
    session.flush()
    return 1
