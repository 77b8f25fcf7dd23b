"""OutletSpider: crawls one outlet (`scrapy crawl <outlet>`) or many in one process (a tick).

Discovery before download: feeds first (conditional GET), then list pages, then only the
article URLs not stored yet — checked before the request. Every request carries the outlet's
own download slot, so outlets on one host (or on 127.0.0.1 in tests) never share politeness.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.crawl.context import CrawlContext
from crawler.crawl.project import js_handlers
from crawler.crawl.revisit import entry_changed
from crawler.extract.discovery import (
    Entry,
    NotAFeed,
    NotASitemap,
    entry_date,
    parse_feed,
    parse_sitemap,
)
from crawler.extract.listlinks import ShapeBook
from crawler.families import article_key
from crawler.monitor.failures import save_failing_page
from crawler.registry import Outlet, load_registry
from crawler.store import crawlstate
from crawler.types import ArticleRecord
from spiders.navigators import Navigator, navigator_for


class OutletSpider(scrapy.Spider):
    name = "newswatch"
    #: fixed by the registry loader for a one-outlet spider; empty = outlets given as an argument
    outlet_ids: ClassVar[tuple[str, ...]] = ()
    ctx: CrawlContext  # set in from_crawler: the crawl's store, registry, CPU pool and writer
    outlets: list[Outlet]  # set in from_crawler: what this crawler crawls

    def __init__(self, outlets: str | Iterable[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(outlets, str):
            outlets = [o for o in outlets.split(",") if o]
        self.requested = tuple(outlets or self.outlet_ids)

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """JS rendering for this crawler when one of its outlets has `render = "js"` (only then).

        Every path builds its crawler through here: `scrapy crawl <outlet>` (the outlet),
        `newswatch crawl` and the scheduler tick (the outlets in NEWSWATCH_CRAWL_OUTLETS),
        `newswatch worker` and `scrapy crawl newswatch` (any outlet of the registry).
        """
        super().update_settings(settings)
        if not any(o.render == "js" for o in cls.crawl_outlets(settings)):
            return

        handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
        handlers.update(js_handlers()["DOWNLOAD_HANDLERS"])
        priority = max(settings.getpriority("DOWNLOAD_HANDLERS") or 0, SETTINGS_PRIORITIES["spider"])
        settings.set("DOWNLOAD_HANDLERS", handlers, priority=priority)

    @classmethod
    def crawl_outlets(cls, settings: Any) -> list[Outlet]:
        """The outlets a crawler of this class may crawl, for settings chosen before it starts."""
        file = settings.get("NEWSWATCH_OUTLETS_FILE") or None
        registry = load_registry(Path(file) if file else None).by_id()
        chosen = cls.outlet_ids or tuple(settings.getlist("NEWSWATCH_CRAWL_OUTLETS"))
        return [registry[o] for o in chosen if o in registry] if chosen else list(registry.values())

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> OutletSpider:
        spider: OutletSpider = super().from_crawler(crawler, *args, **kwargs)
        spider.ctx = CrawlContext.of(crawler)
        registry = spider.ctx.registry
        unknown = [o for o in spider.requested if o not in registry]
        if unknown:
            raise ValueError(
                f"unknown outlet(s) {', '.join(unknown)}; `newswatch outlets` lists the registry "
                f"({spider.ctx.outlets_file or 'spiders/outlets.toml'})"
            )
        spider.outlets = [registry[o] for o in spider.requested] if spider.requested else list(registry.values())
        return spider

    # --- requests -------------------------------------------------------------------------

    def _meta(self, outlet: Outlet, kind: str, **extra: Any) -> dict[str, Any]:
        meta = {"outlet": outlet.id, "kind": kind, "download_slot": outlet.id, **extra}
        if outlet.render == "js" and kind in ("article", "list"):
            meta["playwright"] = True
        return meta

    def _conditional(self, url: str, outlet: Outlet, kind: str, callback: Any, errback: Any = None,
                     **extra: Any) -> scrapy.Request:
        """A feed/list request with the validators stored by the last run (If-None-Match/-Modified-Since)."""
        headers = {}
        deep = extra.get("deep") or self._deep(outlet)
        # an incomplete outlet's last run lost work behind these validators: ask unconditionally
        # --since and --recrawl must read what a 304 would hide
        fresh_read = deep or self.ctx.since or self.ctx.recrawl
        etag, modified = (None, None) if fresh_read else self.ctx.validators(url)
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        if deep and kind in ("feed", "sitemap", "list"):
            extra.setdefault("deep", deep)
        return scrapy.Request(url, callback=callback, errback=errback or self.on_error, headers=headers,
                              meta=self._meta(outlet, kind, **extra), dont_filter=True)

    def _deep(self, outlet: Outlet, response: Response | None = None) -> str | bool | None:
        """Whether this outlet's discovery reads deep: its last run was interrupted (the time it
        began, ISO), as recorded in the store, or carried by the request (Redis workers)."""
        if response is not None and response.meta.get("deep"):
            return response.meta["deep"]
        since = self.ctx.deep_since(outlet.id)
        return since.isoformat() if since else None

    async def start(self) -> AsyncIterator[Any]:
        self.prefetch()
        for outlet in self.outlets:
            for request in self.discovery_requests(outlet):
                yield request

    def prefetch(self) -> None:
        """Read what every outlet's discovery needs from the store in a few queries (validators of
        feeds and lists, cached robots.txt, revisits due) instead of a few per outlet."""
        settings = self.crawler.settings
        urls: list[str] = []
        for outlet in self.outlets:
            nav = navigator_for(outlet)
            urls += nav.feeds() or nav.lists()
        hosts = {urlsplit(u).netloc for u in urls} | {urlsplit(o.home).netloc for o in self.outlets}
        self.ctx.prefetch(urls, hosts, timedelta(hours=settings.getfloat("NEWSWATCH_ROBOTS_MAX_AGE_HOURS", 24)))
        limit = settings.getint("NEWSWATCH_REVISITS_PER_OUTLET", 1)
        if limit > 0 and not self.ctx.since:
            self.ctx.revisits = crawlstate.revisits_due_many(self.ctx.db, [o.id for o in self.outlets], **self._revisit_window(limit))

    def _revisit_window(self, limit: int) -> dict[str, Any]:
        settings = self.crawler.settings
        return {"now": datetime.now(UTC), "limit": limit,
                "max_age": timedelta(hours=settings.getfloat("NEWSWATCH_REVISIT_MAX_AGE_HOURS", 48)),
                "every": timedelta(hours=settings.getfloat("NEWSWATCH_REVISIT_EVERY_HOURS", 6))}

    def discovery_requests(self, outlet: Outlet) -> list[scrapy.Request]:
        nav = navigator_for(outlet)
        feeds = nav.feeds()
        if feeds:
            found = [self._conditional(u, outlet, "feed", self.parse_feed, self.on_feed_error) for u in feeds]
        else:
            found = self.fallback_requests(outlet)
        return found + self.revisit_requests(outlet)

    def fallback_requests(self, outlet: Outlet) -> list[scrapy.Request]:
        """Without a working feed: the outlet's sitemaps (registry, or the cached robots.txt's
        `Sitemap:` lines: no extra request), else its list pages (navigators.py documents the order)."""
        nav = navigator_for(outlet)
        sitemaps = nav.sitemaps(self._cached_robots(outlet))
        if sitemaps:
            return [self._conditional(u, outlet, "sitemap", self.parse_sitemap, self.on_sitemap_error)
                    for u in sitemaps]
        lists = nav.lists()
        if not lists:
            self.logger.warning(
                "outlet %s: no feed and no list URL in the registry; add `feeds` or `lists` "
                "(or run `newswatch outlets detect %s`)", outlet.id, outlet.home)
            self.ctx.count(outlet.id, "dropped/no_discovery")
        return self.list_requests(outlet)

    def _cached_robots(self, outlet: Outlet) -> bytes | None:
        hours = self.crawler.settings.getfloat("NEWSWATCH_ROBOTS_MAX_AGE_HOURS", 24)
        cached = self.ctx.cached_robots(urlsplit(outlet.home).netloc, timedelta(hours=hours))
        return cached[1] if cached and cached[0] < 400 else None

    def list_requests(self, outlet: Outlet, deep: str | bool | None = None) -> list[scrapy.Request]:
        """The first page of each list; an incomplete outlet's are read deep (`_next_list_page`)."""
        extra = {"deep": deep} if deep else {}
        return [self._conditional(u, outlet, "list", self.parse_list, self.on_list_error, page=1, list_url=u, **extra)
                for u in navigator_for(outlet).lists()]

    def article_requests(self, outlet: Outlet, nav: Navigator, entries: list[Entry]) -> tuple[list[scrapy.Request], int]:
        """Requests for the entries whose article is not stored yet (checked before download),
        and how many entries were new when this run began (what the paging rule looks at).

        A stored article whose entry changed (title, date) is requested again: the revisit policy
        (crawler/crawl/revisit.py)."""
        keyed = {article_key(e.url, outlet.family): e for e in entries if nav.is_article_url(e.url)}
        if self.ctx.since:
            keyed = {k: e for k, e in keyed.items() if not _older_than(e, self.ctx.since)}
        found_now = self.ctx.discovered[outlet.id]  # new when this run began, maybe stored since
        seen = set() if self.ctx.recrawl else crawlstate.seen_keys(self.ctx.db, [k for k in keyed if k not in found_now])
        new = [k for k in keyed if k not in seen]
        self.ctx.count(outlet.id, "discovered", len(keyed))
        self.ctx.count(outlet.id, "skipped_stored", len(keyed) - len(new))
        reqs = [
            scrapy.Request(keyed[k].url, callback=self.parse_article, errback=self.on_error,
                           meta=self._meta(outlet, "article", entry=keyed[k]))
            for k in new if k not in found_now
        ]
        found_now.update(new)
        reqs += self._changed_entries(outlet, {k: keyed[k] for k in seen})
        if reqs:
            self.ctx.start_workers(len(reqs))
        return reqs, len(new)

    def _changed_entries(self, outlet: Outlet, stored: dict[str, Entry]) -> list[scrapy.Request]:
        if not stored or self.ctx.since:
            return []
        revisited = self.ctx.revisited[outlet.id]
        out = []
        for key, was in crawlstate.stored_entries(self.ctx.db, sorted(stored)).items():
            entry = stored[key]
            why = entry_changed(was, entry)
            if why and was.article_id not in revisited:
                revisited.add(was.article_id)
                self.ctx.count(outlet.id, f"revisit/{why}_changed")
                out.append(scrapy.Request(entry.url, callback=self.parse_article, errback=self.on_error,
                                          meta=self._meta(outlet, "article", entry=entry, revisit=why),
                                          dont_filter=True))
        return out

    def revisit_requests(self, outlet: Outlet) -> list[scrapy.Request]:
        """Conditional GETs for this outlet's young matched articles not fetched for a while."""
        settings = self.crawler.settings
        limit = settings.getint("NEWSWATCH_REVISITS_PER_OUTLET", 1)
        if limit <= 0 or self.ctx.since:
            return []
        prefetched = self.ctx.revisits
        due = (prefetched.pop(outlet.id) if prefetched is not None and outlet.id in prefetched
               else crawlstate.revisits_due(self.ctx.db, outlet.id, **self._revisit_window(limit)))
        out = []
        for was in due:
            self.ctx.revisited[outlet.id].add(was.article_id)
            self.ctx.count(outlet.id, "revisit/matched")
            out.append(scrapy.Request(
                was.url, callback=self.parse_article, errback=self.on_error, dont_filter=True,
                headers={"If-Modified-Since": format_datetime((was.fetched_at or datetime.now(UTC)).astimezone(UTC),
                                                              usegmt=True)},
                meta=self._meta(outlet, "article", entry=Entry(was.url, was.title, was.modified), revisit="matched",
                                article_id=was.article_id, handle_httpstatus_list=[304])))
        return out

    # --- callbacks ------------------------------------------------------------------------

    def _outlet(self, response: Response) -> Outlet:
        return self.ctx.registry[response.meta["outlet"]]

    def _remember_validators(self, outlet: Outlet, response: Response) -> None:
        etag = response.headers.get("ETag")
        modified = response.headers.get("Last-Modified")
        if etag or modified:
            self.ctx.pending_validators[outlet.id].append((
                response.request.url if response.request else response.url,
                etag.decode("latin-1") if etag else None,
                modified.decode("latin-1") if modified else None,
            ))

    def parse_feed(self, response: Response) -> Iterable[scrapy.Request]:
        outlet = self._outlet(response)
        if response.status == 304:
            self.ctx.count(outlet.id, "feed/not_modified")
            return []
        try:
            entries = parse_feed(response.body, response.url)
        except NotAFeed as exc:
            self.logger.warning("outlet %s: %s is not a feed (%s); reading the list pages instead. "
                                "Fix `feeds` in the registry.", outlet.id, response.url, exc)
            self.ctx.count(outlet.id, "feed/not_a_feed")
            return [] if response.meta.get("home_feeds") else self.fallback_requests(outlet)
        self._remember_validators(outlet, response)
        self.ctx.count(outlet.id, "feed/entries", len(entries))
        if not entries:
            save_failing_page(outlet.id, response.url, response.body, "empty_discovery")
        nav = navigator_for(outlet)
        requests, fresh = self.article_requests(outlet, nav, entries)
        if response.meta.get("home_feeds"):
            return requests  # announced by the home page, which was the list: nothing more to read
        deep = self._deep(outlet, response)
        if not entries or fresh == len(entries) or self.ctx.since or deep:
            # an empty feed, one that is all new, or an interrupted last run may not reach back far
            # enough: lists fill the gap
            requests += self.list_requests(outlet, deep)
        return requests

    def parse_sitemap(self, response: Response) -> Iterable[scrapy.Request]:
        outlet = self._outlet(response)
        if response.status == 304:
            self.ctx.count(outlet.id, "sitemap/not_modified")
            return []
        try:
            found = parse_sitemap(response.body, response.url)
        except NotASitemap as exc:
            self.logger.warning("outlet %s: %s is not a sitemap (%s); reading the list pages instead",
                                outlet.id, response.url, exc)
            self.ctx.count(outlet.id, "sitemap/not_a_sitemap")
            return self.list_requests(outlet)
        self._remember_validators(outlet, response)
        nav = navigator_for(outlet)
        requests = [self._conditional(u, outlet, "sitemap", self.parse_sitemap, self.on_sitemap_error)
                    for u in nav.child_sitemaps(found.sitemaps)]
        self.ctx.count(outlet.id, "sitemap/entries", len(found.entries))
        article_requests, fresh = self.article_requests(outlet, nav, found.entries)
        requests += article_requests
        deep = self._deep(outlet, response)
        if not found.sitemaps and (not found.entries or fresh == len(found.entries) or self.ctx.since or deep):
            requests += self.list_requests(outlet, deep)
        return requests

    def on_feed_error(self, failure: Failure) -> list[scrapy.Request]:
        """A feed that fails (404, 5xx after retries, timeout): counted, then the fallback strategies."""
        self.on_error(failure)
        request = failed_request(failure)
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            return []
        if request.meta.get("home_feeds"):
            return []
        return self.fallback_requests(self.ctx.registry[request.meta["outlet"]])

    def on_sitemap_error(self, failure: Failure) -> list[scrapy.Request]:
        self.on_error(failure)
        request = failed_request(failure)
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            return []
        return self.list_requests(self.ctx.registry[request.meta["outlet"]])

    def parse_list(self, response: Response) -> Iterable[scrapy.Request]:
        outlet = self._outlet(response)
        if response.status == 304:
            self.ctx.count(outlet.id, "list/not_modified")
            return []
        page = response.meta["page"]
        if page == 1:
            self._remember_validators(outlet, response)
        nav = navigator_for(outlet)
        entries = nav.list_entries(response.text, response.url, self.shape_book(outlet.id))
        self.ctx.count(outlet.id, "list/entries", len(entries))
        if not entries and page == 1 and nav.is_home(response.url) and not response.meta.get("home_feeds"):
            feeds = nav.home_feeds(response.text, response.url)  # <link rel="alternate"> autodiscovery
            if feeds:
                self.ctx.count(outlet.id, "feed/autodiscovered", len(feeds))
                return [self._conditional(u, outlet, "feed", self.parse_feed, self.on_feed_error, home_feeds=True)
                        for u in feeds]
        if not entries and page == 1:
            save_failing_page(outlet.id, response.url, response.body, "empty_discovery")
        keys = [article_key(e.url, outlet.family) for e in entries if nav.is_article_url(e.url)]
        shown = self.ctx.list_keys[(outlet.id, response.meta["list_url"])]
        repeated = page > 1 and bool(keys) and set(keys) <= shown
        shown.update(keys)
        requests, fresh = self.article_requests(outlet, nav, entries)
        for request in requests:
            request.meta["from_list"] = True
        if repeated:  # a site that answers every page number with its last page: the end, quietly
            self.ctx.count(outlet.id, "list/repeated_page")
            return requests
        next_page = self._next_list_page(outlet, nav, response, keys, fresh)
        return requests + ([next_page] if next_page is not None else [])

    def _next_list_page(self, outlet: Outlet, nav: Navigator, response: Response, keys: list[str],
                        fresh: int) -> scrapy.Request | None:
        """Paging stops at the first page with nothing new; for an incomplete outlet (`deep`), at the
        first page showing an article stored before the interrupted run began (`deep` = that time;
        True: to the page limit). NEWSWATCH_MAX_LIST_PAGES bounds both; reaching it is counted."""
        page = response.meta["page"]
        deep = response.meta.get("deep")
        go_on = bool(fresh)
        if not go_on and deep and keys:
            since = datetime.fromisoformat(deep) if isinstance(deep, str) else None
            go_on = since is None or not crawlstate.stored_before(self.ctx.db, keys, since)
        if not go_on:
            return None
        limit = 1000 if self.ctx.since else self.ctx.max_list_pages
        if page >= limit:
            self.ctx.count(outlet.id, "list/page_limit_reached")
            self.logger.warning("outlet %s: %s paged to NEWSWATCH_MAX_LIST_PAGES=%d with more to read; older "
                                "articles are not requested (raise the limit or `newswatch crawl --since DATE %s`)",
                                outlet.id, response.meta["list_url"], limit, outlet.id)
            return None
        url = nav.page_url(response.meta["list_url"], page + 1)
        return scrapy.Request(url, callback=self.parse_list, errback=self.on_list_error,
                              meta=self._meta(outlet, "list", page=page + 1, list_url=response.meta["list_url"],
                                              **({"deep": deep} if deep else {})))

    def on_list_error(self, failure: Failure) -> None:
        """The page one past the last (404/410) ends paging quietly: not an outlet error."""
        request = failed_request(failure)
        if (failure.check(HttpError) and request.meta.get("page", 1) > 1
                and failure.value.response.status in (404, 410)):  # type: ignore[union-attr]  # an HttpError
            self.ctx.count(request.meta["outlet"], "list/past_last_page")
            return
        self.on_error(failure)

    async def parse_article(self, response: Response) -> AsyncIterator[ArticleRecord]:
        outlet = self._outlet(response)
        if response.status == 304:  # a revisit: not modified since the last fetch
            self.ctx.count(outlet.id, "revisit/not_modified")
            crawlstate.touch_article(self.ctx.db, response.meta["article_id"], fetched_at=datetime.now(UTC))
            return
        charset = outlet.encoding or _header_charset(response)
        extracted = await self.ctx.cpu.extract(response.body, response.url, outlet.family, charset)
        entry: Entry = response.meta["entry"]
        self.ctx.count(outlet.id, "extract/pages")
        if extracted.published_at is None and entry.modified:
            # the page shows no date: the feed or list entry's date is the next best truth, checked
            # like a page's (a 2031 entry must not head the digest or escape the alert-age limit)
            extracted.published_at, rejected = entry_date(entry.modified)
            if extracted.published_at is not None:
                extracted.problems.append("date: none on the page; taken from the feed/list entry")
            elif rejected:
                self.ctx.count(outlet.id, "dates/entry_rejected")
                extracted.problems.append(f"date: the feed/list entry's date rejected: {rejected}")
        if extracted.published_at is None:
            self.ctx.count(outlet.id, "extract/no_date")
        if response.meta.get("from_list") and not response.meta.get("revisit"):
            # what a list link led to confirms (or refutes) its URL shape for this outlet
            self.shape_book(outlet.id).record(response.request.url if response.request else response.url,
                                              extracted.is_article and bool(extracted.title and extracted.body))
        if extracted.fallback:
            self.ctx.count(outlet.id, "extract/fallback")
            save_failing_page(outlet.id, response.url, response.body, "fallback")
        elif extracted.is_article and not (extracted.title and extracted.body):
            save_failing_page(outlet.id, response.url, response.body,
                              "missing_title" if not extracted.title else "missing_body")
        yield ArticleRecord(
            outlet_id=outlet.id, url=response.url, request_url=response.request.url if response.request else response.url,
            family=outlet.family, extracted=extracted, fetched_at=datetime.now(UTC),
            feed_title=entry.title, feed_modified=entry.modified,
        )

    # --- list shapes learned per outlet (crawler/extract/listlinks.py) ---------------------

    def shape_book(self, outlet_id: str) -> ShapeBook:
        """The outlet's article URL shapes, read once per crawl from the store."""
        books: dict[str, ShapeBook] = self.__dict__.setdefault("_shape_books", {})
        if outlet_id not in books:
            books[outlet_id] = ShapeBook.of(crawlstate.list_shapes(self.ctx.db, outlet_id))
        return books[outlet_id]

    def closed(self, reason: str) -> None:
        """Keep what this crawl learned about list shapes (before the store closes at engine stop)."""
        books: dict[str, ShapeBook] = self.__dict__.get("_shape_books", {})
        for oid, book in books.items():
            if book.changed:
                crawlstate.save_list_shapes(self.ctx.db, oid, book.counts())

    def on_error(self, failure: Failure) -> None:
        request = failed_request(failure)
        outlet_id = request.meta.get("outlet", "?")
        if failure.check(IgnoreRequest) and not failure.check(HttpError) and _robots_rule(failure):
            # robots.txt forbids it (counted as robots_blocked by the middleware): a rule, not a failure
            self.logger.info("outlet %s: %s skipped: %s", outlet_id, request.url, failure.getErrorMessage())
            if request.meta.get("kind") == "article" and outlet_id in self.ctx.registry:
                # not lost: the outlet forbids it, and asking again gives the same answer
                self.ctx.settled[outlet_id].add(article_key(request.url, self.ctx.registry[outlet_id].family))
            return
        self.ctx.tally[outlet_id].errors += 1
        reason = "redirect_loop" if "redirect" in failure.getErrorMessage().lower() else type(failure.value).__name__
        self.ctx.count(outlet_id, f"errors/{reason}")
        self.logger.error("outlet %s: %s failed: %s — the other outlets go on; check the URL, "
                          "or `newswatch outlets check %s`", outlet_id, request.url,
                          failure.getErrorMessage(), outlet_id)


def failed_request(failure: Failure) -> scrapy.Request:
    """The request an errback's failure is about (Scrapy sets it on the Failure)."""
    return failure.request  # type: ignore[attr-defined]  # set by Scrapy on the Failure


def _robots_rule(failure: Failure) -> bool:
    """An IgnoreRequest raised by robots.txt obeying (any other one, e.g. too many redirects, is lost work)."""
    return "robots" in failure.getErrorMessage().lower()



def _older_than(entry: Entry, since: datetime) -> bool:
    d, _ = entry_date(entry.modified)  # an implausible date says nothing: the article is read
    return d is not None and d < since


def _header_charset(response: Response) -> str | None:
    ctype = (response.headers.get("Content-Type") or b"").decode("latin-1")
    for part in ctype.split(";")[1:]:
        k, _, v = part.strip().partition("=")
        if k.lower() == "charset" and v:
            return v.strip("\"' ")
    return None
