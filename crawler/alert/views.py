"""What a mail shows of each alert, read from the store: story, article link, outlets, match.

A follow-up (followup > 0) shows its story like the alert it follows (that match's article and
snippet) plus the outlets that are news to the recipient: first seen after the previous mail of
the story to them (the newest `sent_at` of their other rows of the story), never a muted one.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler import paths
from crawler.alert.compose import StoryView
from crawler.alert.explain import (
    Carrier,
    Why,
    excerpt,
    explain,
    highlight_terms,
    level,
    pick_representative,
    rehighlight,
)
from crawler.alert.mutes import muted_outlets
from crawler.alert.outbox import chunks
from crawler.match.watchlist import Watchlist, WatchlistError, load_watchlist
from crawler.registry import RegistryError, load_registry
from crawler.store.models import Alert, Article, Match, Story, StoryOutlet

log = logging.getLogger(__name__)

Carried = list[tuple[str, str, datetime]]
BODY_CHARS = 6000  # the lead and the first sentences naming the subject are within this


def load_views(
    session: Session, alerts: Sequence[Alert], outlet_names: dict[str, str]
) -> dict[int, StoryView]:
    """A StoryView per alert id: its story, its article (link, title) and its match (score, why).

    Only the columns a mail shows are read (never article bodies), each row once however many
    recipients share it.
    """
    matches = _rows(
        session,
        Match,
        [Match.score, Match.terms, Match.snippet_title, Match.snippet_body, Match.article_id],
        {a.match_id for a in alerts},
    )
    # a follow-up's own article is the joining outlet's; it shows the story's matched article
    shown = {
        a.id: matches[a.match_id].article_id
        if a.followup and a.match_id in matches
        else a.article_id
        for a in alerts
    }
    article_columns = [
        Article.outlet_id,
        Article.title,
        Article.url,
        Article.canonical_url,
        Article.published_at,
        Article.first_seen_at,
    ]
    articles = _rows(session, Article, article_columns, set(shown.values()))
    stories = _rows(session, Story, [Story.title, Story.published_at], {a.story_id for a in alerts})
    members = _members(session, set(stories))
    carried = {sid: [_carried(o, outlet_names) for o in rows] for sid, rows in members.items()}
    followups = [a for a in alerts if a.followup]
    news = _news(session, followups, members, outlet_names) if followups else {}
    regions = outlet_regions()
    shown_by: dict[str, dict[int, Shown]] = {}
    for wid in {a.watchlist_id for a in alerts}:
        ids = {a.story_id for a in alerts if a.watchlist_id == wid and a.story_id in stories}
        shown_by[wid] = representatives(session, ids, wid, regions)
    views: dict[int, StoryView] = {}
    built: dict[tuple[int, int, int, str], StoryView] = {}
    for a in alerts:
        article_id = shown[a.id]
        key = (a.story_id, article_id, a.match_id, a.watchlist_id)
        if key not in built:
            if a.match_id not in matches or article_id not in articles or a.story_id not in stories:
                continue  # pruned under us: nothing to show
            built[key] = _view(
                a,
                matches[a.match_id],
                articles[article_id],
                stories[a.story_id],
                carried,
                outlet_names,
            )
            rep = shown_by.get(a.watchlist_id, {}).get(a.story_id)
            if rep is not None:
                built[key] = _as_shown(built[key], rep, outlet_names)
        if not a.followup:
            views[a.id] = built[key]
        elif news.get(a.id):  # a follow-up with nothing new (muted meanwhile, mailed since): none
            views[a.id] = replace(built[key], followup=True, new_outlets=tuple(news[a.id]))
    return views


class Member(NamedTuple):
    """One outlet of a story: its first article and when that was first seen."""

    outlet_id: str
    article_id: int
    first_seen_at: datetime
    url: str
    published_at: datetime | None


def _carried(o: Member, names: dict[str, str]) -> tuple[str, str, datetime]:
    return (names.get(o.outlet_id, o.outlet_id), o.url, o.first_seen_at)


def _news(
    session: Session,
    followups: Sequence[Alert],
    members: dict[int, list[Member]],
    names: dict[str, str],
) -> dict[int, Carried]:
    """Follow-up alert id -> [(outlet name, URL, published or first seen)] new to its recipient.

    New: first seen after the previous mail of the story to that recipient (the newest `sent_at`
    of their other sent rows of the story, in any watchlist), plus the follow-up's own joining
    outlet unless a mail of the story went out since the follow-up was written (that mail showed
    it). Muted outlets are left out: they are never mailed.
    """
    sent: dict[tuple[str, int], list[tuple[int, datetime | None]]] = {}
    for ids in chunks(sorted({a.story_id for a in followups})):
        rows = session.execute(
            select(Alert.id, Alert.recipient, Alert.story_id, Alert.sent_at).where(
                Alert.story_id.in_(ids), Alert.status == "sent", Alert.sent_at.is_not(None)
            )
        )
        for alert_id, recipient, story_id, sent_at in rows:
            sent.setdefault((recipient, story_id), []).append((alert_id, sent_at))
    muted = {wid: muted_outlets(session, wid) for wid in {a.watchlist_id for a in followups}}
    out: dict[int, Carried] = {}
    for a in followups:
        previous = sent.get((a.recipient, a.story_id), [])
        since = max((at for alert_id, at in previous if alert_id != a.id and at is not None), default=None)
        own_too = since is None or a.created_at is None or since < a.created_at
        out[a.id] = [
            (names.get(o.outlet_id, o.outlet_id), o.url, o.published_at or o.first_seen_at)
            for o in members.get(a.story_id, [])
            if o.outlet_id not in muted[a.watchlist_id]
            and (
                (since is not None and o.first_seen_at > since)
                or (own_too and o.article_id == a.article_id)
            )
        ]
    return out


def _rows(session: Session, model: Any, columns: list[Any], ids: set[int]) -> dict[int, Any]:
    """id -> row of the given columns, for the given ids."""
    out: dict[int, Any] = {}
    for chunk in chunks(sorted(ids)):
        for row in session.execute(select(model.id, *columns).where(model.id.in_(chunk))):
            out[row[0]] = row
    return out


def _view(
    a: Alert,
    match: Any,
    article: Any,
    story: Any,
    carried: dict[int, Carried],
    names: dict[str, str],
) -> StoryView:
    url = article.canonical_url or article.url
    own = [(names.get(article.outlet_id, article.outlet_id), url, article.first_seen_at)]
    return StoryView(
        story_id=a.story_id,
        title=article.title or story.title,
        url=url,
        outlets=carried.get(a.story_id) or own,
        published_at=article.published_at or story.published_at,
        score=match.score,
        terms=[str(t) for t in match.terms or []],
        snippet_title=match.snippet_title or "",
        snippet_body=match.snippet_body or "",
        watchlist_id=a.watchlist_id,
        revised=a.revision > 1,
    )


def _as_shown(view: StoryView, rep: Shown, names: dict[str, str]) -> StoryView:
    """The mail's view of a story told by its representative article (the same as the dashboard's)."""
    return replace(
        view,
        title=rep.title or view.title,
        url=rep.url or view.url,
        published_at=rep.first_published or view.published_at,
        score=rep.score,
        terms=rep.terms,
        snippet_title=rep.snippet_title,
        snippet_body=rep.excerpt,
        reason=rep.why.reason,
        key_terms=rep.why.key_terms,
        level=level(rep.score, rep.threshold),
        mute_outlet=(rep.outlet_id, names.get(rep.outlet_id, rep.outlet_id)),
    )


# --- one representative article per story, for mail, dashboard and export ----------------


@dataclass(frozen=True)
class Shown:
    """How a story is shown for one watchlist: its representative article and that match."""

    story_id: int
    watchlist_id: str
    article_id: int
    outlet_id: str
    title: str
    url: str
    first_published: datetime | None  # the story's earliest publication (any outlet)
    score: float
    threshold: float | None
    rule: str
    terms: list[str]
    snippet_title: str
    snippet_body: str
    why: Why
    excerpt: str  # marked (\x02…\x03 around key terms only)
    carriers: list[Carrier]


def representatives(session: Session, story_ids: set[int], watchlist_id: str,
                    regions: dict[str, str] | None = None) -> dict[int, Shown]:
    """Story id -> how it is shown for `watchlist_id` (see `crawler.alert.explain`).

    The representative is the home region's outlet first, then the earliest; its figures are
    that article's current match. When that article does not match the watchlist (a wire copy
    with the subject cut), the story's best match stands in for the figures, the headline and
    link stay the representative's.
    """
    regions = outlet_regions() if regions is None else regions
    watchlist = load_watchlist_or_none(watchlist_id)
    home = watchlist.home.name if watchlist and watchlist.home else None

    members = _members(session, story_ids)
    muted = muted_outlets(session, watchlist_id)
    picked: dict[int, Carrier] = {}
    carriers_of: dict[int, list[Carrier]] = {}
    for sid, rows in members.items():
        carriers = [Carrier(m.outlet_id, m.article_id, m.published_at, m.first_seen_at) for m in rows]
        # an outlet the office excluded (이 매체 제외) never speaks for a story
        rep = pick_representative([c for c in carriers if c.outlet_id not in muted] or carriers, regions, home)
        if rep is not None:
            picked[sid], carriers_of[sid] = rep, carriers
    article_ids = {c.article_id for cs in carriers_of.values() for c in cs}
    matches: dict[int, Any] = {}
    for ids in chunks(sorted(article_ids)):
        found = session.execute(
            select(Match.article_id, Match.score, Match.rule, Match.terms, Match.explanation,
                   Match.snippet_title, Match.snippet_body, Match.relevant, Article.story_id)
            .join(Article, (Article.id == Match.article_id) & (Article.version == Match.article_version))
            .where(Match.article_id.in_(ids), Match.watchlist_id == watchlist_id)
        )
        for row in found:
            matches[row.article_id] = row
    articles: dict[int, Any] = {}
    for ids in chunks(sorted(c.article_id for c in picked.values())):
        found = session.execute(
            select(Article.id, Article.title, Article.url, Article.canonical_url,
                   func.substr(Article.body, 1, BODY_CHARS).label("lead")).where(Article.id.in_(ids))
        )
        for row in found:
            articles[row.id] = row
    out: dict[int, Shown] = {}
    for sid, rep in picked.items():
        art = articles.get(rep.article_id)
        if art is None:
            continue
        m = matches.get(rep.article_id)
        if m is None or not m.relevant:
            best = max((matches[c.article_id] for c in carriers_of[sid] if c.article_id in matches
                        and matches[c.article_id].relevant), key=lambda r: r.score, default=None)
            m = best or m
        if m is None:
            continue
        terms = [str(t) for t in m.terms or []]
        why = explain(watchlist, m.rule or "", terms, title=art.title or "")
        spell = highlight_terms(watchlist, why)
        published = [c.published_at for c in carriers_of[sid] if c.published_at is not None]
        threshold = (m.explanation or {}).get("threshold")
        out[sid] = Shown(
            story_id=sid, watchlist_id=watchlist_id, article_id=rep.article_id, outlet_id=rep.outlet_id,
            title=art.title, url=art.canonical_url or art.url,
            first_published=min(published) if published else None,
            score=float(m.score),
            threshold=float(threshold) if isinstance(threshold, int | float) else
            (watchlist.threshold if watchlist else None),
            rule=m.rule or "", terms=terms,
            snippet_title=rehighlight(m.snippet_title or "", spell) if m.article_id == rep.article_id
            else "",
            snippet_body=m.snippet_body or "", why=why,
            excerpt=excerpt(art.lead, m.snippet_body or "" if m.article_id == rep.article_id else "", spell),
            carriers=carriers_of[sid],
        )
    return out


def load_watchlist_or_none(watchlist_id: str) -> Watchlist | None:
    """The watchlist's rules (for Korean explanations); None when its file is gone or broken."""
    try:
        return load_watchlist(paths.watchlists_dir() / f"{watchlist_id}.toml")
    except (OSError, WatchlistError) as exc:
        log.warning("watchlist %s unavailable; explanations fall back to its terms: %s", watchlist_id, exc)
        return None


def outlet_regions() -> dict[str, str]:
    """Outlet id -> region (시도) from the registry; empty when the registry cannot be read."""
    try:
        return {o.id: o.region for o in load_registry().outlet}
    except RegistryError:
        return {}


def _members(session: Session, story_ids: set[int]) -> dict[int, list[Member]]:
    """Story id -> its outlets, earliest first seen first."""
    out: dict[int, list[Member]] = {}
    for ids in chunks(sorted(story_ids)):
        rows = session.execute(
            select(
                StoryOutlet.story_id,
                StoryOutlet.outlet_id,
                StoryOutlet.article_id,
                StoryOutlet.first_seen_at,
                Article.canonical_url,
                Article.url,
                Article.published_at,
            )
            .join(Article, Article.id == StoryOutlet.article_id)
            .where(StoryOutlet.story_id.in_(ids))
            .order_by(StoryOutlet.story_id, StoryOutlet.first_seen_at, StoryOutlet.outlet_id)
        ).all()
        for story_id, outlet_id, article_id, first_seen, canonical, url, published in rows:
            out.setdefault(story_id, []).append(
                Member(outlet_id, article_id, first_seen, canonical or url, published)
            )
    return out


def watchlist_names(ids: Iterable[str]) -> dict[str, str]:
    """Watchlist id -> display name (`name` in settings/watchlists/<id>.toml), the id when absent."""
    names: dict[str, str] = {}
    for wid in ids:
        names[wid] = wid
        try:
            data = tomllib.loads(
                (paths.watchlists_dir() / f"{wid}.toml").read_text(encoding="utf-8")
            )
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        name = data.get("name")
        if isinstance(name, str) and name.strip():
            names[wid] = name.strip()
    return names
