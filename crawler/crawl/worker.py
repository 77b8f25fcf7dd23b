"""`newswatch worker`: a long-lived Scrapy process consuming the shared Redis queue.

The worker never closes on idle (like scrapy-redis's `RedisSpider`); SIGTERM/SIGINT close it
through Scrapy's graceful shutdown: requests in flight finish, the queue stays in Redis.

Run records: a worker leaves one `runs` row (kind "crawl") per busy period — from the end of the
last idle to the next idle (or shutdown) — with one `outlet_runs` row per outlet it worked on in
that period, so health checks and `newswatch status` see the same per-outlet figures as with
`newswatch crawl`. A period with no work leaves no row. A SIGKILLed worker's open run is closed as
aborted by the next worker (or crawl) starting on the same host.

Feed/list validators (ETag, Last-Modified) are saved at a period's end only for outlets whose
discovered articles are all stored (across workers: the tick ledger); otherwise the outlet is
recorded incomplete in the store, as `newswatch crawl` does (crawler/crawl/extensions.py), and
the next enqueue reads its feed without validators and its lists deep.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess

from crawler.crawl.extensions import RunRecorder, close_stale_runs
from crawler.crawl.project import project_settings, quiet_collector
from crawler.crawl.queue import redis_settings
from crawler.monitor.sentry import init_sentry
from crawler.store import crawlstate
from crawler.store.models import Run
from spiders.worker import WorkerSpider


class WorkerRunRecorder(RunRecorder):
    """RunRecorder closing a run at every idle after work, and at shutdown."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> WorkerRunRecorder:
        ext: WorkerRunRecorder = super().from_crawler(crawler)  # type: ignore[assignment]
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        return ext

    def _active_outlets(self) -> list[str]:
        stats = self.crawler.stats.get_stats()
        return sorted({k.split("/")[1] for k in stats if k.startswith("outlet/")} | set(self.ctx.tally))

    def spider_idle(self, spider: Any) -> None:
        if self._active_outlets():
            self._close_period("finished")
            self._open_period()

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self._active_outlets():
            self._close_period(reason)
        else:
            self._drop_empty_run()

    def _drop_empty_run(self) -> None:
        """The period opened at the last idle saw no work: it leaves no row."""
        with self.ctx.db.session() as s:
            run = s.get(Run, self.ctx.run_id)
            if run is not None:
                s.delete(run)

    def _close_period(self, reason: str) -> None:
        self._withheld = self._unfinished_outlets(self.crawler.spider)
        outlets = [SimpleNamespace(id=o) for o in self._active_outlets()]
        super().spider_closed(SimpleNamespace(outlets=outlets), reason)
        stats = self.crawler.stats
        stats.set_stats({k: v for k, v in stats.get_stats().items() if not k.startswith("outlet/")})
        self.ctx.tally.clear()
        self.ctx.pending_validators.clear()

    def _unfinished_outlets(self, spider: Any) -> dict[str, int]:
        """A feed's ETag is saved only once every article it listed is stored.

        Another worker may have popped some of those article requests and died with them: had
        we saved the validator, the next tick would get a 304 and never see them again.
        """
        out: dict[str, int] = {}
        if not isinstance(spider, WorkerSpider):
            return out
        for oid in set(self.ctx.pending_validators) | set(self._active_outlets()):
            wanted = sorted(spider.discovered_keys(oid) | spider.ledger(oid, "wanted"))
            missing = len(wanted) - len(crawlstate.seen_keys(self.ctx.db, wanted))
            missing += len(spider.ledger(oid, "pages_wanted") - spider.ledger(oid, "pages_done"))
            if missing:
                self.ctx.count(oid, "validators/withheld_unstored", missing)
                out[oid] = missing
        return out

    def unfinished_work(self, outlet_id: str, reason: str) -> str:
        """The tick ledger (every worker's requests), not this worker's own discoveries, decides."""
        if reason != "finished":
            return f"the worker stopped: {reason}"
        if getattr(self, "_withheld", {}).get(outlet_id):
            return f"{self._withheld[outlet_id]} wanted articles or pages of the tick not done yet"
        if self.ctx.tally[outlet_id].errors:
            return f"{self.ctx.tally[outlet_id].errors} error(s)"
        return ""

    def complete(self, outlet_ids: list[str]) -> None:
        crawlstate.mark_complete(self.ctx.db, outlet_ids, None, any_run=True)

    def _open_period(self) -> None:
        self.ctx.started_at = datetime.now(UTC)
        host = socket.gethostname()
        close_stale_runs(self.ctx.db, host)
        with self.ctx.db.session() as s:
            run = Run(kind="crawl", started_at=self.ctx.started_at, pid=os.getpid(), host=host,
                      seed=self.ctx.seed)
            s.add(run)
            s.flush()
            self.ctx.run_id = run.id

    def spider_opened(self, spider: Any) -> None:
        self._open_period()


def worker_settings(overrides: dict[str, Any] | None = None) -> Any:
    settings = project_settings({**redis_settings(), **(overrides or {})})
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions.pop("crawler.crawl.extensions.RunRecorder", None)
    extensions["crawler.crawl.worker.WorkerRunRecorder"] = 500
    settings.set("EXTENSIONS", extensions, priority="cmdline")
    return settings


def run_worker(overrides: dict[str, Any] | None = None) -> int:
    """Consume the shared queue until SIGTERM/SIGINT; 0 after a clean stop."""
    init_sentry("worker")
    process = CrawlerProcess(worker_settings(overrides))
    crawler = process.create_crawler(WorkerSpider)
    process.crawl(crawler)
    quiet_collector()
    process.start()
    reason = (crawler.stats.get_value("finish_reason") if crawler.stats else None) or ""
    return 0 if reason in ("shutdown", "finished") else 1
