"""Retention: drop the bodies of old articles that nothing matched or labelled.

Kept: the article row (title, URL, keys, hash — so it is never fetched again), its versions'
metadata, its story and every match. Dropped: `articles.body` and `article_versions.body`.
An article is old when both its first-seen and its published time (if known) are before the
cutoff; it is kept whole when any version matched any watchlist or a person labelled its story.
Work goes in batches of short transactions (a crawl may write meanwhile); each UPDATE re-checks
the conditions, so an article that starts matching mid-prune keeps its body.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, update

from crawler.config import parse_duration
from crawler.ops.common import OpsError
from crawler.store.db import Database
from crawler.store.models import Article, ArticleVersion, Label, Match

BATCH = 500
MIN_DAYS = 30


@dataclass
class PruneReport:
    """What a prune did (or would do)."""

    cutoff: datetime
    dry_run: bool
    articles: int = 0
    versions: int = 0
    kept: int = 0  # old articles kept whole (matched or labelled)
    already: int = 0  # old articles pruned before


def parse_age(text: str) -> timedelta:
    """A duration such as `365d`, `52w` or `1y` (365 days) — at least 30 days."""
    try:
        age = parse_duration(text or "")
    except ValueError:
        raise OpsError(f"--older-than {text!r}: write a number of days, weeks or years, e.g. 365d, 52w, 1y") from None
    if age < timedelta(days=MIN_DAYS):
        raise OpsError(f"--older-than {text}: keep at least {MIN_DAYS} days (revisits and rematches need recent bodies)")
    return age


def _old(cutoff: datetime):
    return and_(Article.first_seen_at < cutoff, or_(Article.published_at.is_(None), Article.published_at < cutoff))


def _kept():
    matched = exists().where(Match.article_id == Article.id, Match.relevant.is_(True))
    labelled = exists().where(or_(Label.article_id == Article.id,
                                  and_(Article.story_id.is_not(None), Label.story_id == Article.story_id)))
    return or_(matched, labelled)


def prune(db: Database, older_than: timedelta, *, dry_run: bool = False, now: datetime | None = None,
          batch: int = BATCH) -> PruneReport:
    """Drop the bodies of old unmatched, unlabelled articles (see module doc)."""
    cutoff = (now or datetime.now(UTC)) - older_than
    report = PruneReport(cutoff, dry_run)
    with db.sessions() as s:
        report.kept = s.scalar(select(func.count(Article.id)).where(_old(cutoff), _kept())) or 0
        report.already = s.scalar(select(func.count(Article.id)).where(_old(cutoff), Article.body.is_(None))) or 0
        if dry_run:
            candidates = and_(_old(cutoff), Article.body.is_not(None), ~_kept())
            report.articles = s.scalar(select(func.count(Article.id)).where(candidates)) or 0
            report.versions = s.scalar(
                select(func.count(ArticleVersion.id)).join(Article, Article.id == ArticleVersion.article_id)
                .where(candidates, ArticleVersion.body.is_not(None))) or 0
            return report
    last_id = 0
    while True:
        with db.session() as s:
            ids = list(s.scalars(
                select(Article.id).where(Article.id > last_id, _old(cutoff), Article.body.is_not(None), ~_kept())
                .order_by(Article.id).limit(batch)))
            if not ids:
                break
            last_id = ids[-1]
            # re-checked (and the rows locked on PostgreSQL) just before the UPDATE, in the same short transaction
            chosen = and_(Article.id.in_(ids), _old(cutoff), Article.body.is_not(None), ~_kept())
            pruned = list(s.scalars(select(Article.id).where(chosen).with_for_update()))
            if not pruned:
                continue
            report.versions += s.execute(
                update(ArticleVersion).where(ArticleVersion.article_id.in_(pruned), ArticleVersion.body.is_not(None))
                .values(body=None).execution_options(synchronize_session=False)).rowcount or 0  # type: ignore[attr-defined]  # an UPDATE: CursorResult
            report.articles += s.execute(
                update(Article).where(Article.id.in_(pruned)).values(body=None)
                .execution_options(synchronize_session=False)).rowcount or 0  # type: ignore[attr-defined]  # an UPDATE: CursorResult
    return report
