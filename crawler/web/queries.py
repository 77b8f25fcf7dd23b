"""What the dashboard shows, read from the store: stories with their matches, labels and run history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler import paths
from crawler.alert.explain import level
from crawler.alert.views import representatives, watchlist_names
from crawler.clock import SEOUL
from crawler.registry import Outlet
from crawler.store.models import (
    Alert,
    Article,
    ArticleVersion,
    Label,
    Match,
    OutletRun,
    Run,
    Story,
    StoryOutlet,
)

STORY_LIMIT = 200
RUN_LIMIT = 30
CHART_DAYS = 14


@dataclass(frozen=True)
class StoryMatch:
    """How a story is shown for one watchlist (the same figures as the mail and the export)."""

    watchlist_id: str
    watchlist_name: str
    score: float
    threshold: float | None
    level: str
    reason: str
    key_terms: list[str]
    excerpt: str  # marked: key terms between \x02 and \x03
    rule: str  # the matcher's own account, for whoever tunes the watchlist


@dataclass(frozen=True)
class StoryLabel:
    watchlist_id: str
    verdict: str
    outlet_id: str | None
    created_at: datetime
    recipient: str = ""


@dataclass(frozen=True)
class Mailed:
    """When a story was first mailed for a watchlist, and to how many recipients."""

    watchlist_id: str
    first_sent_at: datetime
    recipients: int


@dataclass(frozen=True)
class StoryView:
    story_id: int
    title: str
    url: str
    published_at: datetime | None  # the story's first publication (any outlet)
    first_seen_at: datetime
    outlets: list[tuple[str, str, str]]  # (outlet id, name, article URL), the representative first
    matches: list[StoryMatch]
    labels: list[StoryLabel] = field(default_factory=list)
    mailed: list[Mailed] = field(default_factory=list)

    @property
    def best(self) -> StoryMatch:
        return self.matches[0]


def known_watchlists(session: Session) -> list[str]:
    """Watchlist ids in the watchlist directory or in stored matches."""
    stored = set(session.scalars(select(Match.watchlist_id).distinct()))
    directory = paths.watchlists_dir()
    files = {p.stem for p in directory.glob("*.toml")} if directory.is_dir() else set()
    return sorted(stored | files)


def story_published(story: Story) -> datetime:
    """When a story was first published (first seen when no outlet gave a date)."""
    return story.published_at or story.first_seen_at


def recent_stories(session: Session, registry: Mapping[str, Outlet], *, now: datetime, days: int,
                   watchlist: str | None = None, limit: int = STORY_LIMIT,
                   story_ids: list[int] | None = None) -> list[StoryView]:
    """Stories first published in the last `days` days with a relevant match, newest first."""
    matched = (select(Article.story_id, Match.watchlist_id).join(Article, Article.id == Match.article_id)
               .where(Match.relevant.is_(True), Match.article_version == Article.version,
                      Article.story_id.is_not(None)).distinct())
    if watchlist:
        matched = matched.where(Match.watchlist_id == watchlist)
    if story_ids is not None:
        matched = matched.where(Article.story_id.in_(story_ids))
    pairs = session.execute(matched).all()
    wids_of: dict[int, set[str]] = defaultdict(set)
    for sid, wid in pairs:
        if sid is not None:  # the query keeps stories only; the column is nullable
            wids_of[sid].add(wid)
    if not wids_of:
        return []
    since = now - timedelta(days=days)
    first_published = func.coalesce(Story.published_at, Story.first_seen_at)
    stmt = select(Story).where(Story.id.in_(list(wids_of)))
    if story_ids is None:
        stmt = stmt.where(first_published >= since, first_published <= now + timedelta(days=1))
    stories = session.scalars(stmt.order_by(first_published.desc(), Story.id.desc()).limit(limit)).all()
    chosen = [st.id for st in stories]
    regions = {o.id: o.region for o in registry.values()}
    shown: dict[str, dict[int, Any]] = {}
    for wid in sorted({w for sid in chosen for w in wids_of[sid]}):
        shown[wid] = representatives(session, {sid for sid in chosen if wid in wids_of[sid]}, wid, regions)
    wl_names = watchlist_names(shown)
    urls = dict(session.execute(select(Article.id, func.coalesce(Article.canonical_url, Article.url))
                                .join(StoryOutlet, StoryOutlet.article_id == Article.id)
                                .where(StoryOutlet.story_id.in_(chosen))).all()) if chosen else {}
    labels: dict[int, dict[tuple[str, str, str | None], Label]] = defaultdict(dict)
    for lb in session.scalars(select(Label).where(Label.story_id.in_(chosen)).order_by(Label.id)):
        key = (lb.watchlist_id, lb.recipient, lb.outlet_id if lb.verdict == "mute-outlet" else None)
        labels[lb.story_id][key] = lb  # each person's newest verdict per watchlist (and muted outlet) wins
    mailed: dict[int, list[Mailed]] = defaultdict(list)
    for sid, wid, first, count in session.execute(
            select(Alert.story_id, Alert.watchlist_id, func.min(Alert.sent_at), func.count(Alert.recipient.distinct()))
            .where(Alert.story_id.in_(chosen), Alert.status == "sent", Alert.sent_at.is_not(None))
            .group_by(Alert.story_id, Alert.watchlist_id)):
        if first is not None:  # sent_at IS NOT NULL above
            mailed[sid].append(Mailed(wid, first, int(count)))
    out: list[StoryView] = []
    for story in stories:
        sid = story.id
        reps = [shown[w][sid] for w in sorted(wids_of[sid]) if w in shown and sid in shown[w]]
        if not reps:
            continue
        reps.sort(key=lambda r: r.score, reverse=True)
        top = reps[0]
        carriers = sorted(top.carriers, key=lambda c: (c.article_id != top.article_id,
                                                       c.published_at or c.first_seen_at))
        out.append(StoryView(
            story_id=sid, title=top.title or story.title, url=top.url,
            published_at=top.first_published or story.published_at, first_seen_at=story.first_seen_at,
            outlets=[(c.outlet_id, registry[c.outlet_id].name if c.outlet_id in registry else c.outlet_id,
                      urls.get(c.article_id, "")) for c in carriers],
            matches=[StoryMatch(r.watchlist_id, wl_names.get(r.watchlist_id, r.watchlist_id), r.score,
                                r.threshold, level(r.score, r.threshold), r.why.reason, list(r.why.key_terms),
                                r.excerpt, r.rule) for r in reps],
            labels=[StoryLabel(lb.watchlist_id, lb.verdict, lb.outlet_id, lb.created_at, lb.recipient)
                    for lb in labels[sid].values()],
            mailed=sorted(mailed[sid], key=lambda m: m.first_sent_at),
        ))
    return out


@dataclass(frozen=True)
class VersionRow:
    outlet_id: str
    article_id: int
    version: int
    title: str
    fetched_at: datetime


def story_versions(session: Session, story_id: int) -> list[VersionRow]:
    """Every stored version of every article of a story, oldest first per outlet."""
    rows = session.execute(
        select(Article.outlet_id, Article.id, ArticleVersion.version, ArticleVersion.title, ArticleVersion.fetched_at)
        .join(ArticleVersion, ArticleVersion.article_id == Article.id)
        .where(Article.story_id == story_id)
        .order_by(Article.outlet_id, Article.id, ArticleVersion.version)).all()
    return [VersionRow(*r) for r in rows]


def story_alerts(session: Session, story_id: int) -> list[tuple[str, str, str, datetime | None]]:
    """(recipient, watchlist, status, sent at) of each alert of a story, newest first."""
    return [tuple(r) for r in session.execute(  # type: ignore[misc]
        select(Alert.recipient, Alert.watchlist_id, Alert.status, Alert.sent_at)
        .where(Alert.story_id == story_id).order_by(Alert.id.desc()).limit(200)).all()]


def outlet_articles(session: Session, outlet_id: str, limit: int = 30) -> list[tuple[int, str, str, datetime | None, int | None]]:
    """(article id, title, URL, published or first seen, story id) of an outlet's newest articles."""
    published = func.coalesce(Article.published_at, Article.first_seen_at)
    return [tuple(r) for r in session.execute(  # type: ignore[misc]
        select(Article.id, Article.title, func.coalesce(Article.canonical_url, Article.url), published, Article.story_id)
        .where(Article.outlet_id == outlet_id).order_by(published.desc(), Article.id.desc()).limit(limit)).all()]


@dataclass(frozen=True)
class RunRow:
    id: int
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    finish_reason: str | None
    outlets: int
    requests: int
    new_articles: int
    matches: int
    errors: int


def recent_runs(session: Session, limit: int = RUN_LIMIT) -> list[RunRow]:
    """The newest runs with their per-outlet totals."""
    runs = session.scalars(select(Run).order_by(Run.started_at.desc(), Run.id.desc()).limit(limit)).all()
    if not runs:
        return []
    totals = {row[0]: row[1:] for row in session.execute(
        select(OutletRun.run_id, func.count(OutletRun.id), func.sum(OutletRun.requests),
               func.sum(OutletRun.new_articles), func.sum(OutletRun.matches), func.sum(OutletRun.errors))
        .where(OutletRun.run_id.in_([r.id for r in runs])).group_by(OutletRun.run_id))}
    out = []
    for r in runs:
        n, req, new, matches, errors = totals.get(r.id, (0, 0, 0, 0, 0))
        out.append(RunRow(r.id, r.kind, r.status, r.started_at, r.finished_at, r.finish_reason,
                          int(n or 0), int(req or 0), int(new or 0), int(matches or 0), int(errors or 0)))
    return out


@dataclass(frozen=True)
class DailyVolume:
    """New articles per Seoul day and outlet, oldest day first."""

    days: list[str]  # YYYY-MM-DD
    series: dict[str, list[int]]  # outlet id -> one count per day


def daily_volume(session: Session, *, now: datetime, days: int = CHART_DAYS) -> DailyVolume:
    """New articles per outlet and Seoul day, from the run records."""
    today = now.astimezone(SEOUL).date()
    first = today - timedelta(days=days - 1)
    labels = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    since = now - timedelta(days=days + 1)
    series: dict[str, list[int]] = {}
    rows = session.execute(select(OutletRun.outlet_id, OutletRun.started_at, OutletRun.new_articles)
                           .where(OutletRun.started_at >= since))
    for outlet_id, started, new in rows:
        index = (started.astimezone(SEOUL).date() - first).days
        if 0 <= index < days:
            series.setdefault(outlet_id, [0] * days)[index] += int(new or 0)
    return DailyVolume(labels, dict(sorted(series.items())))
