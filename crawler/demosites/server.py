"""Serve the demo (or synthetic) outlets on 127.0.0.1, one port per outlet, in one process.

One asyncio loop in a background thread listens on every port; pages are rendered once at
start-up, so a request is a dictionary lookup and a socket write. Every request can be logged
as one JSON line, and outlets can be made to misbehave (faults.py) for tests.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import parse_qsl, urlsplit

from crawler.demosites import content, scale
from crawler.demosites.content import GNUBOARD_TABLE, DemoArticle, Outlet
from crawler.demosites.faults import HANG_SECONDS, Fault, FaultKind, FaultSpec, normalize_faults
from crawler.demosites.render import Page, SitePages, SiteRenderer

_REASONS = {
    200: "OK",
    302: "Found",
    304: "Not Modified",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
}
_SECTION_FEED = re.compile(r"^/rss/(S1N\d+)\.xml$")
_MAX_HEAD = 64 * 1024


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # as sent: path and query
    version: str
    headers: dict[str, str]

    @property
    def keep_alive(self) -> bool:
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return connection == "keep-alive"
        return connection != "close"


@dataclass
class Reply:
    status: int
    page: Page | None = None  # body and validators; None for bodiless replies
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    hang: bool = False


class RequestLog:
    """Appends one JSON line per request and flushes it, so tests can count while serving."""

    def __init__(self, path: Path | None) -> None:
        self._file: IO[str] | None = path.open("a", encoding="utf-8") if path else None

    def write(self, outlet: str, request: Request, status: int) -> None:
        if self._file is None:
            return
        record = {
            "t": round(time.time(), 6),
            "outlet": outlet,
            "method": request.method,
            "path": request.target,
            "status": status,
            "ua": request.headers.get("user-agent", ""),
        }
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class Site:
    """One outlet as served: its rendered pages, its faults and its router."""

    def __init__(
        self, outlet: Outlet, pages: SitePages, base_url: str, faults: Sequence[Fault]
    ) -> None:
        self.outlet = outlet
        self.pages = pages
        self.base = base_url.rstrip("/")
        self.faults = {f.kind: f for f in faults}
        self.error_pages = {
            status: self._error_page(status) for status in (302, 400, 404, 405, 500)
        }

    def _error_page(self, status: int) -> Page:
        text = (
            f'<!DOCTYPE html><html><head><meta charset="{self.outlet.charset}">'
            f"<title>{status} {_REASONS[status]}</title></head>"
            f'<body><h1>{status} {_REASONS[status]}</h1><p><a href="/">{self.outlet.name}</a></p></body></html>'
        )
        body = text.encode(self.outlet.encoding, errors="xmlcharrefreplace")
        return Page.make(
            body, f"text/html; charset={self.outlet.charset}", self.pages.home.last_modified
        )

    # routing --------------------------------------------------------------------------------

    def route(self, target: str) -> tuple[str, Page | None]:
        """(kind, page) for a request target; kind is home, robots, article, list, feed or ""."""
        parts = urlsplit(target)
        path = parts.path or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if path == "/robots.txt":
            return "robots", self.pages.robots
        if self.outlet.family == "gnuboard":
            return self._route_gnuboard(path, query)
        return self._route_ndsoft(path, query)

    def _route_ndsoft(self, path: str, query: dict[str, str]) -> tuple[str, Page | None]:
        if path in ("/", "/index.html"):
            return "home", self.pages.home
        if path == "/news/articleView.html":
            return "article", self._article(query.get("idxno", ""))
        if path == "/news/articleList.html":
            return "list", self._list(query.get("sc_section_code", ""), query.get("page", ""))
        if path == "/rss/allArticle.xml":
            return "feed", self.pages.feed("")
        match = _SECTION_FEED.match(path)
        if match:
            return "feed", self.pages.feed(match.group(1))
        return "", None

    def _route_gnuboard(self, path: str, query: dict[str, str]) -> tuple[str, Page | None]:
        if path in ("/", "/index.php"):
            return "home", self.pages.home
        if query.get("bo_table") != GNUBOARD_TABLE:
            return "", None
        if path == "/bbs/board.php":
            if "wr_id" in query:
                return "article", self._article(query["wr_id"])
            return "list", self._list("", query.get("page", ""))
        if path == "/bbs/rss.php":
            return "feed", self.pages.feed("")
        return "", None

    def _article(self, raw_id: str) -> Page | None:
        return self.pages.articles.get(int(raw_id)) if raw_id.isdigit() else None

    def _list(self, code: str, raw_page: str) -> Page | None:
        number = int(raw_page) if raw_page.isdigit() else 1
        if self.pages.renderer.has_list(code) and number > self.pages.renderer.page_count(code):
            if FaultKind.LIST_END_404 in self.faults:
                return None
            if FaultKind.LIST_END_REPEAT in self.faults:
                number = self.pages.renderer.page_count(code)
        return self.pages.list_page(code, number)

    # replying ---------------------------------------------------------------------------------

    def reply(self, request: Request) -> Reply:
        if FaultKind.HANG in self.faults:
            return Reply(0, hang=True)
        slow = self.faults.get(FaultKind.SLOW)
        reply = self._reply(request)
        reply.delay = slow.seconds if slow else 0.0
        return reply

    def _reply(self, request: Request) -> Reply:
        if request.method not in ("GET", "HEAD"):
            return Reply(405, self.error_pages[405], [("Allow", "GET, HEAD")])
        if FaultKind.ERROR_500 in self.faults:
            return Reply(500, self.error_pages[500])
        kind, page = self.route(request.target)
        if kind == "article" and page is not None:
            if FaultKind.ARTICLES_404 in self.faults:
                return Reply(404, self.error_pages[404])
            if FaultKind.REDIRECT_LOOP in self.faults:
                location = (
                    self.base + request.target if request.target.startswith("/") else request.target
                )
                return Reply(302, self.error_pages[302], [("Location", location)])
        if kind == "feed" and FaultKind.NOTFOUND_FEED in self.faults:
            return Reply(404, self.error_pages[404])
        if page is None:
            return Reply(404, self.error_pages[404])
        if not_modified(request.headers, page):
            return Reply(304, page)
        return Reply(200, page)


def not_modified(headers: dict[str, str], page: Page) -> bool:
    """RFC 9110 conditional GET: If-None-Match wins; else If-Modified-Since."""
    tags = headers.get("if-none-match")
    if tags is not None:
        wanted = {t.strip().removeprefix("W/") for t in tags.split(",")}
        return "*" in wanted or page.etag in wanted
    since = headers.get("if-modified-since")
    if since:
        try:
            moment = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if moment.tzinfo is None:
            return False
        return page.last_modified <= moment
    return False


def encode_reply(reply: Reply, head_only: bool, keep_alive: bool) -> bytes:
    """The status line, headers and (unless HEAD or 304) body of a reply."""
    lines = [
        f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Unknown')}",
        f"Date: {_now_http_date()}",
        "Server: newswatch-sites",
    ]
    page = reply.page
    send_body = page is not None and reply.status != 304 and not head_only
    if page is not None:
        if reply.status != 304:
            lines.append(f"Content-Type: {page.content_type}")
            lines.append(f"Content-Length: {len(page.body)}")
        lines.append(f"ETag: {page.etag}")
        lines.append(f"Last-Modified: {page.last_modified_http}")
    else:
        lines.append("Content-Length: 0")
    lines.extend(f"{name}: {value}" for name, value in reply.headers)
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + page.body if send_body and page is not None else head


def _now_http_date() -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())


# --- the server ------------------------------------------------------------------------------


class SiteServer:
    """All outlets, one port each, served from one background thread.

    `start()` binds every port, renders every page, starts serving and returns {id: base URL};
    `stop()` closes everything. Usable in-process from pytest and from the CLI.
    """

    def __init__(
        self,
        outlets: Sequence[Outlet] | None = None,
        anchor: datetime | None = None,
        *,
        articles: Sequence[DemoArticle] | None = None,
        faults: FaultSpec | None = None,
        log_path: str | Path | None = None,
        port_base: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        self.outlets = list(outlets if outlets is not None else content.demo_outlets())
        ids = [o.id for o in self.outlets]
        if len(set(ids)) != len(ids):
            raise ValueError("outlet ids must be unique")
        self.anchor = content.parse_anchor(anchor)
        self.faults = normalize_faults(faults, ids)
        self.log_path = Path(log_path) if log_path else None
        self.port_base = port_base
        self.host = host
        self._given_articles = list(articles) if articles is not None else None
        self.articles: list[DemoArticle] = []
        self.urls: dict[str, str] = {}
        self.sites: dict[str, Site] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.AbstractServer] = []
        self._log = RequestLog(None)

    def __enter__(self) -> SiteServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> dict[str, str]:
        if self._loop is not None:
            raise RuntimeError("SiteServer already started")
        sockets = self._bind()
        try:
            self.urls = {
                o.id: f"http://{self.host}:{s.getsockname()[1]}/"
                for o, s in zip(self.outlets, sockets, strict=True)
            }
            self.articles = self._articles()
            self.sites = self._render()
        except BaseException:
            for s in sockets:
                s.close()
            raise
        self._log = RequestLog(self.log_path)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="newswatch-sites", daemon=True
        )
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(sockets), self._loop).result()
        return dict(self.urls)

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()
        self._loop = self._thread = None
        self._servers = []
        self._log.close()

    def article_url(self, article: DemoArticle) -> str:
        return content.article_url(self.urls[article.outlet], article)

    # start-up -------------------------------------------------------------------------------

    def _bind(self) -> list[socket.socket]:
        sockets: list[socket.socket] = []
        try:
            for index, outlet in enumerate(self.outlets):
                port = self.port_base + index if self.port_base else 0
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sockets.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    sock.bind((self.host, port))
                except OSError as exc:
                    raise OSError(
                        f"outlet {outlet.id!r} cannot listen on {self.host}:{port} ({exc.strerror}); "
                        "choose another --port-base or 0 for free ports"
                    ) from exc
                sock.listen(1024)
                sock.setblocking(False)
        except BaseException:
            for s in sockets:
                s.close()
            raise
        return sockets

    def _articles(self) -> list[DemoArticle]:
        if self._given_articles is not None:
            return self._given_articles
        out: list[DemoArticle] = []
        demo_ids = {o.id for o in content.demo_outlets()}
        if any(o.id in demo_ids and not o.synthetic_articles for o in self.outlets):
            out.extend(content.demo_articles(self.anchor))
        for outlet in self.outlets:
            if outlet.synthetic_articles:
                out.extend(scale.synthetic_articles(outlet, self.anchor))
        wanted = {o.id for o in self.outlets}
        return [a for a in out if a.outlet in wanted]

    def _render(self) -> dict[str, Site]:
        grouped = content.articles_by_outlet(self.articles)
        return {
            o.id: Site(o, self._pages(o, grouped.get(o.id, [])), self.urls[o.id], self.faults.get(o.id, ()))
            for o in self.outlets
        }

    def _pages(self, outlet: Outlet, articles: list[DemoArticle]) -> SitePages:
        variants = frozenset(str(f.kind) for f in self.faults.get(outlet.id, ()))
        return SiteRenderer(outlet, articles, self.urls[outlet.id], self.anchor, variants).render()

    def edit_article(self, article: DemoArticle, **changes: Any) -> DemoArticle:
        """Serve an edited article from now on, under the same URL (its outlet's feed, lists and
        home re-rendered): what an outlet does when it corrects or updates a story."""
        edited = replace(article, **changes)
        self.articles = [edited if a is article else a for a in self.articles]
        grouped = content.articles_by_outlet(self.articles)
        outlet = next(o for o in self.outlets if o.id == article.outlet)
        self.sites[outlet.id].pages = self._pages(outlet, grouped.get(outlet.id, []))
        return edited

    def add_articles(self, articles: Sequence[DemoArticle]) -> None:
        """Serve new articles from now on (their outlets' feeds, lists and home re-rendered): what
        the freshness bench's publisher does as simulated time passes."""
        if not articles:
            return
        self.articles.extend(articles)
        touched = {a.outlet for a in articles}
        grouped = content.articles_by_outlet(a for a in self.articles if a.outlet in touched)
        for outlet in self.outlets:
            if outlet.id in touched:
                # one assignment: the serving thread sees the old pages or the new ones, never a mix
                self.sites[outlet.id].pages = self._pages(outlet, grouped.get(outlet.id, []))

    async def _listen(self, sockets: list[socket.socket]) -> None:
        for outlet, sock in zip(self.outlets, sockets, strict=True):
            site = self.sites[outlet.id]

            async def handle(
                reader: asyncio.StreamReader, writer: asyncio.StreamWriter, site: Site = site
            ) -> None:
                try:
                    await self._connection(site, reader, writer)
                except asyncio.CancelledError:
                    # stop() cancels open connections; ending quietly keeps Python 3.11's stream
                    # server from logging the cancellation as an error.
                    pass

            server = await asyncio.start_server(handle, sock=sock, limit=_MAX_HEAD, backlog=1024)
            self._servers.append(server)

    async def _shutdown(self) -> None:
        for server in self._servers:
            server.close()
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # serving --------------------------------------------------------------------------------

    async def _connection(
        self, site: Site, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                if isinstance(request, int):  # malformed: answer and close
                    writer.write(
                        encode_reply(Reply(request, site.error_pages[request]), False, False)
                    )
                    await writer.drain()
                    break
                if not await self._answer(site, request, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _answer(self, site: Site, request: Request, writer: asyncio.StreamWriter) -> bool:
        """Send one reply; False when the connection must close."""
        reply = site.reply(request)
        if reply.hang:
            self._log.write(site.outlet.id, request, 0)
            await asyncio.sleep(HANG_SECONDS)
            return False
        if reply.delay:
            await asyncio.sleep(reply.delay)
        keep_alive = request.keep_alive
        writer.write(encode_reply(reply, request.method == "HEAD", keep_alive))
        self._log.write(site.outlet.id, request, reply.status)
        await writer.drain()
        return keep_alive


async def _read_request(reader: asyncio.StreamReader) -> Request | int | None:
    """The next request on a connection, None at a clean end, or an error status to send."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError:
        return 400
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        return 400
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    length = headers.get("content-length", "0")
    if length.isdigit() and int(length):
        await reader.readexactly(int(length))
    return Request(parts[0].upper(), parts[1], parts[2], headers)


class Publisher:
    """Publishes scheduled articles on a running SiteServer as simulated time passes (a thread).

    `schedule` holds `scale.Publication`s (`at`: simulated seconds after `start`); `clock` maps wall
    to simulated time (crawler.schedule.simclock). Each article appears in its outlet's feed and
    lists dated with its simulated publication time, and one JSON line per article goes to `log`
    (simulated and wall time, outlet, URL, story, relevance): the ground truth the bench measures
    latency against.
    """

    def __init__(self, server: SiteServer, schedule: Sequence[Any], start: datetime, clock: Any,
                 log_path: Path, step_s: float = 0.25) -> None:
        self.server, self.schedule, self.start, self.clock = server, list(schedule), start, clock
        self.log_path, self.step_s = log_path, step_s
        self.done = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="newswatch-publisher", daemon=True)
        self.published = 0

    def begin(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        outlets = self.server.outlets
        numbers = [0] * len(outlets)
        with self.log_path.open("a", encoding="utf-8") as log:
            while self.published < len(self.schedule) and not self._stop.is_set():
                wall = datetime.now(UTC)
                elapsed = (self.clock.sim(wall) - self.start).total_seconds()
                batch = []
                while self.published < len(self.schedule) and self.schedule[self.published].at <= elapsed:
                    p = self.schedule[self.published]
                    numbers[p.outlet] += 1
                    at = self.start + timedelta(seconds=p.at)
                    article = scale.story_article(outlets[p.outlet], numbers[p.outlet], p.story, p.relevant, at)
                    batch.append(article)
                    log.write(json.dumps({"sim": at.isoformat(), "wall": wall.isoformat(),
                                          "outlet": article.outlet, "url": self.server.article_url(article),
                                          "story": p.story, "relevant": p.relevant}) + "\n")
                    self.published += 1
                self.server.add_articles(batch)
                log.flush()
                self._stop.wait(self.step_s)
        self.done.set()
