"""Operations fixtures: a small watchlist directory, a recipients file and a factory for stored articles."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from crawler.store import Database
from crawler.store.models import Article, ArticleUrl, ArticleVersion, Match, Story, StoryOutlet

WL = "tour-test"
_serial = itertools.count(1)

WATCHLIST_V1 = """
name = "의료관광 시험"
threshold = 4

[groups.mt]
label = "의료관광"
weight = 5
terms = ["의료관광"]

[groups.fam]
label = "팸투어"
weight = 5
terms = ["팸투어"]

[[rules]]
name = "의료관광"
require = ["mt"]
"""

# after the edit: 팸투어 articles start matching, 의료관광-only ones stop
WATCHLIST_V2 = WATCHLIST_V1.replace('require = ["mt"]', 'require = ["fam"]')

BROKEN = WATCHLIST_V1.replace("threshold = 4", "threshold = -1")


def write_watchlist(directory: Path, text: str, name: str = WL) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


RECIPIENTS = """
[[recipient]]
address = "team@example.org"
name = "의료관광팀"
watchlists = ["tour-test"]
mode = "digest"
digest_times = ["08:30"]
weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
"""


@dataclass(frozen=True)
class Stored:
    article_id: int
    story_id: int


def add_article(db: Database, *, title: str, body: str | None, outlet: str = "incheonnuri",
                published_at: datetime | None = None, first_seen_at: datetime | None = None,
                story_id: int | None = None, match: float | None = None, relevant: bool | None = None,
                watchlist: str = WL, terms: list[str] | None = None) -> Stored:
    """A stored article with its version, URL key, story and (optionally) a match row."""
    n = next(_serial)
    seen = first_seen_at or datetime.now(UTC)
    url = f"https://{outlet}.example.kr/news/articleView.html?idxno={n}"
    digest = hashlib.sha256((body or title).encode()).hexdigest()
    with db.session() as s:
        if story_id is None:
            story = Story(title=title, signature=b"\x00" * 8, published_at=published_at, first_seen_at=seen,
                          updated_at=seen)
            s.add(story)
            s.flush()
            story_id = story.id
        article = Article(outlet_id=outlet, url=url, url_key=f"{outlet}:{n}", canonical_url=url, title=title,
                          subtitle=None, authors=[], section=None, published_at=published_at, modified_at=None,
                          body=body, body_hash=digest, version=1, family="ndsoft", fallback=False,
                          story_id=story_id, first_seen_at=seen, fetched_at=seen)
        s.add(article)
        s.flush()
        s.add(ArticleUrl(url_key=article.url_key, article_id=article.id))
        s.add(ArticleVersion(article_id=article.id, version=1, title=title, subtitle=None, body=body,
                             body_hash=digest, modified_at=None, fetched_at=seen))
        if s.get(StoryOutlet, (story_id, outlet)) is None:
            s.add(StoryOutlet(story_id=story_id, outlet_id=outlet, article_id=article.id, first_seen_at=seen))
        if match is not None:
            s.add(Match(article_id=article.id, watchlist_id=watchlist, article_version=1, score=match,
                        relevant=match >= 4 if relevant is None else relevant, rule="의료관광",
                        terms=terms or ["의료관광"], explanation={}, snippet_title=title, snippet_body="",
                        matched_at=seen))
        return Stored(article.id, story_id)
