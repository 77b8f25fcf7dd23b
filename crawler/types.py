"""Plain data shared between the steps of the flow (extract -> normalize -> dedupe -> match -> store).

These are the contracts between `crawler/` modules; Scrapy items are built from them in `spiders/`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Extracted:
    """What a page object (or the generic fallback) read from one article page."""

    title: str | None = None
    subtitle: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None  # timezone-aware
    modified_at: datetime | None = None  # timezone-aware
    section: str | None = None
    body: str = ""  # paragraphs joined by "\n"
    canonical_url: str | None = None
    family: str = "generic"  # the page object that produced the fields
    fallback: bool = False  # True when a family page object yielded nothing and generic took over
    is_article: bool = True  # False for home/list pages that merely look like articles
    problems: list[str] = field(default_factory=list)  # e.g. "date: in the future, dropped"

    @property
    def author(self) -> str:
        return ", ".join(self.authors)

    def to_json(self) -> dict[str, Any]:
        """The object `newswatch extract` prints (DESIGN.md)."""
        return {
            "title": self.title,
            "subtitle": self.subtitle,
            "authors": list(self.authors),
            "author": self.author,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "modified_at": self.modified_at.isoformat() if self.modified_at else None,
            "section": self.section,
            "body": self.body,
        }


@dataclass
class TermHit:
    term: str  # the watchlist term (as written in the watchlist)
    group: str  # concept group id
    field: str  # "title" | "subtitle" | "body"
    start: int  # offset in the field's original (unnormalised) text
    end: int


@dataclass
class MatchResult:
    """One article against one watchlist: the score and why."""

    watchlist: str
    score: float
    threshold: float
    rule: str  # the rule that fired (or the reason none did)
    groups: list[str] = field(default_factory=list)  # concept groups that matched
    terms: list[str] = field(default_factory=list)  # distinct matched terms
    hits: list[TermHit] = field(default_factory=list)
    excluded_by: list[str] = field(default_factory=list)
    snippet_title: str = ""  # title with matched terms wrapped in \x02...\x03 markers
    snippet_body: str = ""  # best body passage, same markers

    @property
    def relevant(self) -> bool:
        return self.score >= self.threshold

    def explanation(self) -> dict[str, Any]:
        """`asdict(self)` plus `relevant`, built by hand: asdict's recursive copy of every hit
        cost the store 1.4 ms per article (tests/test_match_explain.py holds the two equal)."""
        return {
            "watchlist": self.watchlist, "score": self.score, "threshold": self.threshold, "rule": self.rule,
            "groups": list(self.groups), "terms": list(self.terms),
            "hits": [{"term": h.term, "group": h.group, "field": h.field, "start": h.start, "end": h.end}
                     for h in self.hits],
            "excluded_by": list(self.excluded_by), "snippet_title": self.snippet_title,
            "snippet_body": self.snippet_body, "relevant": self.relevant,
        }


@dataclass
class ArticleRecord:
    """One fetched article as it travels spider -> pipelines -> store (the Scrapy item)."""

    outlet_id: str
    url: str  # the final URL (after redirects)
    request_url: str  # the URL whose key was checked before the request
    family: str
    extracted: Extracted
    fetched_at: datetime
    feed_title: str = ""
    feed_modified: str = ""
    # filled by the pipelines
    canonical_url: str = ""
    keys: list[str] = field(default_factory=list)
    body_hash: str = ""
    signature: list[int] = field(default_factory=list)
    story_features: Any = None  # crawler.dedupe.stories.Features of title and body, when computed
    matches: list[MatchResult] = field(default_factory=list)
    outcome: dict[str, Any] = field(default_factory=dict)
