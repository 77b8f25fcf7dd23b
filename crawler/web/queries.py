"""What the dashboard shows, read from the store: stories with their matches, labels and run history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler import paths
from crawler.ops.models import Label
from crawler.registry import Outlet
from crawler.store.models import Article, Match, OutletRun, Run, Story, StoryOutlet

SEOUL = ZoneInfo(paths.SEOUL)
STORY_LIMIT = 200
RUN_LIMIT = 30
CHART_DAYS = 14


@dataclass(frozen=True)
class StoryMatch:
    """The best match of a story for one watchlist."""

    watchlist_id: str
    score: float
    rule: str
    terms: list[str]
    groups: list[str]
    excluded_by: list[str]
    threshold: float | None
    snippet_title: str
    snippet_body: str
    matched_at: datetime


@dataclass(frozen=True)
class StoryLabel:
    watchlist_id: str
    verdict: str
    outlet_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class StoryView:
    story_id: int
    title: str
    url: str
    published_at: datetime | None
    first_seen_at: datetime
    outlets: list[str]  # outlet names (ids when the registry no longer has them), first carrier first
    matches: list[StoryMatch]
    labels: list[StoryLabel] = field(default_factory=list)

    @property
    def best(self) -> StoryMatch:
        return self.matches[0]


def known_watchlists(session: Session) -> list[str]:
    """Watchlist ids in the watchlist directory or in stored matches."""
    stored = set(session.scalars(select(Match.watchlist_id).distinct()))
    directory = paths.watchlists_dir()
    files = {p.stem for p in directory.glob("*.toml")} if directory.is_dir() else set()
    return sorted(stored | files)


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def recent_stories(session: Session, registry: Mapping[str, Outlet], *, now: datetime, days: int,
                   watchlist: str | None = None, limit: int = STORY_LIMIT) -> list[StoryView]:
    """Stories with a relevant match in the last `days` days, newest match first."""
    since = now - timedelta(days=days)
    stmt = (select(Match, Article.story_id).join(Article, Article.id == Match.article_id)
            .where(Match.relevant.is_(True), Match.matched_at >= since, Article.story_id.is_not(None)))
    if watchlist:
        stmt = stmt.where(Match.watchlist_id == watchlist)
    by_story: dict[int, dict[str, Match]] = defaultdict(dict)
    for match, story_id in session.execute(stmt):
        best = by_story[story_id].get(match.watchlist_id)
        if best is None or (match.score, match.matched_at) > (best.score, best.matched_at):
            by_story[story_id][match.watchlist_id] = match
    if not by_story:
        return []
    order = sorted(by_story, key=lambda sid: max(m.matched_at for m in by_story[sid].values()), reverse=True)
    chosen = order[:limit]
    stories = {s.id: s for s in session.scalars(select(Story).where(Story.id.in_(chosen)))}
    carriers: dict[int, list[tuple[datetime, str, int]]] = defaultdict(list)
    for so in session.scalars(select(StoryOutlet).where(StoryOutlet.story_id.in_(chosen))):
        carriers[so.story_id].append((so.first_seen_at, so.outlet_id, so.article_id))
    first_ids = {sid: min(rows)[2] for sid, rows in carriers.items()}
    urls: dict[int, str] = {aid: url for aid, url in session.execute(
        select(Article.id, Article.url).where(Article.id.in_(list(first_ids.values()))))}
    labels: dict[int, dict[tuple[str, str | None], Label]] = defaultdict(dict)
    for lb in session.scalars(select(Label).where(Label.story_id.in_(chosen)).order_by(Label.id)):
        key = (lb.watchlist_id, lb.outlet_id if lb.verdict == "mute-outlet" else None)
        labels[lb.story_id][key] = lb  # the newest verdict per watchlist (and per muted outlet) wins
    out: list[StoryView] = []
    for sid in chosen:
        story = stories.get(sid)
        if story is None:
            continue
        matches = sorted(by_story[sid].values(), key=lambda m: m.score, reverse=True)
        names = [registry[o].name if o in registry else o for _, o, _ in sorted(carriers.get(sid, []))]
        out.append(StoryView(
            story_id=sid, title=story.title, url=urls.get(first_ids.get(sid, -1), ""),
            published_at=story.published_at, first_seen_at=story.first_seen_at, outlets=names,
            matches=[StoryMatch(m.watchlist_id, m.score, m.rule, _strings(m.terms),
                                _strings((m.explanation or {}).get("groups")),
                                _strings((m.explanation or {}).get("excluded_by")),
                                _number((m.explanation or {}).get("threshold")),
                                m.snippet_title, m.snippet_body, m.matched_at) for m in matches],
            labels=[StoryLabel(lb.watchlist_id, lb.verdict, lb.outlet_id, lb.created_at)
                    for lb in labels[sid].values()],
        ))
    return out


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
