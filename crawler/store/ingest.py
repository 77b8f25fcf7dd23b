"""Storing one article: the article (or its new version), its story, its matches and its alerts —
all in one transaction, so an alert exists exactly when its match does (the outbox pattern).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import (
    Integer,
    LargeBinary,
    Row,
    String,
    Text,
    bindparam,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session

from crawler.dedupe.revisions import PreviousMatch, material_change
from crawler.dedupe.stories import (
    StoryDoc,
    band_keys,
    decode_signature,
    encode_signature,
    follow_up,
    same_story,
    worth_comparing,
)
from crawler.store.models import (
    Alert,
    Article,
    ArticleUrl,
    ArticleVersion,
    Match,
    StoryOutlet,
    UTCDateTime,
    table_of,
)
from crawler.types import ArticleRecord, MatchResult


class IngestHooks(Protocol):
    """What storing an article sets off above the store — press-release pick-ups, follow-up notes,
    alert planning with mutes — passed in by the caller so the store imports nothing above it
    (crawler.alert.onstore.AlertsOnStore is the real one)."""

    def new_article(self, session: Session, *, article_id: int, outlet_id: str, doc: StoryDoc,
                    now: datetime) -> None: ...

    def story_joined(self, session: Session, *, story_id: int, article_id: int, now: datetime) -> None: ...

    def alerts(self, session: Session, *, watchlist_id: str, score: float, published_at: datetime | None,
               outlet_id: str, story_id: int, article_id: int, match_id: int, revision: int, seed: bool,
               now: datetime) -> int: ...

MAX_STORY_CANDIDATES = 8
PER_BAND = 64  # newest stories read per band key


@dataclass
class IngestResult:
    status: str  # new | updated | unchanged
    article_id: int
    story_id: int | None
    version: int
    matched: list[str] = field(default_factory=list)  # watchlists the article is relevant to
    alerts: int = 0
    revised: dict[str, str] = field(default_factory=dict)  # watchlist -> why the story is mailed again


_FIND: dict[int, Any] = {}  # text statements by number of keys (1-3 in practice)


def stored_version(session: Session, keys: list[str]) -> tuple[int, str] | None:
    """(id, body hash) of the stored article known under any of these keys.

    Plain SQL compiled once per key count: built with `in_()` per article, SQLAlchemy's statement
    caching cost more than the indexed lookup (1.3 ms of the store's time per article)."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return None
    stmt = _FIND.get(len(keys))
    if stmt is None:
        marks = ", ".join(f":k{i}" for i in range(len(keys)))
        stmt = _FIND[len(keys)] = text(
            f"SELECT a.id, a.body_hash FROM article_urls u JOIN articles a ON a.id = u.article_id "
            f"WHERE u.url_key IN ({marks}) LIMIT 1")
    row = session.execute(stmt, {f"k{i}": k for i, k in enumerate(keys)}).first()
    return (int(row[0]), str(row[1])) if row is not None else None


def find_article(session: Session, keys: list[str]) -> Article | None:
    """The stored article known under any of these keys."""
    found = stored_version(session, keys)
    return session.get(Article, found[0]) if found is not None else None


_CANDIDATES: dict[int, Any] = {}  # the statement per number of band keys (a text() per article cost 0.7 ms)


def _candidates(session: Session, bands: list[int]) -> list[tuple[int, bytes]]:
    """Stories sharing the most LSH bands with these, with their signatures.

    Each band key reads only its newest PER_BAND stories from the primary-key index, so a band
    that boilerplate gave to thousands of stories costs PER_BAND rows and the lookup does not
    grow with the store. The database counts and ranks (one row per candidate comes back, not
    one per band hit). Plain SQL: built with SQLAlchemy constructs per article it was 2x slower.
    """
    stmt = _CANDIDATES.get(len(bands))
    if stmt is None:
        hits = " UNION ALL ".join(
            f"SELECT * FROM (SELECT story_id FROM story_bands WHERE band_key = :k{i} "
            f"ORDER BY story_id DESC LIMIT {PER_BAND}) AS t{i}" for i in range(len(bands)))
        stmt = _CANDIDATES[len(bands)] = text(
            f"SELECT c.story_id, s.signature FROM (SELECT story_id, count(*) AS n FROM ({hits}) AS h "
            f"GROUP BY story_id ORDER BY n DESC, story_id DESC LIMIT {MAX_STORY_CANDIDATES}) AS c "
            "JOIN stories s ON s.id = c.story_id ORDER BY c.n DESC, c.story_id DESC")
    return [(sid, sig) for sid, sig in session.execute(stmt, {f"k{i}": b for i, b in enumerate(bands)})]


# the statements of assign_story, as text compiled once: per article, SQLAlchemy's statement
# building and caching cost more than the indexed lookups themselves
# A newcomer is compared with the story's first few members, not only its first: a trimmed copy
# of a release shares little with the outlet's rewrite that happened to open the story, and
# everything with the release's verbatim copy that joined it second.
MEMBERS_COMPARED = 3
_MEMBERS = text(
    "SELECT id, outlet_id, title, body, published_at FROM articles WHERE story_id = :s "
    f"ORDER BY id LIMIT {MEMBERS_COMPARED}"
).columns(id=Integer(), outlet_id=String(), title=Text(), body=Text(), published_at=UTCDateTime())
_TOUCH_STORY = text("UPDATE stories SET updated_at = :now WHERE id = :s").bindparams(
    bindparam("now", type_=UTCDateTime()))
_NEW_STORY = text(
    "INSERT INTO stories (title, signature, published_at, first_seen_at, updated_at, follows_id) "
    "VALUES (:title, :sig, :published, :now, :now, :follows) RETURNING id"
).bindparams(bindparam("sig", type_=LargeBinary()), bindparam("published", type_=UTCDateTime()),
             bindparam("now", type_=UTCDateTime()))


Member = StoryDoc | Row[Any]


def _members(session: Session, story_id: int, sig: list[int]) -> list[Member]:
    """The story's first members, as the documents a newcomer is compared with. The first is built
    at once with the story's signature; the others stay rows until a comparison needs them (their
    signature is computed from their text)."""
    rows: list[Member] = list(session.execute(_MEMBERS, {"s": story_id}))
    if rows:
        rows[0] = _doc(rows[0], sig)  # type: ignore[arg-type]  # the first member is still a Row here
    return rows


def _doc(row: Row[Any], sig: list[int]) -> StoryDoc:
    return StoryDoc(id=str(row.id), outlet=row.outlet_id, title=row.title, body=row.body or "",
                    published_at=row.published_at, sig=sig)


def _member(members: list[Member], i: int) -> StoryDoc:
    """Member i as a document, built (and kept, when `members` is cached) on first use."""
    m = members[i]
    if not isinstance(m, StoryDoc):
        m = members[i] = _doc(m, [])
    return m


class StoryCache:
    """The compared members of recently compared stories, so their features are built once per crawl."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.docs: OrderedDict[int, list[Member]] = OrderedDict()

    def clear(self) -> None:
        """Forget every story (after a rollback: a cached id may never have been committed)."""
        self.docs.clear()

    def get(self, session: Session, story_id: int, sig: list[int]) -> list[Member]:
        if story_id in self.docs:
            self.docs.move_to_end(story_id)
            return self.docs[story_id]
        docs = _members(session, story_id, sig)
        self.put(story_id, docs)
        return docs

    def put(self, story_id: int, docs: list[Member]) -> None:
        self.docs[story_id] = docs
        if len(self.docs) > self.size:
            self.docs.popitem(last=False)

    def joined(self, story_id: int, doc: StoryDoc) -> None:
        """A newcomer joined a cached story: it is compared with later ones while the story is young."""
        docs = self.docs.get(story_id)
        if docs is not None and len(docs) < MEMBERS_COMPARED:
            docs.append(doc)


def assign_story(session: Session, rec: ArticleRecord, now: datetime,
                 cache: StoryCache | None = None) -> tuple[int, bool]:
    """The story this article belongs to (id, is_new): LSH bands in the database, then a pairwise check."""
    ex = rec.extracted
    doc = StoryDoc(id="new", outlet=rec.outlet_id, title=ex.title or "", body=ex.body,
                   published_at=ex.published_at, sig=rec.signature)
    if rec.story_features is not None:
        doc.__dict__["features"] = rec.story_features  # computed with the signature (cached_property slot)
    bands = sorted(set(band_keys(rec.signature)))
    compared: list[tuple[str, StoryDoc]] = []
    for story_id, packed in _candidates(session, bands) if bands else []:
        sig = decode_signature(packed)
        members = cache.get(session, story_id, sig) if cache else _members(session, story_id, sig)
        for i in range(len(members)):
            other = _member(members, i)
            if not worth_comparing(rec.signature, other.sig):
                continue  # shares a band by chance: not worth reading its text
            if same_story(doc, other)[0]:
                session.execute(_TOUCH_STORY, {"now": now, "s": story_id})
                _index(session, story_id, bands)  # the bands it adds to its story (others are there)
                if cache is not None:
                    cache.joined(story_id, doc)
                return story_id, False
            if i == 0 and other.published_at is not None:
                compared.append((str(story_id), other))
    follows = follow_up(doc, compared) if compared else None  # days later, same actors: linked
    story_id = session.execute(_NEW_STORY, {"title": ex.title or "", "sig": encode_signature(rec.signature),
                                            "published": ex.published_at, "now": now,
                                            "follows": int(follows) if follows else None}).scalar_one()
    _index(session, story_id, bands)
    if cache is not None:  # this article is the new story's first member: its features are built already
        cache.put(story_id, [doc])
    return story_id, True


_INSERT_BAND = text("INSERT INTO story_bands (band_key, story_id) VALUES (:b, :s) ON CONFLICT DO NOTHING")


def _index(session: Session, story_id: int, bands: list[int]) -> None:
    """Every member's band keys point at its story, so later copies can find it through any member."""
    if bands:  # Core executemany: the ORM's bulk insert costs more than the rows
        session.execute(_INSERT_BAND, [{"b": b, "s": story_id} for b in bands])


# Core statements on the tables (models.table_of)
_INSERT_URLS = insert(table_of(ArticleUrl))
_INSERT_VERSION = insert(table_of(ArticleVersion))
_INSERT_STORY_OUTLET = insert(table_of(StoryOutlet))
_INSERT_ARTICLE = insert(table_of(Article)).returning(table_of(Article).c.id)
_INSERT_MATCH = insert(table_of(Match)).returning(table_of(Match).c.id)


@dataclass
class NewArticle:
    """A just-inserted article, with the columns the rest of `ingest` reads (no ORM object: its
    construction and flush cost more than the insert)."""

    id: int
    outlet_id: str
    title: str
    body: str | None
    story_id: int | None
    published_at: datetime | None
    version: int = 1


def _add_keys(session: Session, article_id: int, keys: list[str], *, known: set[str] | None = None) -> None:
    """Record the URL keys of an article (those not recorded yet)."""
    keys = list(dict.fromkeys(keys))
    if known is None:
        known = set(session.scalars(select(ArticleUrl.url_key).where(ArticleUrl.url_key.in_(keys))))
    fresh = [{"url_key": k, "article_id": article_id} for k in keys if k not in known]
    if fresh:
        session.execute(_INSERT_URLS, fresh)


def _add_version(session: Session, article: Article | NewArticle, rec: ArticleRecord, now: datetime) -> None:
    ex = rec.extracted
    session.execute(_INSERT_VERSION, {
        "article_id": article.id, "version": article.version, "title": article.title, "subtitle": ex.subtitle,
        "body": ex.body, "body_hash": rec.body_hash, "modified_at": ex.modified_at, "fetched_at": now})


def _store_new(session: Session, rec: ArticleRecord, now: datetime, cache: StoryCache | None) -> tuple[NewArticle, bool]:
    """The new article, and whether it brought a new outlet to a story that existed before."""
    ex = rec.extracted
    story_id, new_story = assign_story(session, rec, now, cache)
    title = ex.title or ""
    article_id = session.execute(_INSERT_ARTICLE, {
        "outlet_id": rec.outlet_id, "url": rec.url, "url_key": rec.keys[0], "canonical_url": rec.canonical_url,
        "title": title, "subtitle": ex.subtitle, "authors": list(ex.authors), "section": ex.section,
        "published_at": ex.published_at, "modified_at": ex.modified_at, "body": ex.body, "body_hash": rec.body_hash,
        "version": 1, "family": ex.family, "fallback": ex.fallback, "story_id": story_id, "first_seen_at": now,
        "fetched_at": rec.fetched_at, "feed_title": rec.feed_title, "feed_modified": rec.feed_modified,
    }).scalar_one()
    article = NewArticle(id=int(article_id), outlet_id=rec.outlet_id, title=title, body=ex.body,
                         story_id=story_id, published_at=ex.published_at)
    _add_keys(session, article.id, rec.keys, known=set())  # find_article found none of them
    _add_version(session, article, rec, now)
    joined = not new_story and session.get(StoryOutlet, (story_id, rec.outlet_id)) is None
    if new_story or joined:
        session.execute(_INSERT_STORY_OUTLET, {"story_id": story_id, "outlet_id": rec.outlet_id,
                                               "article_id": article.id, "first_seen_at": now})
    return article, joined


def _store_version(session: Session, article: Article, rec: ArticleRecord, now: datetime) -> None:
    ex = rec.extracted
    article.version += 1
    article.title, article.subtitle, article.body = ex.title or article.title, ex.subtitle, ex.body
    article.body_hash, article.modified_at, article.fetched_at = rec.body_hash, ex.modified_at, rec.fetched_at
    article.authors, article.section = list(ex.authors), ex.section
    article.feed_title, article.feed_modified = rec.feed_title, rec.feed_modified
    _add_keys(session, article.id, rec.keys)
    _add_version(session, article, rec, now)


def _store_match(session: Session, article: Article | NewArticle, result: MatchResult, now: datetime) -> int:
    """The stored match's id (a Core insert: an ORM object and its flush cost 3x more)."""
    return int(session.execute(_INSERT_MATCH, {
        "article_id": article.id, "watchlist_id": result.watchlist, "article_version": article.version,
        "score": float(result.score), "relevant": result.relevant, "rule": result.rule,
        "terms": list(result.terms), "explanation": result.explanation(),
        "snippet_title": result.snippet_title, "snippet_body": result.snippet_body, "matched_at": now,
    }).scalar_one())


def ingest(session: Session, rec: ArticleRecord, *, hooks: IngestHooks, seed: bool,
           now: datetime | None = None, cache: StoryCache | None = None) -> IngestResult:
    """Store the article, its story, its matches and (unless seeding) its alerts in `session`'s transaction."""
    now = now or datetime.now(UTC)
    article = find_article(session, rec.keys)
    if article is not None and article.body_hash == rec.body_hash:
        article.fetched_at = rec.fetched_at
        _add_keys(session, article.id, rec.keys)
        return IngestResult("unchanged", article.id, article.story_id, article.version)
    status = "new" if article is None else "updated"
    previous: dict[str, PreviousMatch] = {}
    old_text = ("", "")
    stored: Article | NewArticle
    if article is None:
        stored, joined = _store_new(session, rec, now, cache)
        hooks.new_article(session, article_id=stored.id, outlet_id=rec.outlet_id, doc=_story_doc(rec, stored.id),
                          now=now)
        if joined and not seed and stored.story_id is not None:
            # a story mailed before gains an outlet: the next digest says so (never at once)
            hooks.story_joined(session, story_id=stored.story_id, article_id=stored.id, now=now)
    else:
        previous = _previous_matches(session, article)
        old_text = (article.title, article.body or "")
        _store_version(session, article, rec, now)
        stored = article
    result = IngestResult(status, stored.id, stored.story_id, stored.version)
    for m in rec.matches:
        match_id = _store_match(session, stored, m, now)
        if not m.relevant:
            continue
        result.matched.append(m.watchlist)
        revision = 1  # new, or newly matching: the story's first alert (a no-op if it has one)
        before = previous.get(m.watchlist)
        if before is not None and before.relevant:
            why = material_change(before, float(m.score), m.groups, old_title=old_text[0], old_body=old_text[1],
                                  new_title=stored.title, new_body=stored.body or "")
            if not why:
                continue  # an edit that does not change what the office was told: no mail
            revision = _revision(session, stored.story_id, m.watchlist) + 1
            result.revised[m.watchlist] = why
        if stored.story_id is not None:
            result.alerts += hooks.alerts(
                session, watchlist_id=m.watchlist, score=float(m.score), published_at=stored.published_at,
                outlet_id=stored.outlet_id, story_id=stored.story_id, article_id=stored.id, match_id=match_id,
                revision=revision, seed=seed, now=now)
    return result


def _story_doc(rec: ArticleRecord, article_id: int) -> StoryDoc:
    """The new article as the story check sees it (with the features the crawl already computed)."""
    ex = rec.extracted
    doc = StoryDoc(id=str(article_id), outlet=rec.outlet_id, title=ex.title or "", body=ex.body,
                   published_at=ex.published_at, sig=rec.signature)
    if rec.story_features is not None:
        doc.__dict__["features"] = rec.story_features
    return doc


def _previous_matches(session: Session, article: Article) -> dict[str, PreviousMatch]:
    """The stored article's current version's matches, per watchlist."""
    rows = session.execute(select(Match.watchlist_id, Match.relevant, Match.score, Match.explanation).where(
        Match.article_id == article.id, Match.article_version == article.version))
    return {w: PreviousMatch(bool(rel), float(score), frozenset((expl or {}).get("groups") or ()))
            for w, rel, score, expl in rows}


def _revision(session: Session, story_id: int | None, watchlist_id: str) -> int:
    """The story's highest alert revision for this watchlist (0 when it was never alerted)."""
    if story_id is None:
        return 0
    return session.scalar(select(func.max(Alert.revision)).where(
        Alert.story_id == story_id, Alert.watchlist_id == watchlist_id)) or 0
