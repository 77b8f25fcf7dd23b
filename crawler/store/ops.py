"""Store operations the crawl needs: seen checks before a request, HTTP validators, robots cache."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from crawler.store.db import Database
from crawler.store.models import ArticleUrl, HttpValidator, RobotsCache

_CHUNK = 500


def seen_keys(db: Database, keys: list[str]) -> set[str]:
    """The article keys already stored (one indexed query per 500 keys)."""
    found: set[str] = set()
    with db.sessions() as s:
        for i in range(0, len(keys), _CHUNK):
            chunk = keys[i : i + _CHUNK]
            found.update(s.scalars(select(ArticleUrl.url_key).where(ArticleUrl.url_key.in_(chunk))))
    return found


def validators(db: Database, url: str) -> tuple[str | None, str | None]:
    """The ETag and Last-Modified stored for a feed or list URL."""
    with db.sessions() as s:
        row = s.get(HttpValidator, url)
        return (row.etag, row.last_modified) if row else (None, None)


def save_validators(db: Database, rows: Iterable[tuple[str, str | None, str | None]]) -> None:
    now = datetime.now(UTC)
    with db.session() as s:
        for url, etag, modified in rows:
            row = s.get(HttpValidator, url)
            if row is None:
                s.add(HttpValidator(url=url, etag=etag, last_modified=modified, checked_at=now))
            else:
                row.etag, row.last_modified, row.checked_at = etag, modified, now


def cached_robots(db: Database, netloc: str, max_age: timedelta) -> tuple[int, bytes] | None:
    """A robots.txt fetched less than `max_age` ago, as (status, body)."""
    with db.sessions() as s:
        row = s.get(RobotsCache, netloc)
        if row is None or datetime.now(UTC) - row.fetched_at > max_age:
            return None
        return row.status, row.body


def save_robots(db: Database, netloc: str, status: int, body: bytes) -> None:
    with db.session() as s:
        row = s.get(RobotsCache, netloc)
        if row is None:
            s.add(RobotsCache(netloc=netloc, status=status, body=body, fetched_at=datetime.now(UTC)))
        else:
            row.status, row.body, row.fetched_at = status, body, datetime.now(UTC)
