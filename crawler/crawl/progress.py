"""Progress of a crawl on a terminal: outlets done/left, articles, matches, every few seconds.

Enabled with `NEWSWATCH_PROGRESS` = "auto" (default: only when stderr is a terminal, so cron
stays quiet), "always" or "never"; `NEWSWATCH_PROGRESS_INTERVAL` seconds between lines (5).
An outlet is done once every request it scheduled has left the downloader (or was dropped or
blocked by robots.txt) and its responses are through the callbacks and item pipelines; outlets whose first request has not been scheduled yet count as left.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO

from scrapy import signals
from scrapy.exceptions import NotConfigured

MODES = ("auto", "always", "never")


@dataclass(frozen=True)
class Progress:
    outlets: int
    done: int
    new: int
    updated: int
    matches: int
    requests: int
    errors: int
    elapsed: float

    @property
    def left(self) -> int:
        return self.outlets - self.done

    def line(self) -> str:
        minutes, seconds = divmod(int(self.elapsed), 60)
        errors = f" · {self.errors} errors" if self.errors else ""
        return (f"progress {minutes}:{seconds:02d} · outlets {self.done}/{self.outlets} done, {self.left} left"
                f" · articles {self.new} new, {self.updated} updated · matches {self.matches}"
                f" · requests {self.requests}{errors}")


class CrawlProgress:
    """A Scrapy extension; `from_crawler` raises NotConfigured when progress should stay quiet."""

    def __init__(self, crawler: Any, interval: float, stream: TextIO) -> None:
        self.crawler, self.interval, self.stream = crawler, interval, stream
        self.outlet_ids: list[str] = []
        self.inflight: dict[int, str] = {}  # id(request) -> outlet, scheduled and not yet out
        self.started: set[str] = set()
        self.started_at = time.monotonic()
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlProgress:
        mode = str(crawler.settings.get("NEWSWATCH_PROGRESS") or "auto").strip().lower()
        if mode not in MODES:
            raise NotConfigured(f"NEWSWATCH_PROGRESS={mode!r}: use one of {', '.join(MODES)}")
        stream = sys.stderr
        if mode == "never" or (mode == "auto" and not _is_tty(stream)):
            # bare: a message would make Scrapy warn on every quiet cron run
            logging.getLogger(__name__).info("progress is shown on a terminal only (NEWSWATCH_PROGRESS=always forces it)")
            raise NotConfigured
        ext = cls(crawler, max(0.5, crawler.settings.getfloat("NEWSWATCH_PROGRESS_INTERVAL", 5.0)), stream)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(ext.request_finished, signal=signals.request_dropped)
        crawler.signals.connect(ext.request_finished, signal=signals.request_left_downloader)
        return ext

    # --- signals ---------------------------------------------------------------------------

    def spider_opened(self, spider: Any) -> None:
        from twisted.internet import task  # reactor: imported once Scrapy has installed its reactor

        self.outlet_ids = [o.id for o in getattr(spider, "outlets", [])]
        self.started_at = time.monotonic()
        self.task = task.LoopingCall(self.report)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider: Any, reason: str = "finished") -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        self.inflight.clear()
        self.started.update(self.outlet_ids)  # the crawl is over: every outlet is done
        self.report(suffix=f" · {reason}")

    def request_scheduled(self, request: Any, spider: Any = None) -> None:
        outlet = request.meta.get("outlet")
        if outlet:
            self.inflight[id(request)] = outlet
            self.started.add(outlet)

    def request_finished(self, request: Any, spider: Any = None) -> None:
        self.inflight.pop(id(request), None)

    # --- reporting -------------------------------------------------------------------------

    def snapshot(self) -> Progress:
        stats: dict[str, Any] = self.crawler.stats.get_stats() if self.crawler.stats else {}
        pending: dict[str, int] = {}
        for outlet in [*self.inflight.values(), *_scraping(self.crawler)]:
            pending[outlet] = pending.get(outlet, 0) + 1
        ids = self.outlet_ids or sorted(self.started)

        def total(key: str) -> int:
            return sum(int(stats.get(f"outlet/{o}/{key}", 0) or 0) for o in ids)

        def errors(outlet: str) -> int:
            prefix = f"outlet/{outlet}/errors/"
            return sum(int(v or 0) for k, v in stats.items() if k.startswith(prefix))

        # a request refused by robots.txt never leaves the downloader: it is counted as blocked instead
        done = sum(1 for o in ids if o in self.started
                   and pending.get(o, 0) - int(stats.get(f"outlet/{o}/robots_blocked", 0) or 0) <= 0)
        return Progress(len(ids), done, total("articles/new"), total("articles/updated"), total("matches"),
                        total("requests"), sum(errors(o) for o in ids), time.monotonic() - self.started_at)

    def report(self, suffix: str = "") -> None:
        try:
            self.stream.write(self.snapshot().line() + suffix + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # a closed terminal must never stop a crawl
            pass


def _scraping(crawler: Any) -> list[str]:
    """Outlets of the responses still in callbacks or item pipelines (Scrapy's scraper slot)."""
    try:
        engine = crawler.engine
    except RuntimeError:  # not crawling (yet)
        return []
    slot = getattr(getattr(engine, "scraper", None), "slot", None)
    active = getattr(slot, "active", None) or ()
    return [o for o in (getattr(r, "meta", {}).get("outlet") for r in list(active)) if o]


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
