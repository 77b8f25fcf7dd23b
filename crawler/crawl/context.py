"""Everything one crawl needs, built once per Scrapy crawler from its settings.

Spider, middlewares, pipelines and extensions all ask `CrawlContext.of(crawler)`; it lives on
the crawler object (not in module state), so two crawlers in one process never share it.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from crawler import paths
from crawler.crawl.cpu import CpuPool, default_workers, workers_from_env
from crawler.crawl.writer import StoreWriter, WriterState
from crawler.match import Matcher, load_watchlists
from crawler.registry import Outlet, load_registry
from crawler.store import Database, crawlstate
from crawler.store.ingest import StoryCache
from crawler.store.watchdog import watch

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.alert.recipients import Recipients
    from crawler.crawl.cpu import CpuPool
    from crawler.crawl.writer import StoreWriter
    from crawler.match import Matcher


@dataclass
class OutletTally:
    """Per-outlet counts kept while crawling (Scrapy stats hold the same under outlet/<id>/…)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    matches: int = 0
    errors: int = 0
    dropped: Counter[str] = field(default_factory=Counter)


# articles a crawl asks for before it starts its CPU-worker and writer processes: starting both costs
# 2.1 s of CPU (and ~190 MB) while an article's steps inline cost 15.8 ms (`make bench ONLY=crawl`
# with NEWSWATCH_CPU_WORKERS=0), so below ~135 articles inline is the cheaper; the processes buy
# parallelism, which pays in a big crawl (a seed, a backfill), not in a scheduler tick
POOLS_AFTER = 150


class CrawlContext:
    ATTR = "_newswatch_context"

    def __init__(self, crawler: Crawler) -> None:
        s = crawler.settings
        self.crawler = crawler
        self.db_url = s.get("NEWSWATCH_DB_URL") or paths.db_url()
        self.seed = s.getbool("NEWSWATCH_SEED")
        self.recrawl = s.getbool("NEWSWATCH_RECRAWL")
        since = s.get("NEWSWATCH_SINCE") or ""
        self.since = datetime.fromisoformat(since).replace(tzinfo=UTC) if since and "T" not in since else (
            datetime.fromisoformat(since) if since else None)
        self.max_list_pages = s.getint("NEWSWATCH_MAX_LIST_PAGES", 10)
        workers = s.get("NEWSWATCH_CPU_WORKERS")  # a Scrapy setting (tests, bench) before the environment
        self.cpu_workers = int(workers) if workers not in (None, "") else workers_from_env()
        self.outlets_file = s.get("NEWSWATCH_OUTLETS_FILE") or None
        self.started_at = datetime.now(UTC)
        self.tally: defaultdict[str, OutletTally] = defaultdict(OutletTally)
        # validators to save at the end, per outlet, only if the outlet had no errors (nothing lost)
        self.pending_validators: defaultdict[str, list[tuple[str, str | None, str | None]]] = defaultdict(list)
        self.run_id: int | None = None
        # article keys found new in this run, per outlet: requested once, and still "new" for paging
        self.discovered: defaultdict[str, set[str]] = defaultdict(set)
        self.revisited: defaultdict[str, set[int]] = defaultdict(set)  # article ids asked again this run
        # discovered keys that need no store: dropped for a reason a retry cannot change
        self.settled: defaultdict[str, set[str]] = defaultdict(set)
        # article keys each list URL showed on its pages so far (a repeated page ends paging)
        self.list_keys: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
        # what a tick's start reads from the store for all its outlets at once (prefetch): one
        # query per kind instead of three per outlet (~10 ms each: 30 s over 3,000 outlets)
        self._validators: dict[str, tuple[str | None, str | None]] = {}
        self._robots: dict[str, tuple[int, bytes] | None] = {}
        self.revisits: dict[str, list[crawlstate.StoredEntry]] | None = None
        self.articles_requested = 0  # start_workers counts them
        # a Scrapy setting: the scheduler's kept crawl process sets a higher one (crawlserve)
        self.pools_after = s.getint("NEWSWATCH_POOLS_AFTER", POOLS_AFTER)

    def prefetch(self, urls: Iterable[str], netlocs: Iterable[str], robots_max_age: timedelta) -> None:
        """Read the validators of these feed/list URLs and the cached robots.txt of these hosts."""
        urls, netlocs = set(urls), set(netlocs)
        known = crawlstate.validators_many(self.db, urls)
        self._validators.update({u: known.get(u, (None, None)) for u in urls})
        robots = crawlstate.cached_robots_many(self.db, netlocs, robots_max_age)
        self._robots.update({n: robots.get(n) for n in netlocs})

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """The stored ETag and Last-Modified of a feed or list URL (prefetched, else one query)."""
        if url in self._validators:
            return self._validators[url]
        return crawlstate.validators(self.db, url)

    def cached_robots(self, netloc: str, max_age: timedelta) -> tuple[int, bytes] | None:
        """A fresh cached robots.txt of a host (prefetched, else one query)."""
        if netloc in self._robots:
            return self._robots[netloc]
        return crawlstate.cached_robots(self.db, netloc, max_age)

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlContext:
        ctx = getattr(crawler, cls.ATTR, None)
        if ctx is None:
            ctx = cls(crawler)
            setattr(crawler, cls.ATTR, ctx)
        return ctx

    @cached_property
    def db(self) -> Database:
        db = Database.open(self.db_url)
        # a paused database would hold the reactor for ever: the process ends instead (children first)
        self._watchdog = watch(db.engine, what="crawl", before_exit=_kill_children)
        return db

    @cached_property
    def incomplete(self) -> dict[str, datetime]:
        """Outlets whose last crawl did not finish its work (read before this run marks its own):
        their feeds are read without validators and their lists paged back past the gap."""
        return crawlstate.incomplete_outlets(self.db)

    def deep_since(self, outlet_id: str) -> datetime | None:
        """When the interrupted run of an incomplete outlet began (paging goes back to it)."""
        return self.incomplete.get(outlet_id)

    @cached_property
    def registry(self) -> dict[str, Outlet]:
        return load_registry(Path(self.outlets_file) if self.outlets_file else None).by_id()

    @cached_property
    def matchers(self) -> dict[str, Matcher]:
        return {wid: Matcher(w) for wid, w in load_watchlists(paths.watchlists_dir()).items()}

    @cached_property
    def cpu(self) -> CpuPool:
        """The worker pool for extraction, signatures and matching (closed when the spider closes)."""
        workers = default_workers() if self.cpu_workers is None else self.cpu_workers
        return CpuPool(workers, paths.watchlists_dir(), lambda: self.matchers, start=False)

    @cached_property
    def writer(self) -> StoreWriter:
        """Where articles are stored: inline, then a writer process beside the CPU pool once it starts."""
        return StoreWriter(self.db_url, seed=self.seed, process=False, inline=self._inline_writer)

    def _inline_writer(self) -> WriterState:
        # start-up time: the alerting stack (Jinja, holidays) loads where articles are stored — here
        # only without a writer process
        from crawler.alert.onstore import AlertsOnStore

        return WriterState(self.db, AlertsOnStore(self.recipients), self.seed, StoryCache())

    @cached_property
    def recipients(self) -> Recipients:
        from crawler.alert.recipients import load_recipients  # start-up time: see _inline_writer

        return load_recipients()

    def start_workers(self, articles: int = 1) -> None:
        """Count the articles this crawl asks for; at POOLS_AFTER start the CPU pool and the writer
        process (once; the Scrapy setting NEWSWATCH_POOLS_AFTER moves it). Before that every step
        runs inline in this process: a scheduler tick that finds a hundred new articles would spend
        more starting two processes than they save, while a big crawl starts them early enough that
        they spawn, import and build the matchers while its articles download."""
        self.articles_requested += articles
        if self.articles_requested < self.pools_after or self.cpu.started:
            return
        self.cpu.start()
        if self.cpu.started:
            self.writer.to_process()

    def close(self) -> None:
        """Finish the writes under way, stop the worker pool (if one was started), release the database."""
        if "writer" in self.__dict__:
            self.writer.close()
        if "cpu" in self.__dict__:
            self.cpu.close()
        if "db" in self.__dict__:
            self._watchdog.stop()
            self.db.close()

    def count(self, outlet_id: str, key: str, n: int = 1) -> None:
        """Increment a per-outlet stat (outlet/<id>/<key>) in the crawler's stats."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"outlet/{outlet_id}/{key}", n)


def _kill_children() -> None:
    """The writer and CPU pool processes (spawned by multiprocessing) end with the crawl's."""
    for child in multiprocessing.active_children():
        child.kill()
