"""The run recorder: every crawl leaves a `runs` row and one `outlet_runs` row per outlet.

It also keeps outlets honest about being done (issue 16): every outlet of a run is recorded as
incomplete when the run opens, and only an outlet whose discovered articles were all stored (or
dropped for a reason a retry cannot change), with no error, in a run that ended `finished`, is
cleared and gets its feed/list validators saved. Anything else — SIGTERM, the scheduler's timeout,
a database error, a kill -9 that never reaches `spider_closed` — leaves the row, and the next run
of that outlet (single process, scheduler tick or Redis worker: all go through OutletSpider)
reads its feed without validators and pages its lists back past the gap (spiders/base.py).
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime
from typing import Any

import sentry_sdk
from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy import select

from crawler.crawl.context import CrawlContext
from crawler.families import article_key
from crawler.monitor.sentry import SHUTDOWN_TIMEOUT, capture_outlet_error, dsn_from_env, init_sentry
from crawler.store import crawlstate
from crawler.store.crawlstate import process_alive
from crawler.store.models import OutletRun, Run

_COLUMNS = {"requests": "requests", "articles/new": "new_articles", "articles/updated": "updated_articles",
            "matches": "matches", "robots_blocked": "robots_blocked", "extract/fallback": "fallbacks"}


def outlet_stats(stats: dict[str, Any], outlet_id: str) -> dict[str, Any]:
    """The `outlet/<id>/…` stats of one outlet, without the prefix."""
    prefix = f"outlet/{outlet_id}/"
    return {k[len(prefix):]: v for k, v in stats.items() if k.startswith(prefix)}


def stats_by_outlet(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every outlet's `outlet/<id>/…` stats in one pass (outlet_stats per outlet is outlets × keys:
    minutes for a 3,000-outlet crawl's ~60,000 keys)."""
    grouped: dict[str, dict[str, Any]] = {}
    for key, value in stats.items():
        if key.startswith("outlet/"):
            outlet_id, sep, rest = key[len("outlet/"):].partition("/")
            if sep:
                grouped.setdefault(outlet_id, {})[rest] = value
    return grouped


def close_stale_runs(db: Any, host: str) -> int:
    """Runs left 'running' by a process on this host that no longer exists are closed as aborted."""
    closed = 0
    with db.session() as s:
        for run in s.scalars(select(Run).where(Run.status == "running", Run.host == host)):
            if run.pid and not process_alive(run.pid):
                run.status, run.finish_reason, run.finished_at = "aborted", "process ended without closing the run", datetime.now(UTC)
                closed += 1
    return closed


class RunRecorder:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.ctx = CrawlContext.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunRecorder:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        crawler.signals.connect(ext.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        return ext

    def spider_error(self, failure: Any, response: Any = None, spider: Any = None) -> None:
        """A callback raised (e.g. the database went away during a seen-check): what that page
        listed is lost work — an outlet error, the outlet incomplete."""
        oid = response.meta.get("outlet") if response is not None and response.request is not None else None
        if oid:
            self.ctx.tally[oid].errors += 1
            self.ctx.count(oid, f"errors/callback_{type(failure.value).__name__}")

    def request_dropped(self, request: Any, spider: Any = None) -> None:
        """A request the scheduler refused (the duplicate filter): lost work when it was an article
        never stored — a redirect to itself or a loop comes back here as a duplicate."""
        oid = request.meta.get("outlet")
        if not oid or request.meta.get("kind") != "article":
            return

        outlet = self.ctx.registry.get(oid)
        first = (request.meta.get("redirect_urls") or [request.url])[0]
        key = article_key(first, outlet.family if outlet else "generic")
        if crawlstate.seen_keys(self.ctx.db, [key]):
            return
        reason = "redirect_loop" if request.meta.get("redirect_urls") else "duplicate_filtered"
        self.ctx.tally[oid].errors += 1
        self.ctx.count(oid, f"errors/{reason}")
        self.crawler.spider.logger.error("outlet %s: %s was never stored (%s) — an outlet error; the next run "
                                         "requests it again", oid, first, reason.replace("_", " "))

    def item_dropped(self, item: Any, response: Any = None, exception: Any = None, spider: Any = None) -> None:
        """A pipeline dropped the article for a reason about its content (no body, not an article,
        unchanged): fetching it again gives the same answer, so it needs no store."""
        oid, url = getattr(item, "outlet_id", None), getattr(item, "request_url", None)
        if oid and url:
            self.ctx.settled[oid].add(article_key(url, getattr(item, "family", "generic")))

    def item_error(self, item: Any, response: Any = None, spider: Any = None, failure: Any = None) -> None:
        """A pipeline raised (not DropItem): a retry may succeed, so the article is lost work. The
        store pipeline counts its own failures; everything else is counted here."""
        oid = getattr(item, "outlet_id", None)
        if not oid or (failure is not None and type(failure.value).__name__ == "StoreFailed"):
            return
        self.ctx.tally[oid].errors += 1
        self.ctx.count(oid, f"errors/pipeline_{type(failure.value).__name__ if failure is not None else 'error'}")

    def engine_stopped(self) -> None:
        self.ctx.close()

    def spider_opened(self, spider: Any) -> None:
        host = socket.gethostname()
        close_stale_runs(self.ctx.db, host)
        with self.ctx.db.session() as s:
            run = Run(kind="crawl", started_at=self.ctx.started_at, pid=os.getpid(), host=host, seed=self.ctx.seed)
            s.add(run)
            s.flush()
            self.ctx.run_id = run.id
        self.begin_outlets([o.id for o in getattr(spider, "outlets", [])])

    def begin_outlets(self, outlet_ids: list[str]) -> None:
        """Record this run's outlets as incomplete until it proves otherwise (a kill -9 leaves them so),
        after reading which were incomplete already (those are read deep in this run)."""
        _ = self.ctx.incomplete
        crawlstate.mark_incomplete(self.ctx.db, outlet_ids, since=self.ctx.started_at, run_id=self.ctx.run_id,
                            reason=f"run {self.ctx.run_id} (pid {os.getpid()}) has not finished")

    def unfinished_work(self, outlet_id: str, reason: str) -> str:
        """Why this outlet's work in this run is not done ("" when it is)."""
        if reason != "finished":
            return f"the run ended: {reason}"
        tally = self.ctx.tally[outlet_id]
        found = self.ctx.discovered.get(outlet_id, set()) - self.ctx.settled.get(outlet_id, set())
        missing = len(found) - len(crawlstate.seen_keys(self.ctx.db, sorted(found))) if found else 0
        if missing:  # an error of its own only when nothing else counted the loss already
            self.ctx.count(outlet_id, "unstored" if tally.errors else "errors/unstored", missing)
            tally.errors = tally.errors or missing
        if tally.errors:
            stats = outlet_stats(self.crawler.stats.get_stats(), outlet_id)
            why = ", ".join(f"{k[len('errors/'):]} {v}" for k, v in sorted(stats.items()) if k.startswith("errors/"))
            return f"{tally.errors} error(s): {why or 'see the log'}"
        return ""

    def settle_outlets(self, outlet_ids: list[str], reason: str) -> dict[str, str]:
        """Validators saved and incompleteness cleared for the outlets whose work is done; the
        others stay incomplete with the reason. Returns {outlet: why not done}."""
        pending: dict[str, str] = {}
        done: list[str] = []
        for oid in outlet_ids:
            why = self.unfinished_work(oid, reason)
            if why:
                pending[oid] = why
                self.ctx.count(oid, "incomplete", 1)
                crawlstate.mark_incomplete(self.ctx.db, [oid], since=self.ctx.started_at, run_id=self.ctx.run_id,
                                    reason=f"run {self.ctx.run_id}: {why}", interrupted=reason != "finished")
            else:
                done.append(oid)
        # all done outlets at once (a tick's end over 3,000 outlets: two statements, not 6,000
        # transactions); validators first, so a death in between leaves the outlets read deep
        crawlstate.save_validators(self.ctx.db, [v for oid in done for v in self.ctx.pending_validators.get(oid, [])])
        self.complete(done)
        return pending

    def complete(self, outlet_ids: list[str]) -> None:
        """This run's work for these outlets is done (another run that took one over decides for itself)."""
        crawlstate.mark_complete(self.ctx.db, outlet_ids, self.ctx.run_id)

    def spider_closed(self, spider: Any, reason: str) -> None:
        outlets = [o.id for o in getattr(spider, "outlets", [])]
        incomplete = self.settle_outlets(outlets, reason)
        stats = self.crawler.stats.get_stats()
        now = datetime.now(UTC)
        with self.ctx.db.session() as s:
            run = s.get(Run, self.ctx.run_id)
            if run is None:
                return
            run.finished_at, run.finish_reason = now, reason
            run.status = "finished" if reason == "finished" else "aborted"
            grouped = stats_by_outlet(stats)
            for outlet_id in outlets:
                own = grouped.get(outlet_id, {})
                row = OutletRun(run_id=run.id, outlet_id=outlet_id, started_at=self.ctx.started_at,
                                finished_at=now,
                                finish_reason=reason if outlet_id not in incomplete
                                else f"{reason}; incomplete: {incomplete[outlet_id]}",
                                errors=self.ctx.tally[outlet_id].errors,
                                stats={k: v for k, v in own.items() if isinstance(v, int | float | str)})
                for key, column in _COLUMNS.items():
                    setattr(row, column, int(own.get(key, 0)))
                row.items = int(own.get("articles/new", 0) + own.get("articles/updated", 0)
                                + sum(v for k, v in own.items() if k.startswith("dropped/")))
                s.add(row)


class SentryErrors:
    """Reports spider callback and pipeline errors to Sentry with the outlet as tag and fingerprint."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    @classmethod
    def from_crawler(cls, crawler: Any) -> SentryErrors:
        dsn = (crawler.settings.get("SENTRY_DSN") or dsn_from_env()).strip()
        if not dsn:
            # a bare NotConfigured: Scrapy logs a message-carrying one at WARNING, and cron
            # (`crawl -q`) would then mail every run
            logging.getLogger(__name__).info("SENTRY_DSN is not set; errors are only logged")
            raise NotConfigured
        init_sentry("crawl", dsn)
        ext = cls(dsn)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_error(self, failure: Any, response: Any, spider: Any) -> None:
        outlet = _meta_outlet(response)
        capture_outlet_error(failure.value, outlet, "spider", getattr(response, "url", None))

    def item_error(self, item: Any, response: Any, spider: Any, failure: Any) -> None:
        outlet = getattr(item, "outlet_id", None) or _meta_outlet(response)
        capture_outlet_error(failure.value, outlet, "pipeline", getattr(item, "url", None))

    def spider_closed(self, spider: Any, reason: str) -> None:
        sentry_sdk.flush(timeout=SHUTDOWN_TIMEOUT)


def _meta_outlet(response: Any) -> str:
    try:
        return str(response.meta.get("outlet") or "?")
    except (AttributeError, ValueError):  # a response without a request has no meta
        return "?"
