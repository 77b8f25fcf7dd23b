"""The mcode and `/news/article.html?no=` page objects: detection, fields, fallback to generic."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from crawler.families import PAGE_OBJECTS, detect_family, extract, page_object
from tests.support.cli import cli_env, newswatch

PAGES = Path(__file__).parent / "fixtures" / "pages"
NOW = datetime.fromisoformat("2026-01-02T12:00:00+09:00")


def test_every_registry_family_but_generic_has_its_own_page_object() -> None:
    assert {"ndsoft", "gnuboard", "mcode", "articleno", "generic"} <= set(PAGE_OBJECTS)
    assert page_object("unknown-family") is PAGE_OBJECTS["generic"]


@pytest.mark.parametrize(
    ("url", "family"),
    [
        ("https://www.hanbitilbo.example/news/article.html?no=402117", "articleno"),
        ("https://kg.example/mobile/article.html?no=757780", "articleno"),
        ("http://seonam.example/news/view.php?idx=30502&mcode=m779wuo", "mcode"),
    ],
)
def test_detect_by_url(url: str, family: str) -> None:
    assert detect_family("<html></html>", url) == family


def test_detect_articleno_by_markers_without_url() -> None:
    html = (PAGES / "articleno/article/page.html").read_text(encoding="utf-8")
    assert detect_family(html, "") == "articleno"


@pytest.mark.parametrize(("case", "family"), [("articleno/article", "articleno"), ("mcode/article_plain_skin", "mcode")])
def test_outlets_detect_command(case: str, family: str, home: Path) -> None:
    """A saved page without a canonical link, with its address given: a ready-to-paste entry."""
    import json
    import tomllib

    url = json.loads((PAGES / case / "expected.json").read_text(encoding="utf-8"))["input"]["url"]
    r = newswatch("outlets", "detect", str(PAGES / case / "page.html"), "--url", url, env=cli_env(home))
    assert r.returncode == 0, r.stderr
    entry = tomllib.loads(r.stdout)["outlet"][0]
    assert entry["family"] == family and entry["evidence"][0]["url"] == url


def test_mcode_skin_change_falls_back_to_generic_and_says_so() -> None:
    html = """<html><head><meta charset="utf-8"><title>새 스킨</title>
    <meta property="og:title" content="가람구, 의료관광 팸투어 개최"></head><body>
    <div class="new_skin"><h1>가람구, 의료관광 팸투어 개최</h1>
    <p class="when">입력 2025.03.04 09:30</p>
    <div class="txt"><p>가람구는 러시아어권 의료 코디네이터 20명을 초청해 이틀간 의료관광 팸투어를 열었다고 4일 밝혔다.
    참가자들은 관내 병원 다섯 곳을 둘러보고 한방 진료 프로그램을 체험했다.</p>
    <p>구는 팸투어 참가자들과 함께 외국인 환자 유치 상품을 개발할 계획이다. 구 관계자는 현지 홍보를 이어가겠다고 말했다.</p></div>
    </div></body></html>"""
    result = extract(html, "http://garam.example/news/view.php?idx=9&mcode=m1", now=NOW)
    assert result.fallback and result.family == "generic"
    assert any(p.startswith("mcode: page object found no") for p in result.problems)
    assert result.title == "가람구, 의료관광 팸투어 개최"
    assert "코디네이터" in result.body


def test_mcode_home_page_is_not_an_article() -> None:
    html = (PAGES / "mcode/list/page.html").read_text(encoding="utf-8")
    assert not extract(html, "http://garam.example/", family="mcode", now=NOW).is_article


def test_mcode_syndicated_copy_credits_the_desk() -> None:
    result = extract((PAGES / "mcode/article_plain_skin/page.html").read_bytes(),
                     "http://n.example/news/view.php?idx=7702&mcode=m11ab", now=NOW)
    assert result.authors == ["편집국"]
    assert result.modified_at is not None and result.modified_at > result.published_at  # type: ignore[operator]
