"""The bundled demo sites: what they serve, how they answer, and the content they carry."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from lxml import etree
from parsel import Selector

from crawler.demosites import (
    SiteServer,
    article_url,
    demo_articles,
    demo_outlets,
    parse_anchor,
    scale_outlets,
)
from crawler.demosites.content import DemoArticle, find_article
from crawler.demosites.faults import FaultError, parse_fault
from crawler.demosites.scale import ScaleError, parse_scale
from crawler.registry import load_registry

ROOT = Path(__file__).resolve().parents[1]
ANCHOR = parse_anchor("2026-01-02T12:00:00+09:00")
DC_DATE = "{http://purl.org/dc/elements/1.1/}date"


# --- helpers -----------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(
    url: str, headers: dict[str, str] | None = None, timeout: float = 10
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) without following redirects; error statuses are returned too."""
    request = urllib.request.Request(
        url, headers={"User-Agent": "newswatch-tests", **(headers or {})}
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def get(url: str) -> bytes:
    status, _, body = fetch(url)
    assert status == 200, url
    return body


def html(url: str, encoding: str = "utf-8") -> Selector:
    return Selector(text=get(url).decode(encoding))


def free_port_base(count: int) -> int:
    """A base port with `count` free ports after it."""
    for base in range(23000, 60000, 997):
        sockets = []
        try:
            for i in range(count):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", base + i))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no free port range")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    log = tmp_path_factory.mktemp("sites") / "requests.jsonl"
    with SiteServer(demo_outlets(), ANCHOR, log_path=log) as server:
        yield server


@pytest.fixture(scope="module")
def articles() -> list[DemoArticle]:
    return demo_articles(ANCHOR)


def url_of(server: SiteServer, articles: list[DemoArticle], outlet: str, article_id: int) -> str:
    return article_url(server.urls[outlet], find_article(articles, outlet, article_id))


# --- feeds -------------------------------------------------------------------------------------


def test_feed_is_rss_with_the_20_newest_items(
    demo: SiteServer, articles: list[DemoArticle]
) -> None:
    root = ET.fromstring(get(demo.urls["incheonnuri"] + "rss/allArticle.xml"))
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = root.findall("channel/item")
    assert len(items) == 20
    dates = [parsedate_to_datetime(i.findtext("pubDate", "")) for i in items]
    assert dates == sorted(dates, reverse=True)
    assert all(i.findtext("pubDate", "").endswith("+0900") for i in items)
    ours = sorted(
        (a for a in articles if a.outlet == "incheonnuri"),
        key=lambda a: a.published_at,
        reverse=True,
    )
    assert [i.findtext("link") for i in items] == [
        url_of(demo, articles, "incheonnuri", a.id) for a in ours[:20]
    ]
    first = items[0]
    assert first.findtext("title") == ours[0].title
    assert first.findtext("author") == f"{ours[0].reporter} 기자"
    assert first.findtext("description")


def test_section_feed_holds_only_its_section(demo: SiteServer) -> None:
    root = ET.fromstring(get(demo.urls["incheonnuri"] + "rss/S1N5.xml"))
    assert {i.findtext("category") for i in root.iter("item")} == {"보건·복지"}


def test_gnuboard_feed_uses_dc_date(demo: SiteServer, articles: list[DemoArticle]) -> None:
    root = ET.fromstring(get(demo.urls["hanbitmedi"] + "bbs/rss.php?bo_table=news"))
    items = root.findall("channel/item")
    assert len(items) == len([a for a in articles if a.outlet == "hanbitmedi"])
    assert items[0].findtext("link") == url_of(demo, articles, "hanbitmedi", 5001)
    assert items[0].findtext(DC_DATE, "").endswith("+09:00")


# --- lists -------------------------------------------------------------------------------------


def test_all_articles_list_pages_by_ten(demo: SiteServer, articles: list[DemoArticle]) -> None:
    base = demo.urls["incheonnuri"] + "news/articleList.html?view_type=sm"
    total = len([a for a in articles if a.outlet == "incheonnuri"])
    assert total > 20
    seen: list[str] = []
    for page in (1, 2, 3):
        sel = html(f"{base}&page={page}")
        rows = sel.css("#section-list > ul > li")
        assert len(rows) == (10 if page < 3 else total - 20)
        for row in rows:
            assert (
                row.css(".titles a::attr(href)").get().startswith("/news/articleView.html?idxno=")
            )
            assert row.css(".lead").get()
            assert any(em.count(".") == 2 for em in row.css(".byline em::text").getall())
        seen += rows.css(".titles a::attr(href)").getall()
        assert sel.css(".pagination-end a::attr(href)").get().endswith("page=3")
    assert len(set(seen)) == total
    assert html(f"{base}&page=4").css("#section-list > ul > li .titles") == []
    assert (
        get(base)
        == get(f"{base}&page=1")
        == get(demo.urls["incheonnuri"] + "news/articleList.html?page=1&view_type=sm")
    )


def test_section_list(demo: SiteServer) -> None:
    sel = html(demo.urls["incheonnuri"] + "news/articleList.html?sc_section_code=S1N5&view_type=sm")
    rows = sel.css("#section-list > ul > li")
    assert rows and {row.css(".byline em::text").get() for row in rows} == {"보건·복지"}


def test_gnuboard_list_pages(demo: SiteServer) -> None:
    base = demo.urls["hanbitmedi"] + "bbs/board.php?bo_table=news"
    first = html(base).css("#bo_list tbody tr a[href*='wr_id=']::attr(href)").getall()
    second = html(base + "&page=2").css("#bo_list tbody tr a[href*='wr_id=']::attr(href)").getall()
    assert len(first) == 10 and len(second) == 1
    assert not set(first) & set(second)


# --- article pages -----------------------------------------------------------------------------


def test_ndsoft_article_carries_the_family_markers(
    demo: SiteServer, articles: list[DemoArticle]
) -> None:
    article = find_article(articles, "incheonnuri", 1002)
    url = article_url(demo.urls["incheonnuri"], article)
    sel = html(url)
    assert sel.css("h1.heading::text").get() == article.title
    assert sel.css("h2.subheading::text").get() == article.subtitle
    info = sel.css("ul.infomation > li")
    assert info[0].css("i.icon-user-o") and "이하은 기자" in info[0].get()
    assert "입력 " + article.published_at.strftime("%Y.%m.%d %H:%M") in info[1].get()
    assert article.modified_at is not None
    assert "수정 " + article.modified_at.strftime("%Y.%m.%d %H:%M") in info[2].get()
    body = sel.css("article#article-view-content-div[itemprop=articleBody].article-veiw-body")
    assert body.css("p::text").getall() == list(article.paragraphs)
    assert body.css("figure img") and body.css("figure figcaption::text").get() == article.caption
    text = sel.get()
    assert "저작권자 © 인천누리일보 무단전재 및 재배포 금지" in text
    for chrome in (
        "기사 메일전송",
        "인쇄",
        "글씨키우기",
        "관련기사",
        "가장 많이 본 뉴스",
        "최신뉴스",
        "기상청 제공",
        "2026년 01월 02일 (금)",
    ):
        assert chrome in text, chrome
    assert "haeun@incheonnuri.example" in text
    assert sel.css("meta[property='og:title']::attr(content)").get() == article.title
    assert sel.css("meta[property='og:url']::attr(content)").get() == url
    assert sel.css("link[rel=canonical]::attr(href)").get() == url
    assert (
        sel.css("link[rel=alternate][type='application/rss+xml']::attr(href)").get()
        == "/rss/allArticle.xml"
    )
    assert sel.css(".breadcrumbs a::text").getall()[-1] == article.section.name


@pytest.mark.parametrize(
    ("outlet", "article_id", "expected"),
    [
        ("incheonnuri", 1002, "2026-01-01T16:00:00+09:00"),
        ("ydpharu", 2001, "2026-01-01T18:00:00Z"),
        ("dalgubeol", 3002, None),
    ],
)
def test_published_time_styles(
    demo: SiteServer,
    articles: list[DemoArticle],
    outlet: str,
    article_id: int,
    expected: str | None,
) -> None:
    encoding = "cp949" if outlet == "dalgubeol" else "utf-8"
    sel = html(url_of(demo, articles, outlet, article_id), encoding)
    assert sel.css("meta[property='article:published_time']::attr(content)").get() == expected


def test_home_page_also_has_the_body_id(demo: SiteServer) -> None:
    sel = html(demo.urls["incheonnuri"])
    assert sel.css("article#article-view-content-div")
    assert not sel.css("h1.heading, ul.infomation")


def test_hard_negative_pages_carry_matching_words_in_chrome_only(
    demo: SiteServer, articles: list[DemoArticle]
) -> None:
    hard = [
        a
        for a in articles
        if a.outlet == "incheonnuri" and a.kind == "hard-negative" and "의료관광" not in a.body
    ]
    assert len(hard) >= 5
    for article in hard:
        sel = html(url_of(demo, articles, "incheonnuri", article.id))
        assert "의료관광" not in "".join(sel.css("#article-view-content-div ::text").getall())
        assert "의료관광" in "".join(sel.css("#user-aside ::text").getall())


def test_reference_two_most_read_is_unrelated_local_news(
    demo: SiteServer, articles: list[DemoArticle]
) -> None:
    sel = html(url_of(demo, articles, "ydpharu", 2001))
    assert sel.css("h3.heading::text").get() == find_article(articles, "ydpharu", 2001).title
    assert len(sel.css("h2.subheading br")) == 1
    popular = {int(h.split("=")[-1]) for h in sel.css(".popular a::attr(href)").getall()}
    assert popular and not any(
        find_article(articles, "ydpharu", i).expect_relevant for i in popular
    )
    published = find_article(articles, "ydpharu", 2001).published_at.strftime("%Y.%m.%d %H:%M")
    for chrome in ("목록 바로가기", "기사 메일전송", "인쇄", f"등록 {published}"):
        assert chrome in sel.get(), chrome


def test_gnuboard_article(demo: SiteServer, articles: list[DemoArticle]) -> None:
    article = find_article(articles, "hanbitmedi", 5001)
    sel = html(article_url(demo.urls["hanbitmedi"], article))
    assert sel.css("#bo_v_title .bo_v_tit::text").get() == article.title
    info = "".join(sel.css("#bo_v_info ::text").getall())
    assert "백승아 기자" in info and "26-01-02 10:00" in info
    assert sel.css("#bo_v_con p::text").getall() == list(article.paragraphs)
    text = sel.get()
    for chrome in (
        "기상청 제공",
        "2026년 01월 02일 (금)",
        "관련기사",
        "가장 많이 본 뉴스",
        "최신뉴스",
    ):
        assert chrome in text, chrome
    assert sel.css("#bo_v_con figcaption::text").get() == article.caption


# --- HTTP behaviour ----------------------------------------------------------------------------


def test_conditional_get(demo: SiteServer, articles: list[DemoArticle]) -> None:
    for url in (
        demo.urls["incheonnuri"] + "rss/allArticle.xml",
        url_of(demo, articles, "hanbitmedi", 5001),
    ):
        status, headers, body = fetch(url)
        assert status == 200 and headers["ETag"] and headers["Last-Modified"]
        status, again, body = fetch(url, {"If-None-Match": headers["ETag"]})
        assert status == 304 and body == b"" and again["ETag"] == headers["ETag"]
        assert fetch(url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
        assert fetch(url, {"If-None-Match": '"stale"'})[0] == 200
        assert fetch(url, {"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"})[0] == 200


def test_last_modified_of_an_article_is_its_modified_time(
    demo: SiteServer, articles: list[DemoArticle]
) -> None:
    article = find_article(articles, "incheonnuri", 1002)
    _, headers, _ = fetch(article_url(demo.urls["incheonnuri"], article))
    assert parsedate_to_datetime(headers["Last-Modified"]) == article.modified_at


def test_unknown_paths_are_404(demo: SiteServer) -> None:
    for path in (
        "nothing",
        "news/articleView.html?idxno=999999",
        "news/articleView.html?idxno=x",
        "rss/S1N42.xml",
        "bbs/board.php?bo_table=news",
    ):
        assert fetch(demo.urls["incheonnuri"] + path)[0] == 404, path
    assert fetch(demo.urls["hanbitmedi"] + "bbs/board.php?bo_table=free")[0] == 404


def test_euc_kr_outlet(demo: SiteServer, articles: list[DemoArticle]) -> None:
    status, headers, body = fetch(url_of(demo, articles, "dalgubeol", 3006))
    assert headers["Content-Type"] == "text/html; charset=euc-kr"
    text = body.decode("cp949")
    assert 'charset=euc-kr"' in text
    assert "똠" in text  # a syllable EUC-KR proper lacks
    with pytest.raises(UnicodeDecodeError):
        body.decode("euc_kr")
    feed = get(demo.urls["dalgubeol"] + "rss/allArticle.xml")
    assert feed.startswith(b'<?xml version="1.0" encoding="euc-kr"?>')
    feed.decode("euc_kr")  # titles and leads stay within EUC-KR
    assert (
        len(etree.fromstring(feed).findall("channel/item")) == 7
    )  # lxml reads EUC-KR; expat cannot


def test_robots_txt(demo: SiteServer, articles: list[DemoArticle]) -> None:
    for outlet, url in demo.urls.items():
        text = get(url + "robots.txt").decode()
        assert text.startswith("User-agent: *\n") and "Disallow: /admin/\n" in text, outlet
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(get(demo.urls["incheonnuri"] + "robots.txt").decode().splitlines())
    base = demo.urls["incheonnuri"]
    assert not parser.can_fetch(
        "newswatch", base + "news/articleList.html?sc_section_code=S1N9&view_type=sm"
    )
    assert parser.can_fetch(
        "newswatch", base + "news/articleList.html?sc_section_code=S1N5&view_type=sm"
    )
    blocked = [a for a in articles if a.robots_blocked]
    assert [(a.outlet, a.id) for a in blocked] == [("incheonnuri", 1020)]
    assert not parser.can_fetch("newswatch", article_url(base, blocked[0]))
    assert not blocked[0].expect_relevant


def test_request_log_has_one_line_per_request(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    outlets = list(demo_outlets())[:2]
    with SiteServer(outlets, ANCHOR, log_path=log) as server:
        a, b = outlets[0].id, outlets[1].id
        for _ in range(3):
            get(server.urls[a] + "robots.txt")
        fetch(server.urls[b] + "missing")
        urllib.request.urlopen(urllib.request.Request(server.urls[b], method="HEAD")).close()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert Counter(r["outlet"] for r in lines) == {a: 3, b: 2}
    assert set(lines[0]) == {"t", "outlet", "method", "path", "status", "ua"}
    assert lines[0]["path"] == "/robots.txt" and lines[0]["ua"] == "newswatch-tests"
    assert [r["status"] for r in lines if r["outlet"] == b] == [404, 200]
    assert lines[-1]["method"] == "HEAD"


# --- faults ------------------------------------------------------------------------------------

FAULTS = {
    "bench001": "500",
    "bench002": "404-articles",
    "bench003": "hang",
    "bench004": "slow=0.4",
    "bench005": "nodate",
    "bench006": "nobody",
    "bench007": "redirect-loop",
    "bench008": "notfound-feed",
    "bench009": "skinchange",
}


@pytest.fixture(scope="module")
def faulty() -> Iterator[SiteServer]:
    with SiteServer(scale_outlets(10, 12), ANCHOR, faults=FAULTS) as server:
        yield server


def _first_article(server: SiteServer, outlet: str) -> str:
    return next(server.article_url(a) for a in server.articles if a.outlet == outlet)


def test_fault_500(faulty: SiteServer) -> None:
    for path in ("", "robots.txt", "rss/allArticle.xml"):
        assert fetch(faulty.urls["bench001"] + path)[0] == 500


def test_fault_404_articles(faulty: SiteServer) -> None:
    assert fetch(_first_article(faulty, "bench002"))[0] == 404
    assert fetch(faulty.urls["bench002"] + "rss/allArticle.xml")[0] == 200


def test_fault_hang(faulty: SiteServer) -> None:
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        fetch(faulty.urls["bench003"] + "robots.txt", timeout=1)


def test_fault_slow(faulty: SiteServer) -> None:
    start = time.monotonic()
    assert fetch(faulty.urls["bench004"] + "robots.txt")[0] == 200
    assert time.monotonic() - start >= 0.4


def test_fault_nodate(faulty: SiteServer) -> None:
    sel = Selector(text=get(_first_article(faulty, "bench005")).decode())
    assert not sel.css("meta[property^='article:'][property$='_time']")
    assert not sel.css("i.icon-clock-o")
    assert sel.css("#article-view-content-div p")


def test_fault_nobody(faulty: SiteServer) -> None:
    sel = Selector(text=get(_first_article(faulty, "bench006")).decode())
    body = sel.css("#article-view-content-div")
    assert body and not "".join(body.css("::text").getall()).strip()
    assert sel.css("h1.heading::text").get()


def test_fault_redirect_loop(faulty: SiteServer) -> None:
    url = _first_article(faulty, "bench007")
    status, headers, _ = fetch(url)
    assert status == 302 and headers["Location"] == url


def test_fault_notfound_feed(faulty: SiteServer) -> None:
    assert fetch(faulty.urls["bench008"] + "rss/allArticle.xml")[0] == 404
    assert fetch(faulty.urls["bench008"] + "news/articleList.html?view_type=sm")[0] == 200


def test_fault_skinchange(faulty: SiteServer) -> None:
    url = _first_article(faulty, "bench009")
    article = next(a for a in faulty.articles if a.outlet == "bench009")
    text = get(url).decode()
    for marker in (
        "article-view-content-div",
        "infomation",
        'class="heading',
        "icon-clock-o",
        "article-veiw-body",
    ):
        assert marker not in text
    sel = Selector(text=text)
    assert sel.css("meta[property='og:title']::attr(content)").get() == article.title
    ld = json.loads(sel.css("script[type='application/ld+json']::text").get())
    assert ld["@type"] == "NewsArticle" and ld["headline"] == article.title
    assert ld["datePublished"] == article.published_at.isoformat()


def test_unfaulted_outlet_is_normal(faulty: SiteServer) -> None:
    assert fetch(_first_article(faulty, "bench010"))[0] == 200


def test_fault_parsing() -> None:
    assert str(parse_fault("x=slow=2.5")[1]) == "slow=2.5"
    for bad in ("x", "x=boom", "x=slow=fast", "x=500=1"):
        with pytest.raises(FaultError):
            parse_fault(bad)
    with pytest.raises(FaultError):
        SiteServer(demo_outlets(), ANCHOR, faults={"nosuch": "500"})


# --- determinism -------------------------------------------------------------------------------


def test_same_anchor_gives_identical_bytes() -> None:
    outlets = list(demo_outlets())
    base = free_port_base(len(outlets))
    snapshots = []
    for _ in range(2):
        with SiteServer(outlets, ANCHOR, port_base=base) as server:
            assert server.urls["incheonnuri"] == f"http://127.0.0.1:{base}/"
            snapshots.append(
                {oid: [p.body for p in site.pages] for oid, site in server.sites.items()}
            )
            snapshots[-1]["http"] = [
                get(server.urls["ydpharu"] + "news/articleView.html?idxno=2001")
            ]
    assert snapshots[0] == snapshots[1]
    other = SiteServer(outlets, parse_anchor("2026-01-03T12:00:00+09:00"), port_base=base)
    with other:
        assert [p.body for p in other.sites["ydpharu"].pages] != snapshots[0]["ydpharu"]


# --- content -----------------------------------------------------------------------------------


def test_content_invariants(articles: list[DemoArticle]) -> None:
    kinds = Counter(a.kind for a in articles)
    assert kinds["reference1"] == kinds["reference2"] == 1
    others = [a for a in articles if not a.kind.startswith("reference")]
    assert len(others) >= 30
    assert kinds["hard-negative"] * 3 >= len(others)
    assert kinds["positive"] >= 10
    assert len({(a.outlet, a.id) for a in articles}) == len(articles)
    stories = Counter(a.story for a in articles if a.story)
    assert len(stories) == 1
    story = next(iter(stories))
    carriers = [a for a in articles if a.story == story]
    assert len({a.outlet for a in carriers}) == 3 and len({a.title for a in carriers}) == 3
    assert all(a.expect_relevant and a.kind == "syndicated" for a in carriers)
    old = [a for a in articles if a.age_hours > 72]
    assert len(old) >= 2 and any(a.expect_relevant for a in old)
    assert all(
        a.expect_relevant == (a.kind in ("reference1", "reference2", "positive", "syndicated"))
        for a in articles
    )
    assert any(len(a.body) >= 1500 for a in articles if a.kind == "reference1")
    assert sum(len(a.body) >= 1500 for a in articles) >= 3
    assert all(3 <= len(a.paragraphs) <= 8 for a in articles)
    assert all(
        a.published_at < ANCHOR and (a.modified_at or a.published_at) <= ANCHOR for a in articles
    )
    families = {o.id: o.family for o in demo_outlets()}
    assert Counter(families.values())["ndsoft"] >= 3 and "gnuboard" in families.values()
    assert any(o.encoding == "cp949" for o in demo_outlets())


def test_terms_avoided_where_the_story_is_told_without_them(articles: list[DemoArticle]) -> None:
    for outlet, article_id in (("dalgubeol", 3002), ("busanmaru", 4002)):
        article = find_article(articles, outlet, article_id)
        assert article.expect_relevant and "의료관광" not in article.title + article.body


# --- scale mode and CLI ------------------------------------------------------------------------


def test_scale_20_by_100_serves_2000_articles() -> None:
    with SiteServer(scale_outlets(20, 100), ANCHOR) as server:
        assert len(server.urls) == 20 and len(server.articles) == 2000
        base = server.urls["bench013"]
        root = ET.fromstring(get(base + "rss/allArticle.xml"))
        assert len(root.findall("channel/item")) == 20
        last = html(base + "news/articleList.html?view_type=sm&page=10")
        assert len(last.css("#section-list > ul > li")) == 10
        statuses = Counter(fetch(server.article_url(a))[0] for a in server.articles)
        assert statuses == {200: 2000}
        size = len(get(server.article_url(server.articles[0])))
        assert 20_000 < size < 60_000
    assert parse_scale("300:20") == (300, 20)
    with pytest.raises(ScaleError):
        parse_scale("300")


def test_cli_serves_prints_urls_writes_registry_and_exits_on_sigterm(tmp_path: Path) -> None:
    registry = tmp_path / "outlets.toml"
    log = tmp_path / "log.jsonl"
    command = [
        sys.executable,
        "-m",
        "crawler.demosites",
        "serve",
        "--anchor",
        ANCHOR.isoformat(),
        "--registry-out",
        str(registry),
        "--log",
        str(log),
        "--fault",
        "busanmaru=notfound-feed",
    ]
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    with subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        assert proc.stdout is not None
        urls = json.loads(proc.stdout.readline())["outlets"]
        assert set(urls) == {o.id for o in demo_outlets()}
        assert fetch(urls["busanmaru"] + "rss/allArticle.xml")[0] == 404
        assert fetch(urls["incheonnuri"] + "rss/allArticle.xml")[0] == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    entries = load_registry(registry).by_id()
    assert entries["hanbitmedi"].family == "gnuboard"
    assert entries["hanbitmedi"].feeds == (urls["hanbitmedi"] + "bbs/rss.php?bo_table=news",)
    assert entries["incheonnuri"].lists == (
        urls["incheonnuri"] + "news/articleList.html?view_type=sm",
    )
    assert entries["ydpharu"].district == "영등포구" and entries["ydpharu"].every == timedelta(minutes=30)
    assert len(log.read_text().splitlines()) == 2


def test_cli_rejects_a_bad_fault() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crawler.demosites", "serve", "--fault", "incheonnuri=boom"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "unknown kind 'boom'" in result.stderr
