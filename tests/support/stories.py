"""Stories, matches and outbox rows written straight into the store, as ingest and planning leave them."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crawler.store.models import Alert, Article, Match, Story, StoryOutlet

WATCHLIST = "medical-tourism"
_serial = itertools.count(1)


@dataclass
class Made:
    story: Story
    article: Article
    match: Match


def add_story(
    session: Any,
    title: str,
    *,
    outlets: tuple[str, ...] = ("incheonilbo",),
    watchlist: str = WATCHLIST,
    score: float = 15.0,
    published_at: datetime | None = None,
    terms: tuple[str, ...] = ("의료관광", "팸투어"),
    snippet_body: str = "인천시는 \x02의료관광\x03 \x02팸투어\x03를 열고 러시아어권 코디네이터 28명을 초청했다.",
) -> Made:
    """A story carried by `outlets` (one article each), matched by the first outlet's article."""
    published_at = published_at or datetime(2026, 1, 2, 2, 10, tzinfo=UTC)
    story = Story(title=title, signature=b"", published_at=published_at)
    session.add(story)
    session.flush()
    articles = []
    for i, outlet in enumerate(outlets):
        n = next(_serial)
        url = f"https://www.{outlet}.example/news/articleView.html?idxno={n}"
        art = Article(
            outlet_id=outlet,
            url=url,
            url_key=f"{outlet}|{n}",
            canonical_url=url,
            title=title,
            body="본문",
            body_hash=f"h{n}",
            family="ndsoft",
            published_at=published_at,
            story_id=story.id,
        )
        session.add(art)
        session.flush()
        session.add(
            StoryOutlet(
                story_id=story.id,
                outlet_id=outlet,
                article_id=art.id,
                first_seen_at=published_at + dt.timedelta(minutes=i),
            )
        )
        articles.append(art)
    match = Match(
        article_id=articles[0].id,
        watchlist_id=watchlist,
        score=score,
        relevant=True,
        rule="core-term",
        terms=list(terms),
        snippet_title="",
        snippet_body=snippet_body,
    )
    session.add(match)
    session.flush()
    return Made(story, articles[0], match)


def add_alert(
    session: Any,
    made: Made,
    recipient: str,
    *,
    due_at: datetime,
    watchlist: str = WATCHLIST,
    revision: int = 1,
    mode: str = "digest",
    **fields: Any,
) -> Alert:
    alert = Alert(
        recipient=recipient,
        watchlist_id=watchlist,
        story_id=made.story.id,
        revision=revision,
        article_id=made.article.id,
        match_id=made.match.id,
        mode=mode,
        due_at=due_at,
        **fields,
    )
    session.add(alert)
    session.flush()
    return alert


def add_pending(session: Any, title: str, recipient: str, *, due_in: dt.timedelta,
                outlets: tuple[str, ...] = ("incheonilbo",), published_at: datetime | None = None) -> Alert:
    """A matched story (published an hour ago unless given) with one alert for `recipient`, due in `due_in`."""
    now = datetime.now(UTC)
    made = add_story(session, title, outlets=outlets, published_at=published_at or now - dt.timedelta(hours=1))
    return add_alert(session, made, recipient, due_at=now + due_in)
