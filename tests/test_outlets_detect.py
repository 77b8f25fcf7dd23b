"""`newswatch outlets detect URL-or-FILE`: the family of a page, including NDSoft's old-style links,
and a ready-to-paste `[[outlet]]` entry; a clear one-line error when the page cannot be had."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from crawler.families import detect_family
from crawler.families.entry import outlet_id, registry_entry
from crawler.registry import Outlet
from tests.support.env import ROOT

# real addresses of NDSoft outlets that still link the old way (from public repositories' code)
OLD_NDSOFT = [
    "http://www.cctoday.co.kr/?mod=news&act=articleView&idxno=1163002",
    "http://www.kyeonggi.com/?mod=news&act=articleView&idxno=1311912",
    "http://www.mediatoday.co.kr/?mod=news&act=articleView&idxno=129177",
]


@pytest.mark.parametrize("url", OLD_NDSOFT)
def test_old_style_ndsoft_links_are_ndsoft(url: str) -> None:
    assert detect_family("<html><body><p>본문</p></body></html>", url) == "ndsoft"
    assert detect_family("<html><body></body></html>", url.replace("articleView&idxno=1163002", "articleList")) == "ndsoft"


def test_an_old_style_link_in_a_saved_page_counts_as_a_marker() -> None:
    html = '<div class="user-container"></div><a href="/?mod=news&amp;act=articleView&amp;idxno=9">기사</a>'
    assert detect_family(html, "") == "ndsoft"


def test_other_mod_links_are_not_ndsoft() -> None:
    assert detect_family("<html><body></body></html>", "https://shop.example.kr/?mod=goods&act=view&no=3") == "generic"


@pytest.mark.parametrize(("host", "slug"), [
    ("www.kado.net", "kado"), ("www.joongboo.com", "joongboo"), ("m.kbmaeil.com", "kbmaeil"),
    ("www.knnews.co.kr", "knnews"), ("nmn.ff.or.kr", "ff"), ("www.cctoday.co.kr", "cctoday"),
])
def test_the_id_is_the_slug_of_the_domain(host: str, slug: str) -> None:
    assert outlet_id(host) == slug


PAGE = """<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8">
<title>가온시, 외국인 환자 유치 설명회 - 가온일보</title>
<meta property="og:site_name" content="가온일보">
<link rel="canonical" href="https://www.gaonilbo.kr/?mod=news&amp;act=articleView&amp;idxno=20451">
<link rel="alternate" type="application/rss+xml" title="전체기사" href="https://www.gaonilbo.kr/rss/allArticle.xml">
</head><body><div class="user-container">
<nav><a href="/?mod=news&amp;act=articleList&amp;view_type=sm">전체기사</a>
<a href="/news/articleList.html?sc_section_code=S1N2&amp;view_type=sm">사회</a>
<a href="https://other.example/news/articleList.html">남의 목록</a></nav>
<h1 class="heading">가온시, 외국인 환자 유치 설명회</h1>
<ul class="infomation"><li>입력 2025.05.13 10:20</li></ul>
<article id="article-view-content-div"><p>가온시는 외국인 환자 유치 설명회를 열었다고 13일 밝혔다.</p>
<p>설명회에는 병원 열 곳이 참가했다.</p></article></div></body></html>"""


def test_the_entry_is_ready_to_paste() -> None:
    entry = registry_entry(PAGE.encode("utf-8"), "")
    outlet = tomllib.loads(entry)["outlet"][0]
    assert outlet["id"] == "gaonilbo" and outlet["name"] == "가온일보" and outlet["family"] == "ndsoft"
    assert outlet["home"] == "https://www.gaonilbo.kr/"
    assert outlet["feeds"] == ["https://www.gaonilbo.kr/rss/allArticle.xml"]
    assert outlet["lists"] == ["https://www.gaonilbo.kr/?mod=news&act=articleList&view_type=sm",
                               "https://www.gaonilbo.kr/news/articleList.html?sc_section_code=S1N2&view_type=sm"]
    assert outlet["evidence"] == [{"url": "https://www.gaonilbo.kr/?mod=news&act=articleView&idxno=20451",
                                   "seen": "2025-05"}]
    assert outlet["region"] == outlet["district"] == outlet["scope"] == "" and outlet["verified"] is False
    # every key is the registry's (the normative entry of DESIGN.md)
    assert set(outlet) <= set(Outlet.model_fields)
    # left empty, the scope is refused; once a person fills in what the evidence shows, it loads
    with pytest.raises(ValueError, match="scope"):
        Outlet(**outlet)
    Outlet(**{**outlet, "region": "세종", "scope": "regional"})


def test_nothing_is_invented() -> None:
    bare = PAGE.replace('<meta property="og:site_name" content="가온일보">', "").replace(
        "입력 2025.05.13 10:20", "")
    entry = registry_entry(bare.encode("utf-8"), "")
    assert 'name = ""  # not on the page' in entry
    assert 'seen = ""}]  # no date on the page' in entry
    assert tomllib.loads(entry)["outlet"][0]["name"] == ""


def test_an_euc_kr_page_says_its_encoding() -> None:
    euc = PAGE.replace('charset="utf-8"', 'charset="euc-kr"').encode("cp949")
    assert tomllib.loads(registry_entry(euc, ""))["outlet"][0]["encoding"] in ("cp949", "euc-kr")


def test_a_page_without_its_own_address_needs_one() -> None:
    with pytest.raises(ValueError, match="--url"):
        registry_entry(b"<html><body><p>x</p></body></html>", "")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler.cli", "outlets", "detect", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_the_command_prints_the_entry_of_a_saved_page(tmp_path: Path) -> None:
    saved = tmp_path / "page.html"
    saved.write_text(PAGE.replace('<link rel="canonical" href="https://www.gaonilbo.kr/?mod=news&amp;act=articleView&amp;idxno=20451">', ""), encoding="utf-8")
    r = _cli(str(saved), "--url", "https://www.gaonilbo.kr/?mod=news&act=articleView&idxno=20451")
    assert r.returncode == 0, r.stderr
    assert tomllib.loads(r.stdout)["outlet"][0]["family"] == "ndsoft"


@pytest.mark.parametrize("target", ["http://127.0.0.1:9/news/articleView.html?idxno=1", "http://nonexistent.invalid/",
                                    "/nonexistent/page.html"])
def test_a_page_that_cannot_be_had_is_one_line(target: str) -> None:
    r = _cli(target)
    assert r.returncode != 0 and r.stdout == ""
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert target in r.stderr
