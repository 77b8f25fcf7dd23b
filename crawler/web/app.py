"""The dashboard as a WSGI application: read-only pages, plus `GET /feedback?t=TOKEN` for mail votes.

Every request value is validated before it reaches a query: a bad one is a 400 page saying what
is wrong (escaped), never a 500. Routes: `/` (matches by story, outlet health, run history),
`/feedback` (records the one vote a signed token carries), `/healthz` (plain "ok").
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from crawler.registry import Outlet
from crawler.web.render import render

MAX_QUERY = 2048
MAX_TOKEN = 2048
MAX_DAYS = 365
DEFAULT_DAYS = 7
MAX_WATCHLIST = 64

StartResponse = Callable[..., Any]
Environ = dict[str, Any]

SECURITY_HEADERS = [
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                                "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),  # a feedback token must never leak through a Referer header
    ("Cache-Control", "no-store"),
]


class BadRequest(Exception):
    """A request value the dashboard will not use; the message is shown (escaped) on the 400 page."""


@dataclass(frozen=True)
class Filters:
    watchlist: str | None
    days: int

    def query(self, **change: object) -> str:
        values = {"watchlist": self.watchlist or "", "days": self.days, **change}
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def parse_query(environ: Environ) -> dict[str, str]:
    """The query string as a dict; BadRequest for an oversized, crowded or repeated-key one."""
    raw = environ.get("QUERY_STRING", "") or ""
    if len(raw) > MAX_QUERY:
        raise BadRequest(f"주소의 검색 조건이 너무 깁니다 (최대 {MAX_QUERY}자). / query string too long")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, max_num_fields=20, errors="replace")
    except ValueError:
        raise BadRequest("검색 조건이 너무 많습니다. / too many query parameters") from None
    out: dict[str, str] = {}
    for key, value in pairs:
        if key in out:
            raise BadRequest("같은 검색 조건이 두 번 주어졌습니다. / a query parameter was repeated")
        out[key] = value
    return out


def parse_filters(query: Mapping[str, str], watchlists: Iterable[str]) -> Filters:
    """`days` (1–365, default 7) and `watchlist` (a known id, or empty for all)."""
    text = query.get("days", "").strip()
    if not text:
        days = DEFAULT_DAYS
    elif not (text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= MAX_DAYS):
        raise BadRequest(f"기간(days)은 1부터 {MAX_DAYS}까지의 정수여야 합니다: {text[:40]!r} / "
                         f"days must be an integer from 1 to {MAX_DAYS}")
    else:
        days = int(text)
    wl = query.get("watchlist", "").strip()
    if wl and wl not in set(watchlists):
        raise BadRequest(f"알 수 없는 관심 목록입니다: {wl[:MAX_WATCHLIST]!r} / unknown watchlist")
    return Filters(wl or None, days)


class Dashboard:
    """The WSGI callable. `clock` is injectable for tests; the database is opened by the caller."""

    def __init__(self, db: Any, registry: Mapping[str, Outlet],
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.db, self.registry, self.clock = db, dict(registry), clock
        self.routes: dict[str, Callable[[Environ], tuple[str, str]]] = {
            "/": self.dashboard, "/feedback": self.feedback, "/healthz": self.healthz}

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/") or "/"
        try:
            handler = self.routes.get(path)
            if handler is None:
                status, body = self.error("404 Not Found", "페이지를 찾을 수 없습니다. / page not found")
            elif method not in ("GET", "HEAD"):
                status, body = self.error("405 Method Not Allowed",
                                          "이 대시보드는 읽기 전용입니다. / this dashboard is read-only")
            elif method == "HEAD" and path == "/feedback":
                status, body = "200 OK", ""  # link scanners probe with HEAD: never record a vote for them
            else:
                status, body = handler(environ)
        except BadRequest as exc:
            status, body = self.error("400 Bad Request", str(exc))
        except Exception:  # noqa: BLE001 - a page must never show a traceback
            print(traceback.format_exc(), file=environ.get("wsgi.errors", sys.stderr))
            status, body = self.error("500 Internal Server Error",
                                      "서버 오류가 발생했습니다. 로그를 확인하세요. / internal error; see the log")
        data = body.encode("utf-8")
        ctype = "text/plain; charset=utf-8" if path == "/healthz" and status.startswith("200") else \
            "text/html; charset=utf-8"
        headers = [("Content-Type", ctype), ("Content-Length", str(len(data))), *SECURITY_HEADERS]
        if status.startswith("405"):
            headers.append(("Allow", "GET, HEAD"))
        start_response(status, headers)
        return [b""] if method == "HEAD" else [data]

    # --- pages ---------------------------------------------------------------------------

    def error(self, status: str, message: str) -> tuple[str, str]:
        return status, render("error.html.j2", status=status, message=message)

    def healthz(self, environ: Environ) -> tuple[str, str]:
        return "200 OK", "ok\n"

    def dashboard(self, environ: Environ) -> tuple[str, str]:
        from crawler.monitor.health import outlet_health
        from crawler.web.chart import volume_chart
        from crawler.web.queries import daily_volume, known_watchlists, recent_runs, recent_stories

        query = parse_query(environ)
        now = self.clock()
        with self.db.session() as s:
            watchlists = known_watchlists(s)
            filters = parse_filters(query, watchlists)
            stories = recent_stories(s, self.registry, now=now, days=filters.days, watchlist=filters.watchlist)
            health = outlet_health(s, self.registry, now)
            runs = recent_runs(s)
            volume = daily_volume(s, now=now)
        names = {o.id: o.name for o in self.registry.values()}
        return "200 OK", render("dashboard.html.j2", now=now, filters=filters, watchlists=watchlists,
                                stories=stories, health=health, runs=runs, names=names,
                                chart=volume_chart(volume, names))

    def feedback(self, environ: Environ) -> tuple[str, str]:
        from crawler.ops.common import OpsError
        from crawler.ops.feedback import record_token
        from crawler.ops.tokens import TokenError, load_secret, verify_token
        from crawler.store.models import Story

        query = parse_query(environ)
        token = query.get("t", "")
        if not token:
            raise BadRequest("피드백 토큰이 없습니다. 메일의 링크를 그대로 여세요. / "
                             "missing feedback token; open the link from the mail as it is")
        if len(token) > MAX_TOKEN:
            raise BadRequest("피드백 토큰이 너무 깁니다. / feedback token too long")
        try:
            secret = load_secret()
        except TokenError as exc:
            print(f"newswatch web: {exc}", file=environ.get("wsgi.errors", sys.stderr))
            return self.error("503 Service Unavailable",
                              "서버의 서명 키 설정에 문제가 있습니다. 관리자에게 알려 주세요. / "
                              "the server's signing secret is misconfigured")
        try:
            payload = verify_token(token, now=self.clock(), secret=secret)
        except TokenError as exc:
            raise BadRequest("유효하지 않거나 만료된 피드백 링크입니다. 최근 메일의 링크를 사용하거나 "
                             f"`newswatch label` 명령을 쓰세요. / invalid or expired feedback link: {exc}") from None
        try:
            with self.db.session() as s:
                outcome = record_token(s, payload)
                story = s.get(Story, outcome.story_id)
                title = story.title if story else ""
        except OpsError as exc:
            return self.error("404 Not Found", "이 기사는 더 이상 저장되어 있지 않습니다. / "
                                               f"the story is no longer stored ({exc})")
        outlet = self.registry[payload.outlet_id].name if payload.outlet_id in self.registry else payload.outlet_id
        return "200 OK", render("feedback.html.j2", verdict=payload.verdict, watchlist=payload.watchlist_id,
                                title=title, outlet=outlet)


def make_app(db: Any, registry: Mapping[str, Outlet],
             clock: Callable[[], datetime] | None = None) -> Dashboard:
    return Dashboard(db, registry, clock) if clock else Dashboard(db, registry)
