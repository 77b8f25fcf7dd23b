"""Downloader middlewares: robots.txt cached between runs, retries with backoff, per-outlet stats."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from crawler.crawl.context import CrawlContext
from crawler.store import crawlstate


class CachedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with bodies kept in the store for NEWSWATCH_ROBOTS_MAX_AGE_HOURS.

    Scrapy caches robots.txt only inside one process; a tick every 30 minutes would otherwise
    spend one request per outlet on it. The robots request also carries the outlet's slot.
    """

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.ctx = CrawlContext.of(crawler)
        self.max_age = timedelta(hours=crawler.settings.getfloat("NEWSWATCH_ROBOTS_MAX_AGE_HOURS", 24))

    def _install(self, netloc: str, body: bytes) -> Any:
        rp = build_from_crawler(self._parserimpl, self.crawler, body)
        self._parsers[netloc] = rp
        return rp

    async def robot_parser(self, request: Request) -> Any:
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            cached = self.ctx.cached_robots(netloc, self.max_age)
            if cached is not None:
                self._stats.inc_value("robotstxt/cache_hit")
                return self._install(netloc, cached[1] if cached[0] < 400 else b"")
            waiter: Deferred[Any] = Deferred()
            self._parsers[netloc] = waiter
            outlet = request.meta.get("outlet")
            meta: dict[str, Any] = {"dont_obey_robotstxt": True, "outlet": outlet, "kind": "robots"}
            if outlet:
                meta["download_slot"] = outlet
            robots = Request(f"{url.scheme}://{netloc}/robots.txt", priority=self.DOWNLOAD_PRIORITY,
                             meta=meta, callback=NO_CALLBACK)
            rp = None
            try:
                assert self.crawler.engine is not None
                resp = await self.crawler.engine.download_async(robots)
                self._stats.inc_value("robotstxt/response_count")
                self._stats.inc_value(f"robotstxt/response_status_count/{resp.status}")
                # a 4xx robots.txt means "no rules"; 5xx is not cached (try again next run)
                body = resp.body if resp.status < 400 else b""
                if resp.status < 500:
                    crawlstate.save_robots(self.ctx.db, netloc, resp.status, resp.body)
                rp = build_from_crawler(self._parserimpl, self.crawler, body)
            except Exception as exc:  # noqa: BLE001 — unreachable robots.txt: crawl as if none
                if not isinstance(exc, IgnoreRequest):
                    self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
            self._stats.inc_value("robotstxt/request_count")
            self._parsers[netloc] = rp
            waiter.callback(rp)
            return rp
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    def process_request_2(self, rp: Any, request: Request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:
            outlet = request.meta.get("outlet")
            if outlet:
                self.ctx.count(outlet, "robots_blocked")
            raise


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, waiting NEWSWATCH_RETRY_BACKOFF_BASE × 2^(attempt-1) seconds before each."""

    backoff_base: float = 2.0

    @classmethod
    def from_crawler(cls, crawler: Any) -> BackoffRetryMiddleware:
        mw = super().from_crawler(crawler)
        mw.backoff_base = crawler.settings.getfloat("NEWSWATCH_RETRY_BACKOFF_BASE", 2.0)
        return mw

    async def _later(self, result: Any) -> Any:
        if isinstance(result, Request):
            attempt = int(result.meta.get("retry_times", 1))
            await asyncio.sleep(self.backoff_base * 2 ** (attempt - 1))
        return result

    async def process_response(self, request: Request, response: Response, spider: Any = None) -> Any:  # type: ignore[override]
        return await self._later(super().process_response(request, response))

    async def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> Any:  # type: ignore[override]
        return await self._later(super().process_exception(request, exception))


class OutletStatsMiddleware:
    """Counts requests and responses per outlet (robots.txt and 304s included): the idle-tick budget."""

    def __init__(self, crawler: Any) -> None:
        self.ctx = CrawlContext.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> OutletStatsMiddleware:
        mw = cls(crawler)
        crawler.signals.connect(mw.on_request_reached, signal=signals.request_reached_downloader)
        return mw

    def on_request_reached(self, request: Request, spider: Any = None) -> None:
        outlet = request.meta.get("outlet")
        if outlet:
            self.ctx.count(outlet, "requests")
            self.ctx.count(outlet, f"requests/{request.meta.get('kind', 'other')}")

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        outlet = request.meta.get("outlet")
        if outlet:
            self.ctx.count(outlet, f"responses/{response.status}")
        return response
