"""Scale-out on scrapy-redis: the scheduler only enqueues, `newswatch worker` processes crawl.

With `NEWSWATCH_REDIS_URL` set, a crawl tick (`newswatch crawl`) pushes the discovery requests
(feeds, else list pages) of the due outlets into one shared Redis queue per deployment
(`<prefix>:requests`, prefix `NEWSWATCH_REDIS_PREFIX`, default "newswatch") and records the tick;
any number of workers pop them and do feeds → lists → articles, the seen-check before each
article request and the store into the shared PostgreSQL.

A popped request is gone from Redis (no acknowledgement). A worker killed mid-crawl loses its
in-flight requests; the store, not the queue, is the exactly-once guarantee: the next tick reads
the feeds again and requests every article that is still not stored. For that, the Redis
duplicate filter is scoped to a tick (`<prefix>:dupefilter:<tick>`, expiring): within a tick two
workers never fetch one URL twice, and a URL lost with a killed worker is not filtered next tick.

The queue itself (keys, connection, ledger) is crawler.crawl.queue.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.misc import load_object
from scrapy_redis import picklecompat

from crawler.crawl.project import project_settings
from crawler.crawl.queue import (
    DUPEFILTER_TTL_S,
    connect,
    enqueued_at,
    keys,
    ledger_key,
    new_tick,
    note_pages,
    redis_settings,
)
from crawler.store import crawlstate
from crawler.store.models import Run
from spiders.worker import WorkerSpider


def enqueue(outlet_ids: Iterable[str], overrides: dict[str, Any] | None = None) -> dict[str, int]:
    """Push the discovery requests of these outlets into the shared queue and record the tick.

    Returns the number of requests pushed per outlet.
    """
    ids = list(outlet_ids)
    settings = project_settings({**(overrides or {}), **redis_settings()})
    crawler = _offline_crawler(WorkerSpider, settings, MemoryStatsCollector)
    tick = new_tick()
    spider = WorkerSpider.from_crawler(crawler, outlets=",".join(ids), tick=tick)
    server = connect(settings.get("REDIS_URL"))
    queue = load_object(settings["SCHEDULER_QUEUE_CLASS"])(
        server=server, spider=spider, key=settings["SCHEDULER_QUEUE_KEY"], serializer=picklecompat)
    pushed: dict[str, int] = {}
    try:
        last_ticks = {k.decode(): v.decode() for k, v in server.hgetall(keys()["ticks"]).items()}
        last_enqueued = enqueued_at()
        incomplete = spider.ctx.incomplete  # the store's record, the same as for `newswatch crawl`
        for outlet in spider.outlets:
            if outlet.id in last_ticks and outlet.id not in incomplete:
                missing = unfinished(server, spider.ctx.db, last_ticks[outlet.id], outlet.id)
                if missing:  # a worker died with this outlet's requests before it could say so
                    since = last_enqueued.get(outlet.id, datetime.now(UTC))
                    crawlstate.mark_incomplete(spider.ctx.db, [outlet.id], since=since, run_id=None,
                                        reason=f"tick {last_ticks[outlet.id]}: {missing} wanted articles or "
                                               "pages not done (a worker stopped with them)")
                    incomplete[outlet.id] = since
            # an incomplete outlet's discovery is read deep by the spider itself (spiders/base.py)
            requests = spider.discovery_requests(outlet)
            pages = note_pages(requests)
            if pages:
                key = ledger_key(tick, outlet.id, "pages_wanted")
                server.sadd(key, *pages)
                server.expire(key, DUPEFILTER_TTL_S)
            for request in requests:
                queue.push(request)
            pushed[outlet.id] = len(requests)
        now = datetime.now(UTC).isoformat()
        if pushed:
            server.hset(keys()["enqueued"], mapping={oid: now for oid in pushed})
            server.hset(keys()["ticks"], mapping={oid: tick for oid in pushed})
        _record_tick(spider, tick, pushed)
    finally:
        spider.ctx.close()
        server.close()
    return pushed


def unfinished(server: Any, db: Any, tick: str, outlet_id: str) -> int:
    """How much of an outlet's tick is not done: articles it wanted that are not stored, plus list
    pages it wanted that no worker read.

    The enqueuer asks this itself rather than waiting for a worker to mark the outlet incomplete:
    a worker notices only when it next goes idle, which may be after the next tick.
    """
    def members(name: str) -> set[str]:
        return {m.decode() for m in server.smembers(ledger_key(tick, outlet_id, name))}

    wanted = sorted(members("wanted"))
    missing = len(wanted) - len(crawlstate.seen_keys(db, wanted)) if wanted else 0
    return missing + len(members("pages_wanted") - members("pages_done"))


def _offline_crawler(spidercls: type, settings: Any, stats_cls: type) -> Any:
    """A crawler that never runs: enough for a spider to build its requests."""
    crawler = Crawler(spidercls, settings)
    crawler.stats = stats_cls(crawler)
    return crawler


def _record_tick(spider: Any, tick: str, pushed: dict[str, int]) -> None:
    """A `runs` row of kind "enqueue" (no `outlet_runs`: those are the workers', with their stats)."""
    now = datetime.now(UTC)
    with spider.ctx.db.session() as s:
        s.add(Run(kind="enqueue", started_at=now, finished_at=now, pid=os.getpid(),
                  host=socket.gethostname(), seed=spider.ctx.seed, status="finished",
                  finish_reason=f"enqueued {sum(pushed.values())} requests of {len(pushed)} outlets, tick {tick}"))
