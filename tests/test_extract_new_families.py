"""The families added from the registry's evidence: partidx, articlephp, scrs (that every family
of the registry schema has all its parts: tests/test_families.py)."""

from __future__ import annotations

import json
import tomllib
from datetime import datetime
from pathlib import Path

import pytest

from crawler.families import SIGNATURES, article_key, detect_family, evidence_problem, extract
from crawler.registry import Outlet, load_registry
from spiders.navigators import navigator_for
from tests.support.cli import cli_env, newswatch

PAGES = Path(__file__).parent / "fixtures" / "pages"
NOW = datetime.fromisoformat("2026-01-02T12:00:00+09:00")
NEW = ("partidx", "articlephp", "scrs")


@pytest.mark.parametrize(
    ("url", "family"),
    [
        ("http://www.gaon.example/news/view.php?idx=48213", "partidx"),
        ("http://www.gaon.example/default/index_view_page.php?part_idx=331&idx=48101", "partidx"),
        ("http://www.gaon.example/default/index_view_page.php?idx=48101&part_idx=331", "partidx"),
        ("http://www.gaon.example/news/view.php?idx=48213&mcode=m4ab1c2", "mcode"),  # mcode wins
        ("http://m.nambit.example/article.php?aid=1762240200771234567&page=3", "articlephp"),
        ("https://www.seorak.example/article.php?aid=5501", "generic"),  # short aid: another CMS
        ("https://mulgyeol.example/NewsArticle/770031", "scrs"),
        ("https://mulgyeol.example/NewsArticle/770031?ref=main", "scrs"),
    ],
)
def test_detect_by_url(url: str, family: str) -> None:
    assert detect_family("<html><body><p>본문</p></body></html>", url) == family


@pytest.mark.parametrize("family", NEW)
def test_detect_fixture_page_without_its_url(family: str) -> None:
    html = (PAGES / family / "article/page.html").read_bytes().decode("euc-kr" if family == "articlephp" else "utf-8")
    assert detect_family(html, "https://elsewhere.example/a/b") == family


@pytest.mark.parametrize(
    "url",
    [
        "http://www.gaon.example/news/view.php?idx=48213",
        "http://www.gaon.example/default/index_view_page.php?idx=48101&part_idx=331",
        "http://www.nambit.example/article.php?aid=1762240200771234567",
        "https://mulgyeol.example/NewsArticle/770031",
    ],
)
def test_moving_an_outlet_to_its_family_keeps_stored_article_keys(url: str) -> None:
    """These outlets were `generic`: their stored articles' keys must not change with the family."""
    family = detect_family("", url)
    assert article_key(url, family) == article_key(url, "generic")
    assert "|" in article_key(url, family)  # an id-bearing key, not the bare URL


def _outlet(family: str, **extra: object) -> Outlet:
    values: dict[str, object] = {"id": "x", "name": "x", "region": "경북", "home": "http://www.gaon.example/",
                                 "family": family}
    values.update(extra)
    return Outlet(**values)


def test_partidx_list_page_yields_both_article_shapes_and_no_menu() -> None:
    nav = navigator_for(_outlet("partidx"))
    html = """<html><body><ul class="gnb"><li><a href="/news/list.php?board_data=YQ%3D%3D&amp;search_items=Yg%3D%3D">사회</a></li>
      <li><a href="/">홈</a></li></ul>
      <ul class="list"><li><a href="/news/view.php?idx=48213">가온시, 외국인 환자 한방 체험 코스 연다</a> <span>2025-10-02</span></li>
      <li><a href="/default/index_view_page.php?idx=48101&amp;part_idx=331">시립도서관 주말 개관 연장한다</a> <span>2025-10-01</span></li>
      <li><a href="/news/view.php?idx=48190">가온천 산책로에 야간 조명 켠다</a> <span>2025-09-30</span></li></ul></body></html>"""
    urls = [e.url for e in nav.list_entries(html, "http://www.gaon.example/news/list.php")]
    assert "http://www.gaon.example/news/view.php?idx=48213" in urls
    assert "http://www.gaon.example/default/index_view_page.php?idx=48101&part_idx=331" in urls
    assert not any("list.php" in u or u.rstrip("/") == "http://www.gaon.example" for u in urls)


def test_articlephp_and_scrs_navigators_know_their_article_urls() -> None:
    php = navigator_for(_outlet("articlephp", home="http://www.nambit.example/"))
    assert php.has_article_id("http://www.nambit.example/article.php?aid=1762240200771234567")
    assert not php.has_article_id("http://www.nambit.example/section.php?section=87")
    assert php.page_url("http://www.nambit.example/section.php?section=87", 2).endswith("section=87&page=2")
    scrs = navigator_for(_outlet("scrs", home="https://mulgyeol.example/"))
    assert scrs.has_article_id("https://mulgyeol.example/NewsArticle/770031")
    assert not scrs.has_article_id("https://mulgyeol.example/Social/12")


def test_articlephp_section_page_is_a_list_not_an_article() -> None:
    html = (PAGES / "articlephp/article/page.html").read_bytes()
    assert not extract(html, "http://www.nambit.example/section.php?section=87&page=2", family="articlephp",
                       now=NOW).is_article


def test_skin_without_the_family_selectors_falls_back_to_generic_and_says_so() -> None:
    html = """<html><head><meta charset="utf-8"><meta property="og:title" content="새 스킨의 기사 제목"></head><body>
    <div class="brand_new"><h1>새 스킨의 기사 제목</h1><p class="when">입력 2025.03.04 09:30</p>
    <div class="txt"><p>가온시는 외국인 환자 유치를 위해 다국어 안내 창구를 시청 1층에 새로 열었다고 4일 밝혔다.
    창구에는 영어와 중국어, 러시아어 상담원이 평일 내내 근무한다.</p>
    <p>시는 창구 이용 실적을 보고 상담 언어를 더 늘릴 계획이다. 시 관계자는 병원 예약도 돕겠다고 말했다.</p></div>
    </div></body></html>"""
    result = extract(html, "http://www.gaon.example/news/view.php?idx=9", now=NOW)
    assert result.fallback and result.family == "generic"
    assert any(p.startswith("partidx: page object found no") for p in result.problems)
    assert "다국어 안내 창구" in result.body


@pytest.mark.parametrize(
    ("family", "list_part"),
    [("partidx", "/news/list.php?board_data="), ("articlephp", "/section.php?section="), ("scrs", None)],
)
def test_outlets_detect_prints_the_family_entry(family: str, list_part: str | None, home: Path) -> None:
    case = PAGES / family / "article"
    url = json.loads((case / "expected.json").read_text(encoding="utf-8"))["input"]["url"]
    r = newswatch("outlets", "detect", str(case / "page.html"), "--url", url, env=cli_env(home))
    assert r.returncode == 0, r.stderr
    entry = tomllib.loads(r.stdout)["outlet"][0]
    assert entry["family"] == family and entry["evidence"][0]["url"] == url
    if list_part is None:
        assert SIGNATURES[family].list_links is None and entry["lists"] == []
    else:
        assert entry["lists"] and all(list_part in u for u in entry["lists"])
    if family == "articlephp":
        assert entry["encoding"] in ("cp949", "euc-kr")  # an EUC-KR page: the entry must say so


def test_registry_outlets_of_the_new_families_have_matching_evidence() -> None:
    reg = load_registry()
    outlets = [o for o in reg.outlet if o.family in NEW]
    assert {o.family for o in outlets} == set(NEW)
    for o in outlets:
        assert o.evidence and not [w for w in o.warnings(evidence_problem) if "does not match family" in w], o.id
