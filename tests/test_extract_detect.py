"""Telling a page's CMS family from its URL and DOM."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.families import detect_family

PAGES = Path(__file__).parent / "fixtures" / "pages"


@pytest.mark.parametrize(
    ("url", "family"),
    [
        ("https://www.incheonilbo.example/news/articleView.html?idxno=1234", "ndsoft"),
        (
            "https://www.incheonilbo.example/news/articleList.html?sc_section_code=S1N2&view_type=sm",
            "ndsoft",
        ),
        ("https://www.akom.example/bbs/board.php?bo_table=news&wr_id=42", "gnuboard"),
        ("https://www.akom.example/bbs/board.php?bo_table=news&page=2", "gnuboard"),
        ("http://www.seonam.example/news/view.php?idx=58211&mcode=m24tr5e", "mcode"),
        ("http://www.seonam.example/news/view.php?mcode=m24tr5e&idx=58211", "mcode"),
        ("https://www.example.kr/news/article.html?no=1", "articleno"),
        ("https://www.example.kr/", "generic"),
    ],
)
def test_by_url(url: str, family: str) -> None:
    assert detect_family("<html><body><p>본문</p></body></html>", url) == family


@pytest.mark.parametrize(
    ("html", "family"),
    [
        ('<article id="article-view-content-div" class="article-veiw-body"></article>', "ndsoft"),
        ('<ul class="infomation"></ul><a href="/news/articleView.html?idxno=3">x</a>', "ndsoft"),
        ('<script>var g5_url = "https://x";</script><div id="bo_v_con"></div>', "gnuboard"),
        ('<div id="bo_list"></div><a href="/bbs/board.php?bo_table=a&wr_id=1">x</a>', "gnuboard"),
        ('<a href="/news/view.php?idx=1&mcode=m1">x</a><a>기사 메일전송</a>', "mcode"),
        (
            '<article id="article-view-content-div"></article>',
            "generic",
        ),  # one marker is not enough
        ("<div class='content'><p>본문</p></div>", "generic"),
    ],
)
def test_by_markers(html: str, family: str) -> None:
    assert (
        detect_family(f"<html><body>{html}</body></html>", "https://www.example.kr/a/b") == family
    )


@pytest.mark.parametrize(
    ("case", "url", "family"),
    [
        ("ndsoft/home", "https://www.saeincheon.example/", "ndsoft"),
        ("gnuboard/article", "https://www.namhang.example/view?id=1", "gnuboard"),
        ("mcode/article", "http://www.garamtoday.example/a", "mcode"),
        ("generic/no_date", "https://www.halla.example/board/view.asp?idx=771", "generic"),
    ],
)
def test_fixture_pages(case: str, url: str, family: str) -> None:
    html = (PAGES / case / "page.html").read_text(encoding="utf-8")
    assert detect_family(html, url) == family
