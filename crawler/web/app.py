"""The dashboard as a WSGI application: read-only pages, plus the feedback a mail link carries.

Every request value is validated before it reaches a query: a bad one is a 400 page saying what
is wrong (escaped), never a 500. Routes: `/` (recent stories, outlet health, run history),
`/story?id=N` and `/outlet?id=X` (one story, one outlet), `/feedback` (GET: a confirmation page
that changes nothing, so link scanners record no vote; POST: records the one vote a signed token
carries), `/healthz` ("ok" once the database answers). With `feedback_only`, only `/feedback`
and `/healthz` exist: the office can reach them without reaching the rest.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import text

from crawler.alert.tokens import TokenError, load_secret, verify_token
from crawler.alert.views import watchlist_names
from crawler.monitor.health import outlet_health
from crawler.ops.common import OpsError
from crawler.ops.feedback import record_token
from crawler.registry import Outlet
from crawler.releases.digest import release_pickups
from crawler.store.models import Story
from crawler.web.chart import volume_chart
from crawler.web.queries import (
    daily_volume,
    known_watchlists,
    outlet_articles,
    recent_runs,
    recent_stories,
    story_alerts,
    story_versions,
)
from crawler.web.render import render

MAX_QUERY = 2048
MAX_TOKEN = 2048
MAX_DAYS = 365
DEFAULT_DAYS = 7
MAX_WATCHLIST = 64
MAX_FORM = 4096

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
        raise BadRequest(f"주소의 검색 조건이 너무 깁니다(최대 {MAX_QUERY}자).")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, max_num_fields=20, errors="replace")
    except ValueError:
        raise BadRequest("검색 조건이 너무 많습니다.") from None
    out: dict[str, str] = {}
    for key, value in pairs:
        if key in out:
            raise BadRequest("같은 검색 조건이 두 번 주어졌습니다.")
        out[key] = value
    return out


def _int_param(query: Mapping[str, str], key: str, what: str) -> int:
    text = query.get(key, "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 12):
        raise BadRequest(f"{what}가 올바르지 않습니다. 대시보드의 링크를 이용하세요.")
    return int(text)


def parse_filters(query: Mapping[str, str], watchlists: Iterable[str]) -> Filters:
    """`days` (1–365, default 7) and `watchlist` (a known id, or empty for all)."""
    text = query.get("days", "").strip()
    if not text:
        days = DEFAULT_DAYS
    elif not (text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= MAX_DAYS):
        raise BadRequest(f"기간은 1부터 {MAX_DAYS}까지의 날수로 적어 주세요: {text[:40]!r}")
    else:
        days = int(text)
    wl = query.get("watchlist", "").strip()
    if wl and wl not in set(watchlists):
        raise BadRequest(f"알 수 없는 관심 주제입니다: {wl[:MAX_WATCHLIST]!r}")
    return Filters(wl or None, days)


class Dashboard:
    """The WSGI callable. `clock` is injectable for tests; the database is opened by the caller."""

    def __init__(self, db: Any, registry: Mapping[str, Outlet],
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), *,
                 feedback_only: bool = False) -> None:
        self.db, self.registry, self.clock = db, dict(registry), clock
        self.routes: dict[str, Callable[[Environ], tuple[str, str]]] = {
            "/feedback": self.feedback, "/healthz": self.healthz}
        if not feedback_only:
            self.routes.update({"/": self.dashboard, "/story": self.story_page, "/outlet": self.outlet_page})

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/") or "/"
        allowed = "GET, HEAD, POST" if path == "/feedback" else "GET, HEAD"
        try:
            handler = self.routes.get(path)
            if handler is None:
                status, body = self.error("404 Not Found", "페이지를 찾을 수 없습니다.")
            elif method not in allowed.split(", "):
                status, body = self.error("405 Method Not Allowed", "이 주소에서는 그 요청을 받지 않습니다.")
            elif method == "POST":
                status, body = self.vote(environ)
            else:
                status, body = handler(environ)
        except BadRequest as exc:
            status, body = self.error("400 Bad Request", str(exc))
        except Exception:  # noqa: BLE001 - a page must never show a traceback
            print(traceback.format_exc(), file=environ.get("wsgi.errors", sys.stderr))
            status, body = self.error("500 Internal Server Error",
                                      "서버 오류가 발생했습니다. 운영 담당자에게 알려 주세요.")
        data = body.encode("utf-8")
        ctype = "text/plain; charset=utf-8" if path == "/healthz" and status[:3] in ("200", "503") else \
            "text/html; charset=utf-8"
        headers = [("Content-Type", ctype), ("Content-Length", str(len(data))), *SECURITY_HEADERS]
        if status.startswith("405"):
            headers.append(("Allow", allowed))
        start_response(status, headers)
        return [b""] if method == "HEAD" else [data]

    # --- pages ---------------------------------------------------------------------------

    def error(self, status: str, message: str) -> tuple[str, str]:
        return status, render("error.html.j2", status=status, message=message)

    def healthz(self, environ: Environ) -> tuple[str, str]:
        """"ok" once the database answers a query; 503 with the reason otherwise."""
        try:
            with self.db.session() as s:
                s.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
            print(f"newswatch web: /healthz: database unavailable: {exc}", file=environ.get("wsgi.errors", sys.stderr))
            return "503 Service Unavailable", "database unavailable\n"
        return "200 OK", "ok\n"

    def dashboard(self, environ: Environ) -> tuple[str, str]:
        query = parse_query(environ)
        now = self.clock()
        with self.db.session() as s:
            watchlists = known_watchlists(s)
            filters = parse_filters(query, watchlists)
            stories = recent_stories(s, self.registry, now=now, days=filters.days, watchlist=filters.watchlist)
            health = outlet_health(s, self.registry, now)
            runs = recent_runs(s)
            volume = daily_volume(s, now=now)
            pickups = release_pickups(s, self.registry, now=now, days=filters.days)

        names = {o.id: o.name for o in self.registry.values()}
        return "200 OK", render("dashboard.html.j2", now=now, filters=filters, watchlists=watchlists,
                                wl_names=watchlist_names(watchlists), stories=stories, health=health,
                                runs=runs, names=names, chart=volume_chart(volume, names), releases=pickups)

    def story_page(self, environ: Environ) -> tuple[str, str]:
        """One story: every outlet and version, why it matched, what was mailed, the labels."""
        story_id = _int_param(parse_query(environ), "id", "보도 번호")
        with self.db.session() as s:
            found = recent_stories(s, self.registry, now=self.clock(), days=MAX_DAYS, story_ids=[story_id])
            if not found:
                return self.error("404 Not Found", f"{story_id}번 보도는 관심 주제에 맞는 보도로 저장되어 있지 않습니다.")
            versions = story_versions(s, story_id)
            alerts = story_alerts(s, story_id)
        names = {o.id: o.name for o in self.registry.values()}
        return "200 OK", render("story.html.j2", now=self.clock(), s=found[0], versions=versions,
                                alerts=alerts, names=names)

    def outlet_page(self, environ: Environ) -> tuple[str, str]:
        """One outlet: its health checks and newest articles."""
        outlet_id = parse_query(environ).get("id", "").strip()
        if outlet_id not in self.registry:
            return self.error("404 Not Found", "등록된 매체가 아닙니다. 대시보드의 매체 목록에서 고르세요.")
        now = self.clock()
        with self.db.session() as s:
            health = [h for h in outlet_health(s, {outlet_id: self.registry[outlet_id]}, now)
                      if h.outlet_id == outlet_id]
            articles = outlet_articles(s, outlet_id)
        return "200 OK", render("outlet.html.j2", now=now, outlet=self.registry[outlet_id],
                                health=health[0] if health else None, articles=articles)

    def _payload(self, token: str, environ: Environ) -> Any:
        """The verified payload of a feedback token; BadRequest / 503 page text otherwise."""
        if not token:
            raise BadRequest("피드백 링크가 잘렸습니다. 메일의 ‘관련 있음/관련 없음’ 단추를 다시 눌러 주세요.")
        if len(token) > MAX_TOKEN:
            raise BadRequest("피드백 링크가 너무 깁니다. 메일의 단추를 다시 눌러 주세요.")
        try:
            secret = load_secret()
        except TokenError as exc:
            print(f"newswatch web: {exc}", file=environ.get("wsgi.errors", sys.stderr))
            raise _Unavailable("서버 설정에 문제가 있어 의견을 받을 수 없습니다. 운영 담당자에게 알려 주세요.") from None
        try:
            return verify_token(token, now=self.clock(), secret=secret)
        except TokenError as exc:
            print(f"newswatch web: feedback token refused: {exc}", file=environ.get("wsgi.errors", sys.stderr))
            raise BadRequest("유효하지 않거나 기간(30일)이 지난 링크입니다. 최근 메일의 단추를 눌러 주세요.") from None

    def feedback(self, environ: Environ) -> tuple[str, str]:
        """GET/HEAD: the confirmation page with a POST button; nothing is recorded."""
        token = parse_query(environ).get("t", "")
        try:
            payload = self._payload(token, environ)
        except _Unavailable as exc:
            return self.error("503 Service Unavailable", str(exc))
        with self.db.session() as s:
            story = s.get(Story, payload.story_id)
            title = story.title if story else ""
        if not title:
            return self.error("404 Not Found", "이 보도는 더 이상 저장되어 있지 않습니다.")
        return "200 OK", render("feedback.html.j2", stage="confirm", verdict=payload.verdict, token=token,
                                watchlist=self._watchlist_name(payload.watchlist_id), title=title,
                                outlet=self._outlet_name(payload.outlet_id))

    def vote(self, environ: Environ) -> tuple[str, str]:
        """POST /feedback: record the vote the token carries (the recipient's last vote wins)."""
        form = parse_form(environ)
        token = form.get("t", "")
        try:
            payload = self._payload(token, environ)
        except _Unavailable as exc:
            return self.error("503 Service Unavailable", str(exc))
        try:
            with self.db.session() as s:
                record_token(s, payload)
                story = s.get(Story, payload.story_id)
                title = story.title if story else ""
        except OpsError as exc:
            print(f"newswatch web: feedback not recorded: {exc}", file=environ.get("wsgi.errors", sys.stderr))
            return self.error("404 Not Found", "이 보도는 더 이상 저장되어 있지 않아 의견을 기록하지 못했습니다.")
        return "200 OK", render("feedback.html.j2", stage="done", verdict=payload.verdict, token=token,
                                watchlist=self._watchlist_name(payload.watchlist_id), title=title,
                                outlet=self._outlet_name(payload.outlet_id))

    def _outlet_name(self, outlet_id: str | None) -> str:
        if not outlet_id:
            return ""
        return self.registry[outlet_id].name if outlet_id in self.registry else "(목록에서 빠진 매체)"

    @staticmethod
    def _watchlist_name(watchlist_id: str) -> str:
        return watchlist_names([watchlist_id])[watchlist_id]


class _Unavailable(Exception):
    """The server cannot take feedback now (its signing secret); shown as a 503 page."""


def parse_form(environ: Environ) -> dict[str, str]:
    """An urlencoded POST body as a dict; BadRequest for a missing, oversized or repeated-key one."""
    ctype = (environ.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise BadRequest("의견은 확인 화면의 단추로 보내 주세요.")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if not 0 < length <= MAX_FORM:
        raise BadRequest("요청 본문이 비었거나 너무 깁니다. 확인 화면의 단추로 다시 보내 주세요.")
    raw = environ["wsgi.input"].read(length).decode("ascii", errors="replace")
    return parse_query({"QUERY_STRING": raw})


def make_app(db: Any, registry: Mapping[str, Outlet],
             clock: Callable[[], datetime] | None = None, *, feedback_only: bool = False) -> Dashboard:
    if clock:
        return Dashboard(db, registry, clock, feedback_only=feedback_only)
    return Dashboard(db, registry, feedback_only=feedback_only)
