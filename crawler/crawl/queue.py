"""The shared Redis queue of a scaled-out deployment: its keys, its connection, the request meta
that ties a request to its tick, and the tick ledger in which workers note what they did.

Light on purpose (no Scrapy): the due check asks it on every tick. `crawler.crawl.scaleout`
enqueues; `newswatch worker` (spiders.worker) consumes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from crawler.config import settings

TICK_META = "nw_tick"  # request meta: the tick whose discovery a request belongs to
PAGE_META = "nw_page"  # request meta: a list/sitemap page's URL as the ledger knows it
PAGE_KINDS = ("list", "sitemap")
DUPEFILTER_TTL_S = 24 * 3600  # a tick's duplicate filter outlives any tick, then expires



def redis_url() -> str:
    """`NEWSWATCH_REDIS_URL`, or "" when this deployment runs without Redis."""
    return settings().redis_url


def redis_prefix() -> str:
    return settings().redis_prefix


def keys(prefix: str | None = None) -> dict[str, str]:
    """The Redis keys of one deployment."""
    p = prefix or redis_prefix()
    return {"queue": f"{p}:requests", "dupefilter": f"{p}:dupefilter", "enqueued": f"{p}:enqueued",
            "ledger": f"{p}:ledger", "ticks": f"{p}:ticks"}


def redis_settings(url: str | None = None, prefix: str | None = None) -> dict[str, Any]:
    """The Scrapy settings that put a crawler's scheduler queue and duplicate filter in Redis."""
    k = keys(prefix)
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "DUPEFILTER_CLASS": "spiders.worker.TickDupeFilter",
        "SCHEDULER_PERSIST": True,  # False would flush the shared queue when one worker stops
        "SCHEDULER_QUEUE_KEY": k["queue"],
        "SCHEDULER_DUPEFILTER_KEY": k["dupefilter"],
        "REDIS_URL": url or redis_url(),
    }


def connect(url: str | None = None) -> Any:
    import redis  # optional: loaded only where a deployment uses Redis

    return redis.Redis.from_url(url or redis_url(), socket_timeout=10)


def new_tick() -> str:
    """A tick id: sortable, unique per enqueue."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"


def enqueued_at(prefix: str | None = None) -> dict[str, datetime]:
    """When each outlet's discovery was last enqueued (empty without Redis): the due check adds it
    to the workers' run records, so a tick does not enqueue an outlet the workers have not
    finished yet."""
    if not redis_url():
        return {}
    raw = connect().hgetall(keys(prefix)["enqueued"])
    return {k.decode(): datetime.fromisoformat(v.decode()) for k, v in raw.items()}


def ledger_key(tick: str, outlet_id: str, name: str, prefix: str | None = None) -> str:
    """The Redis set in which workers note what a tick wanted and did for one outlet:
    "wanted" (article keys requested), "pages_wanted" and "pages_done" (list and sitemap page URLs)."""
    return f"{keys(prefix)['ledger']}:{tick}:{outlet_id}:{name}"


def note_pages(requests: Iterable[Any]) -> list[str]:
    """Tag the list and sitemap page requests with their ledger name; returns the names."""
    pages = []
    for request in requests:
        if request.meta.get("kind") in PAGE_KINDS:
            request.meta.setdefault(PAGE_META, request.url)
            pages.append(request.meta[PAGE_META])
    return pages
