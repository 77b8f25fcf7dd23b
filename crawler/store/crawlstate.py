"""Store operations the crawl needs: seen checks before a request, HTTP validators, robots cache."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Select,
    String,
    TextualSelect,
    and_,
    bindparam,
    cast,
    column,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from crawler.store.db import Database
from crawler.store.models import (
    Article,
    ArticleUrl,
    HttpValidator,
    IncompleteOutlet,
    ListShape,
    Match,
    RobotsCache,
    UTCDateTime,
    table_of,
)

_CHUNK = 500


def seen_keys(db: Database, keys: list[str]) -> set[str]:
    """The article keys already stored (one indexed query per 500 keys)."""
    found: set[str] = set()
    with db.sessions() as s:
        for i in range(0, len(keys), _CHUNK):
            chunk = keys[i : i + _CHUNK]
            found.update(s.scalars(select(ArticleUrl.url_key).where(ArticleUrl.url_key.in_(chunk))))
    return found


@dataclass(frozen=True)
class StoredEntry:
    """What the feed or list said about a stored article when it was last fetched."""

    article_id: int
    url: str
    title: str
    modified: str
    fetched_at: datetime | None = None


def stored_entries(db: Database, keys: list[str]) -> dict[str, StoredEntry]:
    """For these keys of stored articles: the feed/list entry seen at their last fetch."""
    out: dict[str, StoredEntry] = {}
    with db.sessions() as s:
        for i in range(0, len(keys), _CHUNK):
            rows = s.execute(
                select(ArticleUrl.url_key, Article.id, Article.url, Article.feed_title, Article.feed_modified)
                .join(Article, Article.id == ArticleUrl.article_id)
                .where(ArticleUrl.url_key.in_(keys[i : i + _CHUNK])))
            for key, aid, url, title, modified in rows:
                out[key] = StoredEntry(aid, url, title or "", modified or "")
    return out


def revisits_due(db: Database, outlet_id: str, *, now: datetime, max_age: timedelta, every: timedelta,
                 limit: int) -> list[StoredEntry]:
    """This outlet's articles whose current version matches a watchlist, published (or first
    seen) within `max_age`, last fetched more than `every` ago: the oldest fetched first."""
    cut, stale = now - max_age, now - every
    young = or_(Article.published_at >= cut, and_(Article.published_at.is_(None), Article.first_seen_at >= cut))
    matched = exists().where(Match.article_id == Article.id, Match.article_version == Article.version,
                             Match.relevant.is_(True))
    with db.sessions() as s:
        rows = s.execute(
            select(Article.id, Article.url, Article.feed_title, Article.feed_modified, Article.fetched_at)
            .where(Article.outlet_id == outlet_id, young, Article.fetched_at < stale, matched)
            .order_by(Article.fetched_at).limit(limit))
        return [StoredEntry(aid, url, title or "", modified or "", fetched) for aid, url, title, modified, fetched in rows]


def revisits_due_many(db: Database, outlet_ids: Iterable[str], *, now: datetime, max_age: timedelta,
                      every: timedelta, limit: int) -> dict[str, list[StoredEntry]]:
    """`revisits_due` for many outlets in one query (a tick's start: one query, not one per outlet)."""
    wanted = set(outlet_ids)
    cut, stale = now - max_age, now - every
    young = or_(Article.published_at >= cut, and_(Article.published_at.is_(None), Article.first_seen_at >= cut))
    matched = exists().where(Match.article_id == Article.id, Match.article_version == Article.version,
                             Match.relevant.is_(True))
    out: dict[str, list[StoredEntry]] = {oid: [] for oid in wanted}
    with db.sessions() as s:
        rows = s.execute(
            select(Article.outlet_id, Article.id, Article.url, Article.feed_title, Article.feed_modified,
                   Article.fetched_at)
            .where(young, Article.fetched_at < stale, matched).order_by(Article.fetched_at, Article.id))
        for oid, aid, url, title, modified, fetched in rows:
            if oid in wanted and len(out[oid]) < limit:
                out[oid].append(StoredEntry(aid, url, title or "", modified or "", fetched))
    return out


def touch_article(db: Database, article_id: int, *, fetched_at: datetime, feed_title: str | None = None,
                  feed_modified: str | None = None) -> None:
    """A refetch found the article unchanged (or 304): its fetch time and entry move on."""
    values: dict[str, object] = {"fetched_at": fetched_at}
    if feed_title:
        values["feed_title"] = feed_title
    if feed_modified:
        values["feed_modified"] = feed_modified
    with db.session() as s:
        s.execute(update(Article).where(Article.id == article_id).values(**values))


def validators(db: Database, url: str) -> tuple[str | None, str | None]:
    """The ETag and Last-Modified stored for a feed or list URL."""
    with db.sessions() as s:
        row = s.get(HttpValidator, url)
        return (row.etag, row.last_modified) if row else (None, None)


def validators_many(db: Database, urls: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
    """`validators` for many URLs (one query per 500): those with none stored are left out."""
    keys = sorted(set(urls))
    out: dict[str, tuple[str | None, str | None]] = {}
    with db.sessions() as s:
        for i in range(0, len(keys), _CHUNK):
            rows = s.execute(select(HttpValidator.url, HttpValidator.etag, HttpValidator.last_modified)
                             .where(HttpValidator.url.in_(keys[i : i + _CHUNK])))
            out.update({url: (etag, modified) for url, etag, modified in rows})
    return out


def save_validators(db: Database, rows: Iterable[tuple[str, str | None, str | None]]) -> None:
    """Store (url, ETag, Last-Modified) rows, one transaction for all: a tick's end saves those of
    every outlet it settled at once (a statement per kind, not a query per URL)."""
    now = datetime.now(UTC)
    latest = {url: {"url": url, "etag": etag, "last_modified": modified, "checked_at": now}
              for url, etag, modified in rows}  # the last one of a URL wins
    with db.session() as s:
        _upsert(s, table_of(HttpValidator).c.url, latest)


def _upsert(s: Session, key: Any, rows: Mapping[str, dict[str, Any]],
            merge: Callable[[dict[str, Any], Any], dict[str, Any]] | None = None) -> None:
    """Insert the rows (by their `key` column's value) that are not stored, update those that are
    (`merge(row, stored)` first, if given): a read per 500 keys and a statement per kind, the same
    on SQLite and PostgreSQL."""
    if not rows:
        return
    table, keys = key.table, list(rows)
    known: dict[str, Any] = {}
    for i in range(0, len(keys), _CHUNK):
        known.update((row._mapping[key], row) for row in s.execute(select(table).where(key.in_(keys[i : i + _CHUNK]))))
    fresh = [row for k, row in rows.items() if k not in known]
    if fresh:
        s.execute(insert(table), fresh)
    seen = [{**(merge(row, known[k]) if merge else row), "b_key": k} for k, row in rows.items() if k in known]
    if seen:
        columns: dict[str, Any] = {c: bindparam(c) for c in seen[0] if c not in ("b_key", key.name)}
        s.execute(update(table).where(key == bindparam("b_key")).values(**columns), seen)


def list_shapes(db: Database, outlet_id: str) -> dict[str, tuple[int, int]]:
    """An outlet's learned list-link shapes: shape -> (links that led to articles, to other pages)."""
    with db.sessions() as s:
        rows = s.execute(select(ListShape.shape, ListShape.articles, ListShape.other)
                         .where(ListShape.outlet_id == outlet_id))
        return {shape: (articles, other) for shape, articles, other in rows}


def save_list_shapes(db: Database, outlet_id: str, shapes: Mapping[str, tuple[int, int]]) -> None:
    """Store an outlet's shape counts (those given replace what was stored for the same shape)."""
    now = datetime.now(UTC)
    with db.session() as s:
        for shape, (articles, other) in shapes.items():
            row = s.get(ListShape, (outlet_id, shape))
            if row is None:
                s.add(ListShape(outlet_id=outlet_id, shape=shape, articles=articles, other=other,
                                learned_at=now, updated_at=now))
            elif (row.articles, row.other) != (articles, other):
                row.articles, row.other, row.updated_at = articles, other, now


def cached_robots(db: Database, netloc: str, max_age: timedelta) -> tuple[int, bytes] | None:
    """A robots.txt fetched less than `max_age` ago, as (status, body)."""
    with db.sessions() as s:
        row = s.get(RobotsCache, netloc)
        if row is None or datetime.now(UTC) - row.fetched_at > max_age:
            return None
        return row.status, row.body


def cached_robots_many(db: Database, netlocs: Iterable[str], max_age: timedelta) -> dict[str, tuple[int, bytes]]:
    """`cached_robots` for many hosts (one query per 500): stale or missing ones are left out."""
    keys = sorted(set(netlocs))
    now = datetime.now(UTC)
    out: dict[str, tuple[int, bytes]] = {}
    with db.sessions() as s:
        for i in range(0, len(keys), _CHUNK):
            for row in s.scalars(select(RobotsCache).where(RobotsCache.netloc.in_(keys[i : i + _CHUNK]))):
                if now - row.fetched_at <= max_age:
                    out[row.netloc] = (row.status, row.body)
    return out


def save_robots(db: Database, netloc: str, status: int, body: bytes) -> None:
    with db.session() as s:
        row = s.get(RobotsCache, netloc)
        if row is None:
            s.add(RobotsCache(netloc=netloc, status=status, body=body, fetched_at=datetime.now(UTC)))
        else:
            row.status, row.body, row.fetched_at = status, body, datetime.now(UTC)


# --- outlet completeness (issue 16: nothing lost) ----------------------------------------------


def incomplete_outlets(db: Database) -> dict[str, datetime]:
    """Outlets whose last crawl did not finish its work, with when that crawl began."""
    with db.sessions() as s:
        return {row.outlet_id: row.since for row in s.scalars(select(IncompleteOutlet))}


def incomplete_details(db: Database) -> list[IncompleteOutlet]:
    with db.sessions() as s:
        return list(s.scalars(select(IncompleteOutlet).order_by(IncompleteOutlet.outlet_id)))


def mark_incomplete(db: Database, outlet_ids: Iterable[str], *, since: datetime, run_id: int | None,
                    reason: str, interrupted: bool = True) -> None:
    """Record these outlets as incomplete; an earlier `since` already recorded is kept (the gap
    to read back over starts at the earliest unfinished run). One transaction, a statement per
    kind: a tick's start marks all its outlets at once."""
    now = datetime.now(UTC)
    rows = {oid: {"outlet_id": oid, "since": since, "run_id": run_id, "reason": reason, "interrupted": interrupted,
                  "updated_at": now} for oid in outlet_ids}
    with db.session() as s:
        _upsert(s, table_of(IncompleteOutlet).c.outlet_id, rows,
                merge=lambda row, stored: {**row, "since": min(stored.since, since)})


def interrupted_outlets(db: Database) -> set[str]:
    """Incomplete outlets whose run was cut short (not one that finished with errors)."""
    with db.sessions() as s:
        return set(s.scalars(select(IncompleteOutlet.outlet_id).where(IncompleteOutlet.interrupted.is_(True))))


def mark_complete(db: Database, outlet_ids: str | Iterable[str], run_id: int | None, *, any_run: bool = False) -> set[str]:
    """The run `run_id` finished these outlets' work: forget their incompleteness, unless another
    run took an outlet over since (its own end decides). `any_run`: a Redis worker, which judged
    the whole tick from the shared ledger. One statement; returns the outlets forgotten."""
    ids = [outlet_ids] if isinstance(outlet_ids, str) else list(dict.fromkeys(outlet_ids))
    table = table_of(IncompleteOutlet)
    done: set[str] = set()
    with db.session() as s:
        for i in range(0, len(ids), _CHUNK):
            stmt = delete(table).where(table.c.outlet_id.in_(ids[i : i + _CHUNK]))
            if not any_run:
                stmt = stmt.where(table.c.run_id.is_(None) if run_id is None else table.c.run_id == run_id)
            done.update(s.execute(stmt.returning(table.c.outlet_id)).scalars())
    return done


def stored_before(db: Database, keys: list[str], when: datetime) -> set[str]:
    """The keys among these whose article was first stored before `when`."""
    found: set[str] = set()
    with db.sessions() as s:
        for i in range(0, len(keys), _CHUNK):
            found.update(s.scalars(
                select(ArticleUrl.url_key).join(Article, Article.id == ArticleUrl.article_id)
                .where(ArticleUrl.url_key.in_(keys[i : i + _CHUNK]), Article.first_seen_at < when)))
    return found


def process_alive(pid: int) -> bool:
    """Whether a process of this host still runs (a run record's pid, read by status and the next crawl)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def crawl_span(db: Database, outlet_ids: Iterable[str]) -> dict[str, tuple[datetime, datetime]]:
    """When each of these outlets' first and last recorded crawls started (outlets never crawled
    are left out).

    Two index seeks per outlet on `ix_outlet_runs_outlet_started`, not a scan of `outlet_runs`:
    the table grows by one row per outlet per tick (about a million a day at 3,000 outlets every
    5 minutes), and a scheduler tick asks this every time, so its cost must not grow with it."""
    ids = sorted(set(outlet_ids))
    out: dict[str, tuple[datetime, datetime]] = {}
    with db.sessions() as s:
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            params = {f"o{n}": oid for n, oid in enumerate(chunk)}
            for oid, lo, hi in s.execute(crawl_span_statement(len(chunk)), params):
                if lo is not None and hi is not None:
                    out[oid] = (_utc(lo), _utc(hi))
    return out


@functools.cache
def crawl_span_statement(size: int) -> TextualSelect:
    """(outlet, first start, last start) for `size` outlets bound as :o0, :o1, …: a constant table
    of the ids, and per id a correlated min() and max() that the (outlet_id, started_at) index
    answers in one seek. Text, one statement per size: a VALUES list of bound ids is a statement
    SQLAlchemy cannot cache, and rendering 3,000 of them again cost each tick 0.2 s."""
    rows = ", ".join(f"(:o{n})" for n in range(size))
    return text(
        f"WITH wanted(outlet_id) AS (VALUES {rows}) SELECT wanted.outlet_id, "
        "(SELECT min(started_at) FROM outlet_runs WHERE outlet_runs.outlet_id = wanted.outlet_id), "
        "(SELECT max(started_at) FROM outlet_runs WHERE outlet_runs.outlet_id = wanted.outlet_id) FROM wanted"
    ).columns(column("outlet_id", String), column("first", UTCDateTime()), column("last", UTCDateTime()))


def _utc(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)



def first_copies_by_hour(db: Database, since: datetime, backlog: timedelta, scale: float = 1.0,
                         offset: float = 0.0) -> dict[tuple[str, int], int]:
    """How many stories each outlet brought first, per UTC hour of the day they were first seen:
    {(outlet, hour): count}, over the articles first seen since `since` (as stored).

    Counted in the database, one row per outlet and hour coming back, not one per article: the
    adaptive cadence asks at every tick, and 14 days at 3,000 outlets are ~400,000 articles.
    - A first crawl's backlog is left out: an article first seen more than `backlog` after its
      publication.
    - Of the copies of one story only the first counts: the earliest published (else first seen),
      then the first seen (cadence.first_copies, in Python, is the same rule).
    - First-seen times are read as `scale * t + offset` (epoch seconds): the bench's compressed
      clock (crawler.schedule.simclock); 1 and 0 read them as stored.
    """
    with db.sessions() as s:
        query = first_copies_query(db.is_postgres, since, backlog, scale, offset)
        return {(oid, int(h)): int(n) for oid, h, n in s.execute(query)}


def first_copies_query(postgres: bool, since: datetime, backlog: timedelta, scale: float = 1.0,
                       offset: float = 0.0) -> Select[Any]:
    """(outlet, hour, count) of `first_copies_by_hour`, read from the covering index
    ix_articles_history alone (no article row is visited)."""

    def epoch(col: Any) -> Any:
        return func.extract("epoch", col) if postgres else (func.julianday(col) - 2440587.5) * 86400.0

    first = epoch(Article.first_seen_at) * scale + offset
    published = epoch(Article.published_at)
    # story_id + 0: the window below would otherwise walk ix_articles_story_id, visiting every
    # article's row in story order, instead of the range of the covering index
    fresh = (select(Article.outlet_id, (Article.story_id + 0).label("story_id"), first.label("first"),
                    published.label("published"))
             .where(Article.first_seen_at >= since,
                    or_(Article.published_at.is_(None), first - published <= backlog.total_seconds()))
             .cte("fresh"))
    rank = func.row_number().over(partition_by=fresh.c.story_id,
                                  order_by=(func.coalesce(fresh.c.published, fresh.c.first), fresh.c.first))
    ranked = select(fresh.c.outlet_id, fresh.c.story_id, fresh.c.first, rank.label("rank")).cte("ranked")
    hours = ranked.c.first / 3600.0
    whole = cast(func.floor(hours), BigInteger) if postgres else cast(hours, BigInteger)  # SQLite truncates: > 0 here
    return (select(ranked.c.outlet_id, (whole % 24).label("hour"), func.count())
            .where(or_(ranked.c.story_id.is_(None), ranked.c.rank == 1))
            .group_by(ranked.c.outlet_id, "hour"))
