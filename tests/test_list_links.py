"""Any outlet's list page yields its articles (crawler/extract/listlinks.py, spiders/navigators.py).

List pages written here in the shapes the issue names: `/article/460`, `/news/2024/05/13/slug.html`
and `/view/<hash>` — URLs no id rule of crawler/dedupe/urls.py knows — each with the menus, section
tabs, tags, reporters and footer links a real page has around its list.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.extract.listlinks import ShapeBook, article_links, url_shape
from crawler.registry import Outlet
from spiders.navigators import navigator_for
from tests.support.cli import FAST, cli_env
from tests.support.env import ROOT

HOME = "https://www.gaon-ilbo.kr/"
HEADLINES = [
    "가온시 외국인 환자 유치 실적 역대 최대… 전년보다 32% 늘어",
    "가온구 보건소, 몽골 의료관광 코디네이터 초청 팸투어 진행",
    "시의회, 의료관광 특구 지정 촉구 건의안 채택",
    "가온대병원 국제진료센터 확장 개소… 통역 인력 두 배로",
    "카자흐스탄 알마티서 가온 의료관광 설명회 열려",
]

CHROME = """
<header><nav><ul>
  <li><a href="/section/politics">정치</a></li><li><a href="/section/economy">경제</a></li>
  <li><a href="/section/society">사회</a></li><li><a href="/section/culture">문화</a></li>
  <li><a href="/login">로그인</a></li><li><a href="/subscribe">구독신청</a></li>
</ul></nav></header>
<aside><h3>태그</h3><a href="/tag/의료관광">의료관광</a> <a href="/tag/팸투어">팸투어</a> <a href="/tag/외국인환자">외국인환자</a>
<h3>기자</h3><a href="/reporter/12">김가온 기자</a> <a href="/reporter/15">박세종 기자</a> <a href="/reporter/19">이한빛 기자</a></aside>
<footer><a href="/company/about">회사소개</a> <a href="/company/privacy">개인정보처리방침</a>
<a href="/company/youth">청소년보호정책</a> <a href="https://www.facebook.com/gaonilbo">페이스북 바로가기 링크</a></footer>
"""


def page(items: str) -> str:
    return f"""<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>가온일보 - 사회</title></head>
<body>{CHROME}<main><h2>사회</h2><ul class="list">{items}</ul>
<div class="paging"><a href="?page=1">1</a> <a href="?page=2">2</a> <a href="?page=3">다음</a></div></main></body></html>"""


def numbered_list() -> str:
    return page("".join(
        f'<li><a href="/article/{460 - i}"><img src="/t/{i}.jpg" alt=""></a>'
        f'<a href="/article/{460 - i}"><strong>{h}</strong></a><span class="date">2026.03.0{i + 1} 10:1{i}</span></li>'
        for i, h in enumerate(HEADLINES)))


def dated_slug_list() -> str:
    return page("".join(
        f'<li><a href="/news/2026/03/0{i + 1}/gaon-medical-story-{i}.html">{h}</a></li>'
        for i, h in enumerate(HEADLINES)))


def hash_list() -> str:
    hashes = ["a8f3c29e51b04d7f", "0c9b2e77f1a24e68", "5e1d0a93bc774f21", "d44a7c10e9b84b3a", "9f2e61b7a0c34d55"]
    return page("".join(f'<li><a href="/view/{x}">{h}</a></li>' for x, h in zip(hashes, HEADLINES, strict=True)))


def _outlet(family: str = "generic") -> Outlet:
    return Outlet(id="gaonilbo", name="가온일보", region="세종", home=HOME, family=family)


@pytest.mark.parametrize(("shape", "html", "first"), [
    ("/article/{n}", numbered_list(), "https://www.gaon-ilbo.kr/article/460"),
    ("/news/{n}/{n}/{n}/{s}.html", dated_slug_list(), "https://www.gaon-ilbo.kr/news/2026/03/01/gaon-medical-story-0.html"),
    ("/view/{h}", hash_list(), "https://www.gaon-ilbo.kr/view/a8f3c29e51b04d7f"),
])
def test_a_list_page_yields_its_articles_and_nothing_else(shape: str, html: str, first: str) -> None:
    entries = navigator_for(_outlet()).list_entries(html, HOME + "section/society")
    assert [e.title for e in entries] == HEADLINES
    assert entries[0].url == first
    assert {url_shape(e.url) for e in entries} == {"gaon-ilbo.kr" + shape}


def test_the_items_date_goes_with_the_entry() -> None:
    entries = navigator_for(_outlet()).list_entries(numbered_list(), HOME)
    assert entries[0].modified == "2026.03.01 10:10"


def test_menus_tags_reporters_and_footers_are_not_articles() -> None:
    assert navigator_for(_outlet()).list_entries(page(""), HOME) == []


def test_two_links_are_not_yet_a_list_but_a_confirmed_shape_is_taken_alone() -> None:
    two = page("".join(f'<li><a href="/article/{i}">{h}</a></li>' for i, h in enumerate(HEADLINES[:2])))
    nav = navigator_for(_outlet())
    assert nav.list_entries(two, HOME) == []
    book = ShapeBook()
    for i in range(2):
        book.record(f"{HOME}article/{100 + i}", is_article=True)
    assert [e.title for e in nav.list_entries(two, HOME, book)] == HEADLINES[:2]


def test_a_shape_whose_pages_are_not_articles_is_dropped() -> None:
    book = ShapeBook()
    for i in range(3):
        book.record(f"{HOME}article/{200 + i}", is_article=False)
    assert navigator_for(_outlet()).list_entries(numbered_list(), HOME, book) == []


def test_the_book_survives_storage_and_bad_data() -> None:
    book = ShapeBook()
    book.record(f"{HOME}article/1", is_article=True)
    book.record(f"{HOME}article/2", is_article=True)
    again = ShapeBook.loads(book.dumps())
    assert again.accepted("gaon-ilbo.kr/article/{n}") and not again.changed
    assert ShapeBook.loads("{not json").shapes == {} and ShapeBook.loads(None).shapes == {}


def test_the_id_rule_is_a_shortcut_for_a_single_link() -> None:
    one = page('<li><a href="/news/articleView.html?idxno=31">가온시 의료관광 홍보관 개관</a></li>')
    assert [e.url for e in navigator_for(_outlet()).list_entries(one, HOME)] == [
        "https://www.gaon-ilbo.kr/news/articleView.html?idxno=31"]


def test_feed_entries_of_a_generic_outlet_pass_without_an_id_rule() -> None:
    nav = navigator_for(_outlet())
    assert nav.is_article_url(HOME + "article/460")
    assert not nav.is_article_url(HOME) and not nav.is_article_url(HOME + "section/society")
    assert not navigator_for(_outlet("ndsoft")).is_article_url(HOME + "article/460")  # its CMS fixes the URL


def test_links_to_other_sites_never_count() -> None:
    html = numbered_list().replace('href="/article/', 'href="https://other.example/article/')
    assert article_links(html, HOME, site_url=HOME) == []


# --- a crawl: a generic outlet with such a list stores its articles and keeps the shape ----------

ARTICLE = """<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>{t}</title></head>
<body><h1>{t}</h1><p class="info">입력 2026-03-0{d} 10:10</p><article>
<p>{t}. 가온시는 외국인 환자 유치를 위해 현지 설명회와 팸투어를 이어가고 있다고 밝혔다.</p>
<p>시 관계자는 올해 의료관광 예산을 늘려 중앙아시아 시장을 넓히겠다고 말했다.</p></article></body></html>"""


class _Site(BaseHTTPRequestHandler):
    pages: dict[str, str] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = self.pages.get(urlsplit(self.path).path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain" if self.path.endswith(".txt") else "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        return


@pytest.fixture
def site() -> Iterator[str]:
    pages = {"/robots.txt": "User-agent: *\nAllow: /\n", "/section/society": numbered_list()}
    pages.update({f"/article/{460 - i}": ARTICLE.format(t=h, d=i + 1) for i, h in enumerate(HEADLINES)})
    handler = type("Handler", (_Site,), {"pages": pages})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_crawl_stores_the_articles_of_a_list_without_id_rule(site: str, tmp_path: Path, home: Path) -> None:
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from crawler.store.models import Article, ListShape

    registry = tmp_path / "outlets.toml"
    registry.write_text(
        f'[[outlet]]\nid = "gaonilbo"\nname = "가온일보"\nregion = "세종"\nhome = "{site}/"\n'
        f'family = "generic"\nlists = ["{site}/section/society"]\n', encoding="utf-8")
    env = cli_env(home, registry, NEWSWATCH_CPU_WORKERS="0")
    args = [sys.executable, "-m", "crawler.cli", "crawl", "gaonilbo", "--seed"]
    args += [x for kv in FAST if kv != "-s" for x in ("-s", kv)]
    r = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    engine = create_engine(f"sqlite:///{home / 'newswatch.db'}")
    with Session(engine) as s:
        urls = sorted(a.url for a in s.scalars(select(Article)))
        stored = {r.shape: (r.articles, r.other)
                  for r in s.scalars(select(ListShape).where(ListShape.outlet_id == "gaonilbo"))}
    engine.dispose()
    assert urls == sorted(f"{site}/article/{460 - i}" for i in range(5))
    # the shape its list links share is kept per outlet and confirmed by the pages they led to
    assert ShapeBook.of(stored).accepted(url_shape(f"{site}/article/1"))


def test_a_home_page_lists_a_few_stories_per_section() -> None:
    """Two stories per section are too few alone; the sections' links together are the list."""
    sections = ["society", "politics", "economy"]
    items = "".join(
        f'<li><a href="/news/{sections[i % 3]}/{9000 + i}">{h}</a> <em>2026-03-0{i + 1} 09:0{i}</em></li>'
        for i, h in enumerate(HEADLINES[:5]))
    entries = navigator_for(_outlet()).list_entries(page(items), HOME)
    assert [e.title for e in entries] == HEADLINES[:5]
    assert navigator_for(_outlet()).list_entries(page(""), HOME) == []
