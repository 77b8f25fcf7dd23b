"""JS-rendered outlets: `render = "js"` crawls through scrapy-playwright and the system Chromium.

A tiny local site builds its list and its article with JavaScript (the HTML as served holds no
link and no text). `scrapy crawl <outlet>` must store the article; a crawl of an outlet without
`render = "js"` must never start a browser; browser pages are all closed at the end.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from crawler.store.models import Article
from tests.support.browser import alive, run_watching_browsers
from tests.support.cli import FAST, cli_env
from tests.support.env import ROOT

TITLE = "가온구, 카자흐스탄 의료관광 설명회서 환자 상담"
BODY = [
    "가온구는 카자흐스탄 알마티에서 열린 의료관광 설명회에 구내 병원 네 곳과 함께 참가했다고 밝혔다.",
    "참가 병원들은 현지 환자 120여 명과 일대일 상담을 진행하고 현지 유치 업체와 협력 방안을 논의했다.",
    "구 관계자는 중앙아시아 환자 유치를 위해 현지 홍보를 이어가겠다고 말했다.",
]

JS_LIST = """<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>가온신문 - 구정</title></head>
<body><div id="app">불러오는 중…</div>
<script>
const items = [[7, "__TITLE__"]];
const ul = document.createElement("ul");
for (const [idx, title] of items) {
  const li = document.createElement("li");
  const a = document.createElement("a");
  a.href = "/news/view.html?idx=" + idx;
  a.textContent = title;
  li.appendChild(a); ul.appendChild(li);
}
document.getElementById("app").replaceChildren(ul);
</script></body></html>"""

JS_ARTICLE = """<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>가온신문</title></head>
<body><div id="app"></div>
<script>
const data = __DATA__;
const app = document.getElementById("app");
const h1 = document.createElement("h1"); h1.textContent = data.title; app.appendChild(h1);
const info = document.createElement("p"); info.className = "info"; info.textContent = "입력 2026-01-02 11:10"; app.appendChild(info);
const body = document.createElement("article");
for (const text of data.body) { const p = document.createElement("p"); p.textContent = text; body.appendChild(p); }
app.appendChild(body);
</script></body></html>"""

STATIC_LIST = """<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>가온신문 - 정적</title></head>
<body><ul><li><a href="/static/view.html?idx=9">__TITLE__</a></li></ul></body></html>"""

STATIC_ARTICLE = """<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>가온신문</title></head>
<body><h1>__TITLE__</h1><p class="info">입력 2026-01-02 11:10</p><article>__PARAS__</article></body></html>"""


def _pages() -> dict[str, str]:
    data = json.dumps({"title": TITLE, "body": BODY}, ensure_ascii=False)
    return {
        "/robots.txt": "User-agent: *\nAllow: /\n",
        "/news/list.html": JS_LIST.replace("__TITLE__", TITLE),
        "/news/view.html": JS_ARTICLE.replace("__DATA__", data),
        "/static/list.html": STATIC_LIST.replace("__TITLE__", TITLE),
        "/static/view.html": STATIC_ARTICLE.replace("__TITLE__", TITLE).replace(
            "__PARAS__", "".join(f"<p>{p}</p>" for p in BODY)),
    }


class _Handler(BaseHTTPRequestHandler):
    pages: dict[str, str] = {}
    seen: list[tuple[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path = urlsplit(self.path).path
        self.seen.append((path, self.headers.get("User-Agent", "")))
        page = self.pages.get(path)
        if page is None:
            self.send_response(404)
            self.end_headers()
            return
        data = page.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8" if path.endswith(".txt") else "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        return


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    handler = type("Handler", (_Handler,), {"pages": _pages(), "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.seen
    finally:
        server.shutdown()
        server.server_close()


def _registry(path: Path, base: str) -> Path:
    path.write_text(
        f'[[outlet]]\nid = "gaonjs"\nname = "가온신문"\nregion = "세종"\nhome = "{base}/news/"\n'
        f'family = "generic"\nlists = ["{base}/news/list.html"]\nrender = "js"\n\n'
        f'[[outlet]]\nid = "gaonhttp"\nname = "가온신문 정적판"\nregion = "세종"\nhome = "{base}/static/"\n'
        f'family = "generic"\nlists = ["{base}/static/list.html"]\n',
        encoding="utf-8",
    )
    return path


class JsListsMiddleware:
    """Marks list requests of JS outlets for Playwright too (the spider marks only articles)."""

    def process_request(self, request: Any, spider: Any) -> None:
        if request.meta.get("kind") == "list" and not request.meta.get("playwright"):
            outlet = spider.ctx.registry.get(request.meta.get("outlet", ""))
            if outlet is not None and outlet.render == "js":
                request.meta["playwright"] = True


def abort_external(request: Any) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: the browser may load nothing but the local test site."""
    return urlsplit(request.url).hostname not in ("127.0.0.1", "localhost")


def _middlewares() -> str:
    import settings

    merged = dict(settings.DOWNLOADER_MIDDLEWARES)
    merged["tests.test_render_js.JsListsMiddleware"] = 50
    return json.dumps(merged)


def _crawl(outlet: str, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], set[int]]:
    """`scrapy crawl OUTLET`, and the Chromium processes it started."""
    args = [sys.executable, "-m", "scrapy", "crawl", outlet, *FAST, "-s", "DOWNLOAD_TIMEOUT=30",
            "-s", f"DOWNLOADER_MIDDLEWARES={_middlewares()}",
            "-s", "PLAYWRIGHT_ABORT_REQUEST=tests.test_render_js.abort_external",
            "-s", "LOG_LEVEL=INFO"]
    return run_watching_browsers(args, env)


def _stats(stderr: str) -> dict[str, Any]:
    """The 'Dumping Scrapy stats' block of a crawl log, as a dict (best effort)."""
    start = stderr.rfind("Dumping Scrapy stats:")
    if start < 0:
        return {}
    block = stderr[stderr.index("{", start) : stderr.index("}", start) + 1]
    import ast

    return ast.literal_eval(block.replace("datetime.datetime", "").replace("tzinfo=datetime.timezone.utc", ""))  # type: ignore[no-any-return]


def _articles(home: Path) -> list[Article]:
    engine = create_engine(f"sqlite:///{home / 'newswatch.db'}")
    with Session(engine) as s:
        rows = list(s.scalars(select(Article)))
    engine.dispose()
    return rows


def test_js_outlet_is_rendered_and_stored(site, chromium: str, tmp_path: Path, home: Path) -> None:  # type: ignore[no-untyped-def]
    base, seen = site
    env = cli_env(home, _registry(tmp_path / "outlets.toml", base))
    r, browsers = _crawl("gaonjs", env)
    assert r.returncode == 0, r.stderr[-3000:]
    stored = [a for a in _articles(home) if a.outlet_id == "gaonjs"]
    assert [a.url for a in stored] == [f"{base}/news/view.html?idx=7"], r.stderr[-3000:]
    assert stored[0].title == TITLE and BODY[1] in stored[0].body
    assert browsers, "a JS outlet renders in Chromium"
    assert not [pid for pid in browsers if alive(pid)], "Chromium outlived the crawl"
    stats = _stats(r.stderr)
    assert stats.get("playwright/page_count", 0) >= 2  # the list and the article
    assert stats.get("playwright/page_count/closed") == stats.get("playwright/page_count")
    # the browser sends the crawler's own User-Agent too (scrapy-playwright passes Scrapy's headers)
    assert {ua for path, ua in seen if path.startswith("/news/")} == {ua for path, ua in seen if path == "/robots.txt"}
    assert all(ua.startswith("newswatch/") for _, ua in seen)


def test_plain_outlet_never_starts_a_browser(site, chromium: str, tmp_path: Path, home: Path) -> None:  # type: ignore[no-untyped-def]
    base, _ = site
    env = cli_env(home, _registry(tmp_path / "outlets.toml", base))
    r, browsers = _crawl("gaonhttp", env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert [a.url for a in _articles(home) if a.outlet_id == "gaonhttp"] == [f"{base}/static/view.html?idx=9"]
    assert not browsers
    assert "scrapy_playwright" not in r.stderr and not any(k.startswith("playwright/") for k in _stats(r.stderr))


def test_no_page_is_kept_open_for_callbacks() -> None:
    """`playwright_include_page` hands pages to callbacks, which must then close them: never used."""
    sources = [p.read_text(encoding="utf-8") for p in (ROOT / "spiders").glob("*.py")]
    sources += [p.read_text(encoding="utf-8") for p in (ROOT / "crawler").rglob("*.py")]
    assert not any("playwright_include_page" in s for s in sources)


# --- every path: `newswatch crawl` and a scheduler tick render JS outlets too (issue 22, item 7) ---

def _newswatch_crawl(outlet: str, env: dict[str, str]) -> list[str]:
    args = [f"{a}" for a in FAST if a != "-s"]
    return [sys.executable, "-m", "crawler.cli", "crawl", outlet, *[x for kv in args for x in ("-s", kv)],
            "-s", "PLAYWRIGHT_ABORT_REQUEST=tests.test_render_js.abort_external", "-s", "DOWNLOAD_TIMEOUT=30"]


def test_newswatch_crawl_renders_a_js_outlet(site, chromium: str, tmp_path: Path, home: Path) -> None:  # type: ignore[no-untyped-def]
    base, _ = site
    env = cli_env(home, _registry(tmp_path / "outlets.toml", base), NEWSWATCH_CPU_WORKERS="0")
    r, browsers = run_watching_browsers(_newswatch_crawl("gaonjs", env), env)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    stored = [a for a in _articles(home) if a.outlet_id == "gaonjs"]
    assert [a.url for a in stored] == [f"{base}/news/view.html?idx=7"], r.stderr[-3000:]
    assert stored[0].title == TITLE and BODY[1] in stored[0].body
    assert browsers and not [pid for pid in browsers if alive(pid)], "Chromium rendered, then closed"


def test_newswatch_crawl_of_a_plain_outlet_starts_no_browser(site, chromium: str, tmp_path: Path, home: Path) -> None:  # type: ignore[no-untyped-def]
    base, _ = site
    env = cli_env(home, _registry(tmp_path / "outlets.toml", base), NEWSWATCH_CPU_WORKERS="0")
    r, browsers = run_watching_browsers(_newswatch_crawl("gaonhttp", env), env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert [a.url for a in _articles(home) if a.outlet_id == "gaonhttp"] == [f"{base}/static/view.html?idx=9"]
    assert not browsers and "scrapy_playwright" not in r.stderr


def test_a_scheduler_tick_renders_a_js_outlet(site, chromium: str, tmp_path: Path, home: Path,  # type: ignore[no-untyped-def]
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from crawler.schedule.tick import TickRunner

    base, _ = site
    for key, value in cli_env(home, _registry(tmp_path / "outlets.toml", base), NEWSWATCH_CPU_WORKERS="0").items():
        monkeypatch.setenv(key, value)
    extra = tuple(_newswatch_crawl("gaonjs", {})[4:])  # what follows `crawl`: the outlet and settings
    result = TickRunner(timedelta(seconds=240), timedelta(seconds=5), extra_args=extra).run("test")
    assert result.outcome == "ok", result.detail
    stored = [a for a in _articles(home) if a.outlet_id == "gaonjs"]
    assert [a.url for a in stored] == [f"{base}/news/view.html?idx=7"]
    assert BODY[1] in stored[0].body


def test_each_path_gives_the_handler_only_to_crawls_with_a_js_outlet(tmp_path: Path) -> None:
    """`newswatch crawl`/tick (chosen outlets), `newswatch worker` (any outlet) and `scrapy crawl`."""
    from scrapy.settings import Settings

    from crawler.crawl.project import PLAYWRIGHT_HANDLER
    from spiders.base import OutletSpider
    from spiders.loader import RegistrySpiderLoader
    from spiders.worker import WorkerSpider

    registry = _registry(tmp_path / "outlets.toml", "http://127.0.0.1:9")

    def handlers(spidercls: Any, **values: Any) -> dict[str, Any]:
        settings = Settings({"NEWSWATCH_OUTLETS_FILE": str(registry), **values})
        spidercls.update_settings(settings)
        return dict(settings.getdict("DOWNLOAD_HANDLERS"))

    js = {"http": PLAYWRIGHT_HANDLER, "https": PLAYWRIGHT_HANDLER}
    assert handlers(OutletSpider, NEWSWATCH_CRAWL_OUTLETS=["gaonjs", "gaonhttp"]) == js
    assert handlers(OutletSpider, NEWSWATCH_CRAWL_OUTLETS=["gaonhttp"]) == {}
    assert handlers(WorkerSpider) == js  # a worker may be handed any outlet of the registry
    loader = RegistrySpiderLoader(Settings({"NEWSWATCH_OUTLETS_FILE": str(registry)}))
    assert handlers(loader.load("gaonjs")) == js and handlers(loader.load("gaonhttp")) == {}
    assert handlers(OutletSpider, NEWSWATCH_CRAWL_OUTLETS=["gaonjs"], DOWNLOAD_HANDLERS={"ftp": None}) == {**js, "ftp": None}
