"""What a mail shows of each alert, read from the store: story, article link, outlets, match."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler import paths
from crawler.alert.compose import StoryView
from crawler.alert.outbox import chunks
from crawler.store.models import Alert, Article, Match, Story, StoryOutlet

log = logging.getLogger(__name__)

Carried = list[tuple[str, str, datetime]]


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
        [Match.score, Match.terms, Match.snippet_title, Match.snippet_body],
        {a.match_id for a in alerts},
    )
    article_columns = [
        Article.outlet_id,
        Article.title,
        Article.url,
        Article.canonical_url,
        Article.published_at,
        Article.first_seen_at,
    ]
    articles = _rows(session, Article, article_columns, {a.article_id for a in alerts})
    stories = _rows(session, Story, [Story.title, Story.published_at], {a.story_id for a in alerts})
    carried = story_outlets(session, set(stories), outlet_names)
    views: dict[int, StoryView] = {}
    built: dict[tuple[int, int, int, str], StoryView] = {}
    for a in alerts:
        key = (a.story_id, a.article_id, a.match_id, a.watchlist_id)
        if key not in built:
            if (
                a.match_id not in matches
                or a.article_id not in articles
                or a.story_id not in stories
            ):
                continue  # pruned under us: nothing to show
            built[key] = _view(
                a,
                matches[a.match_id],
                articles[a.article_id],
                stories[a.story_id],
                carried,
                outlet_names,
            )
        views[a.id] = built[key]
    return views


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
    )


def story_outlets(
    session: Session, story_ids: set[int], names: dict[str, str]
) -> dict[int, Carried]:
    """Story id -> [(outlet name, article URL, first seen)], earliest first."""
    out: dict[int, Carried] = {}
    for ids in chunks(sorted(story_ids)):
        rows = session.execute(
            select(
                StoryOutlet.story_id,
                StoryOutlet.outlet_id,
                StoryOutlet.first_seen_at,
                Article.canonical_url,
                Article.url,
            )
            .join(Article, Article.id == StoryOutlet.article_id)
            .where(StoryOutlet.story_id.in_(ids))
            .order_by(StoryOutlet.story_id, StoryOutlet.first_seen_at, StoryOutlet.outlet_id)
        ).all()
        for story_id, outlet_id, first_seen, canonical, url in rows:
            out.setdefault(story_id, []).append(
                (names.get(outlet_id, outlet_id), canonical or url, first_seen)
            )
    return out


def outlet_names() -> dict[str, str]:
    """Outlet id -> name from the registry; ids stand in when the registry cannot be read."""
    from crawler.registry import RegistryError, load_registry

    try:
        return {o.id: o.name for o in load_registry().outlet}
    except RegistryError as exc:
        log.warning("outlet names unavailable, mail shows outlet ids: %s", exc)
        return {}


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
