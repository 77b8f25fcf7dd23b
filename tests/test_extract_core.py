"""`extract()` as callers use it: robustness, the fallback chain, page kinds, dates, speed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.families import extract
from crawler.types import Extracted

PAGES = Path(__file__).parent / "fixtures" / "pages"
NDSOFT_ARTICLE = (PAGES / "ndsoft" / "article" / "page.html").read_bytes()
NDSOFT_URL = "https://www.saeincheon.example/news/articleView.html?idxno=204817"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        "",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        b'{"items": []}',
        b"plain text, no markup at all",
        b"\xff\xfe\x00\x00garbage",
    ],
)
def test_non_html_bodies_do_not_crash(body: bytes | str) -> None:
    result = extract(body, "https://www.example.kr/x")
    assert result == Extracted(is_article=False, problems=result.problems)
    assert result.problems and result.problems[0].startswith("not an HTML page")


@pytest.mark.parametrize(
    "html",
    [
        "<html>",
        "<p>짧은 글</p>",
        "<html><body><div><div><div>" * 300,
        "<html><head><title>제목</title></head></html>",
        "<html><head><title>\ud800 lone surrogate</title></head></html>",
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle", "headline": 3}</script></head></html>',
    ],
)
def test_odd_html_does_not_crash(html: str) -> None:
    result = extract(html, "https://www.example.kr/news/1")
    assert isinstance(result, Extracted)


def test_family_page_object_needs_no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("trafilatura/htmldate ran although the page object succeeded")

    monkeypatch.setattr("trafilatura.extract", forbidden)
    monkeypatch.setattr("htmldate.find_date", forbidden)
    result = extract(NDSOFT_ARTICLE, NDSOFT_URL, family="ndsoft")
    assert result.family == "ndsoft" and not result.fallback and result.body


def test_str_input_is_accepted() -> None:
    assert (
        extract(NDSOFT_ARTICLE.decode("utf-8"), NDSOFT_URL).title
        == extract(NDSOFT_ARTICLE, NDSOFT_URL).title
    )


def test_family_is_detected_when_not_given() -> None:
    assert extract(NDSOFT_ARTICLE, NDSOFT_URL).family == "ndsoft"


def test_families_without_a_page_object_use_generic() -> None:
    result = extract(NDSOFT_ARTICLE, "https://www.example.kr/view?id=3", family="no-such-family")
    assert result.family == "generic" and not result.fallback and result.title


@pytest.mark.parametrize("family", ["mcode", "articleno"])
def test_a_wrong_family_still_gives_the_article(family: str) -> None:
    result = extract(NDSOFT_ARTICLE, "https://www.example.kr/view?id=3", family=family)
    assert result.title and result.body and result.published_at is not None


def test_home_page_with_the_body_id_is_not_an_article() -> None:
    html = (PAGES / "ndsoft" / "home" / "page.html").read_bytes()
    result = extract(html, "https://www.saeincheon.example/index.html", family="ndsoft")
    assert not result.is_article and result.body == ""


def test_list_page_of_a_generic_outlet_is_not_an_article() -> None:
    result = extract(
        NDSOFT_ARTICLE, "https://www.example.kr/news/list.php?page=2", family="generic"
    )
    assert not result.is_article


def test_now_defaults_to_the_current_time() -> None:
    future = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    html = f"""<html><head><meta property="article:published_time" content="{future}"></head>
    <body><h1>제목</h1><p>본문 문단입니다. 충분히 긴 문장으로 적었습니다.</p></body></html>"""
    result = extract(html, "https://www.example.kr/news/1")
    assert result.published_at is None
    assert any("more than a day in the future" in p for p in result.problems)


def test_dates_before_2000_are_dropped() -> None:
    html = NDSOFT_ARTICLE.replace(b"2026.01.02 10:31", b"1999.12.31 10:31")
    result = extract(html, NDSOFT_URL, now=datetime(2026, 1, 2, tzinfo=UTC))
    assert any(p.startswith("published_at:") and "before 2000-01-01" in p for p in result.problems)
    assert result.published_at is None or result.published_at.year >= 2000


def test_metadata_fills_what_the_page_object_left_empty() -> None:
    html = NDSOFT_ARTICLE.replace(
        b'<li><i class="icon-clock-o" aria-hidden="true"></i> \xec\x9e\x85\xeb\xa0\xa5', b"<li>"
    )
    html = html.replace(
        b'<meta property="article:section"',
        b'<meta property="article:published_time" content="2026-01-02T01:31:00Z">'
        b'<meta property="article:section"',
    )
    result = extract(html, NDSOFT_URL, now=datetime(2026, 1, 2, 12, tzinfo=UTC))
    assert result.published_at == datetime(2026, 1, 2, 1, 31, tzinfo=UTC)
    assert result.family == "ndsoft" and not result.fallback


def padded_ndsoft_page(size: int = 30_000) -> bytes:
    """The NDSoft fixture grown to a realistic size with a long menu, scripts and a sidebar."""
    menu = "".join(
        f'<li><a href="/news/articleList.html?sc_section_code=S1N{i}">메뉴 {i}</a></li>'
        for i in range(60)
    )
    side = "".join(
        f'<li><a href="/news/articleView.html?idxno={i}">사이드 기사 제목 {i}번 입니다</a></li>'
        for i in range(80)
    )
    script = (
        "<script>var cfg = {" + ",".join(f'"k{i}": "{"v" * 40}"' for i in range(80)) + "};</script>"
    )
    page = NDSOFT_ARTICLE.decode("utf-8")
    page = page.replace('<nav id="user-nav">', f'<nav id="user-nav"><ul>{menu}</ul>')
    page = page.replace('<aside id="side">', f'<aside id="side"><ul>{side}</ul>{script}')
    while len(page.encode("utf-8")) < size:
        page = page.replace(
            "</footer>",
            "<p>주소 예시로 1 대표전화 032-000-0000 등록번호 인천 아00000</p></footer>",
            1,
        )
    return page.encode("utf-8")


def test_page_objects_have_one_field_per_output_key() -> None:
    from parsel import Selector

    from crawler.extract.page import FIELD_NAMES
    from crawler.families import PAGE_OBJECTS

    for family, page_class in PAGE_OBJECTS.items():
        assert page_class.family == family
        for name in FIELD_NAMES:
            assert getattr(getattr(page_class, name), "__is_field__", False), (family, name)
    page = PAGE_OBJECTS["ndsoft"](Selector(text=NDSOFT_ARTICLE.decode("utf-8")), NDSOFT_URL)
    values = page.fields()
    assert list(values) == list(FIELD_NAMES)
    assert values["title"] == "인천시, 러시아어권 의료 코디네이터 초청 의료관광 팸투어"
