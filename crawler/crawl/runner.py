"""One crawl in this process: the due (or named) outlets together, one crawler, a slot per outlet.

Scrapy's reactor cannot restart inside a process: a one-shot `newswatch crawl` runs one crawl
(`run_crawl`) and ends; the crawl process the scheduler keeps between ticks
(crawler.commands.crawlserve) runs one crawl after another in its reactor with the same settings
(`crawl_settings`) and figures (`summarize`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scrapy.crawler import CrawlerProcess

from crawler.crawl.context import CrawlContext
from crawler.crawl.extensions import stats_by_outlet
from crawler.crawl.project import project_settings, quiet_collector
from crawler.crawl.queue import enqueued_at, redis_url
from crawler.registry import Outlet
from crawler.schedule.cadence import due_now
from crawler.store import Database
from spiders.base import OutletSpider


def due_outlets(db: Database, outlets: Iterable[Outlet], now: datetime | None = None) -> list[Outlet]:
    """The outlets a tick crawls now (cadence.due_now); in Redis mode an outlet enqueued for the
    workers counts as started."""
    return due_now(db, outlets, now, enqueued_at())


@dataclass
class CrawlSummary:
    outlets: list[str]
    per_outlet: dict[str, dict[str, Any]] = field(default_factory=dict)
    finish_reason: str = ""
    enqueued: bool = False  # Redis mode: the requests went to the shared queue, workers crawl

    @property
    def totals(self) -> dict[str, int]:
        keys = ("requests", "new", "updated", "matches", "errors")
        return {k: sum(int(v.get(k, 0)) for v in self.per_outlet.values()) for k in keys}


def run_crawl(outlet_ids: list[str], overrides: dict[str, Any] | None = None) -> CrawlSummary:
    """Crawl these outlets in this process and return per-outlet figures.

    With NEWSWATCH_REDIS_URL set, only enqueue their discovery requests for `newswatch worker`s.
    """
    if redis_url():
        return enqueue_crawl(outlet_ids, overrides)
    process = CrawlerProcess(crawl_settings(outlet_ids, overrides))
    crawler = process.create_crawler(OutletSpider)
    process.crawl(crawler, outlets=",".join(outlet_ids))
    quiet_collector()
    process.start()
    return summarize(crawler, outlet_ids)


def crawl_settings(outlet_ids: list[str], overrides: dict[str, Any] | None = None) -> Any:
    """The Scrapy settings of a crawl of these outlets: they decide whether its crawler renders
    JS (OutletSpider.update_settings)."""
    return project_settings({"NEWSWATCH_CRAWL_OUTLETS": list(outlet_ids), **(overrides or {})})


def summarize(crawler: Any, outlet_ids: list[str]) -> CrawlSummary:
    """Per-outlet figures of a finished crawl."""
    result = CrawlSummary(outlets=list(outlet_ids))
    stats = crawler.stats.get_stats() if crawler.stats else {}
    result.finish_reason = str(stats.get("finish_reason", ""))
    ctx = CrawlContext.of(crawler)
    grouped = stats_by_outlet(stats)
    for oid in outlet_ids:
        own = grouped.get(oid, {})
        tally = ctx.tally[oid]
        result.per_outlet[oid] = {
            "requests": own.get("requests", 0), "new": tally.new, "updated": tally.updated,
            "matches": tally.matches, "errors": tally.errors, "dropped": dict(tally.dropped),
            "not_modified": own.get("feed/not_modified", 0) + own.get("list/not_modified", 0),
        }
    return result


def enqueue_crawl(outlet_ids: list[str], overrides: dict[str, Any] | None = None) -> CrawlSummary:
    """Redis mode: push the outlets' discovery requests to the shared queue (scaleout.enqueue)."""
    from crawler.crawl.scaleout import enqueue  # optional: scrapy-redis loads in Redis mode only

    pushed = enqueue(outlet_ids, overrides)
    rows = {oid: {"requests": n, "new": 0, "updated": 0, "matches": 0, "errors": 0,
                  "dropped": {}, "not_modified": 0} for oid, n in pushed.items()}
    return CrawlSummary(outlets=list(outlet_ids), per_outlet=rows, finish_reason="finished", enqueued=True)
