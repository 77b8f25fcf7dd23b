"""The revisit policy (DESIGN.md "Revisits"): when a stored article is fetched again.

1. Its feed or list entry changed: the title reads differently, or the entry's date moved
   forward. A list's shortened headline ("…") against the feed's full one is not a change, nor a
   date shown to the minute against one to the second: both kinds of entry name one article,
   and mistaking that for an edit would refetch the same articles on every tick.
2. It matched a watchlist, is younger than `NEWSWATCH_REVISIT_MAX_AGE_HOURS` (48) and was last
   fetched more than `NEWSWATCH_REVISIT_EVERY_HOURS` (6) ago: a conditional GET
   (If-Modified-Since: the last fetch), at most `NEWSWATCH_REVISITS_PER_OUTLET` (1) per outlet
   per tick, so a quiet tick stays within its request budget.

Either way the page goes through the normal pipeline: unchanged (same body hash, or 304) only
moves the article's fetch time on; changed becomes a new version, re-matched (dedupe layer 2,
`crawler/dedupe/revisions.py` decides whether that mails again).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from crawler.dedupe.stories import fold
from crawler.extract.dates import parse_korean_datetime
from crawler.extract.discovery import Entry, feed_date
from crawler.store.crawlstate import StoredEntry

_ELLIPSES = ("…", "...", "⋯")


def _title_key(title: str) -> str:
    text = title.strip()
    for mark in _ELLIPSES:
        text = text.removesuffix(mark)
    return "".join(fold(text).split())


def _date(text: str) -> datetime | None:
    return feed_date(text) or parse_korean_datetime(text) if text else None


def entry_changed(stored: StoredEntry, entry: Entry) -> str:
    """Why this entry says the stored article changed ("" when it does not, or cannot tell)."""
    old, new = _title_key(stored.title), _title_key(entry.title)
    if old and new and not (old.startswith(new) or new.startswith(old)):
        return "title"
    before, after = _date(stored.modified), _date(entry.modified)
    try:
        if before and after and after - before >= timedelta(minutes=1):
            return "modified"
    except TypeError:  # one side without a time zone: cannot tell
        pass
    return ""
