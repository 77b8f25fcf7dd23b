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

This module stays light (no Scrapy import at module level): `due_outlets` asks it on every tick.
"""

from __future__ import annotations

import argparse
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
    import redis

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


def queue_length(prefix: str | None = None) -> int:
    return int(connect().zcard(keys(prefix)["queue"]))


def enqueue(outlet_ids: Iterable[str], overrides: dict[str, Any] | None = None) -> dict[str, int]:
    """Push the discovery requests of these outlets into the shared queue and record the tick.

    Returns the number of requests pushed per outlet.
    """
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy.utils.misc import load_object
    from scrapy_redis import picklecompat

    from crawler.crawl.runner import project_settings
    from spiders.worker import WorkerSpider

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
        from crawler.store import crawlstate

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


def ledger_key(tick: str, outlet_id: str, name: str, prefix: str | None = None) -> str:
    """The Redis set in which workers note what a tick wanted and did for one outlet:
    "wanted" (article keys requested), "pages_wanted" and "pages_done" (list and sitemap page URLs)."""
    return f"{keys(prefix)['ledger']}:{tick}:{outlet_id}:{name}"


def unfinished(server: Any, db: Any, tick: str, outlet_id: str) -> int:
    """How much of an outlet's tick is not done: articles it wanted that are not stored, plus list
    pages it wanted that no worker read.

    The enqueuer asks this itself rather than waiting for a worker to mark the outlet incomplete:
    a worker notices only when it next goes idle, which may be after the next tick.
    """
    from crawler.store import crawlstate

    def members(name: str) -> set[str]:
        return {m.decode() for m in server.smembers(ledger_key(tick, outlet_id, name))}

    wanted = sorted(members("wanted"))
    missing = len(wanted) - len(crawlstate.seen_keys(db, wanted)) if wanted else 0
    return missing + len(members("pages_wanted") - members("pages_done"))


def note_pages(requests: Iterable[Any]) -> list[str]:
    """Tag the list and sitemap page requests with their ledger name; returns the names."""
    pages = []
    for request in requests:
        if request.meta.get("kind") in PAGE_KINDS:
            request.meta.setdefault(PAGE_META, request.url)
            pages.append(request.meta[PAGE_META])
    return pages


def _offline_crawler(spidercls: type, settings: Any, stats_cls: type) -> Any:
    """A crawler that never runs: enough for a spider to build its requests."""
    from scrapy.crawler import Crawler

    crawler = Crawler(spidercls, settings)
    crawler.stats = stats_cls(crawler)
    return crawler


def _record_tick(spider: Any, tick: str, pushed: dict[str, int]) -> None:
    """A `runs` row of kind "enqueue" (no `outlet_runs`: those are the workers', with their stats)."""
    import socket

    from crawler.store.models import Run

    now = datetime.now(UTC)
    with spider.ctx.db.session() as s:
        s.add(Run(kind="enqueue", started_at=now, finished_at=now, pid=os.getpid(),
                  host=socket.gethostname(), seed=spider.ctx.seed, status="finished",
                  finish_reason=f"enqueued {sum(pushed.values())} requests of {len(pushed)} outlets, tick {tick}"))


# --- the `newswatch worker` command ---------------------------------------------------------


def cmd_worker(args: argparse.Namespace) -> int:
    if not redis_url():
        import sys

        sys.stderr.write("newswatch: `newswatch worker` needs NEWSWATCH_REDIS_URL "
                         "(e.g. redis://127.0.0.1:6379/0); without it, `newswatch crawl` crawls in one process\n")
        return 2
    from crawler.crawl.cpu import workers_from_env
    from crawler.crawl.worker import run_worker

    try:  # a bad value stops the worker before it takes anything from the queue
        workers_from_env()
    except ValueError as exc:
        import sys

        sys.stderr.write(f"newswatch: {exc}\n")
        return 2

    overrides: dict[str, Any] = dict(args.set or [])
    if args.quiet:
        overrides.setdefault("LOG_LEVEL", "WARNING")
    return run_worker(overrides)


def register(sub: Any) -> None:
    from crawler.cli import _setting

    w = sub.add_parser(
        "worker", help="a scale-out crawl worker: consume the shared Redis queue until SIGTERM",
        description="Consume the crawl requests that `newswatch crawl` / `newswatch schedule` enqueue "
                    "in Redis (NEWSWATCH_REDIS_URL, keys under NEWSWATCH_REDIS_PREFIX) and store into "
                    "the shared database (NEWSWATCH_DB_URL). Runs while idle; SIGTERM stops it cleanly.")
    w.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")
    w.add_argument("-s", "--set", action="append", type=_setting, metavar="KEY=VALUE",
                   help="override a Scrapy setting (repeatable)")
    w.set_defaults(func=cmd_worker)
