"""The `view.php?idx=&mcode=` family: summary lines printed as a plain `<ul>` before the body are the
subtitle, with or without a bullet character, above the body container or inside it (issue 22)."""

from __future__ import annotations

import pytest

from crawler.families import extract
from tests.support.env import ROOT

PAGE = ROOT / "tests" / "fixtures" / "pages" / "mcode" / "article" / "page.html"
URL = "http://www.garamtoday.example/news/view.php?idx=58211&mcode=m24tr5e"
LINES = ["관내 병원 세 곳, 몽골 환자 일대일 상담", "스마트 의료특구 홍보관에 몽골어 안내서 배포"]
FIRST_PARAGRAPH = "가람구는 지난 12일부터 이틀간"


def _page(summary: str, inside: bool) -> str:
    html = PAGE.read_text(encoding="utf-8")
    start, body = html.index('<div class="view_summary">'), html.index('<div class="view_con"')
    html = html[:start] + ("" if inside else summary) + html[body:]
    if inside:
        opening = '<div class="view_con" id="news_body_area">'
        html = html.replace(opening, opening + summary)
    return html


@pytest.mark.parametrize("bullet", ["", "- ", "• ", "▶ "])
@pytest.mark.parametrize("inside", [False, True])
def test_a_plain_list_before_the_body_is_the_subtitle(bullet: str, inside: bool) -> None:
    summary = "<ul>" + "".join(f"<li>{bullet}{line}</li>" for line in LINES) + "</ul>"
    result = extract(_page(summary, inside), URL)
    assert result.subtitle == "\n".join(LINES)
    assert result.body.startswith(FIRST_PARAGRAPH)
    assert not any(line in result.body for line in LINES)


def test_a_list_inside_the_body_stays_in_the_body() -> None:
    """Only a list that opens the article is its summary; one after the first paragraph is text."""
    html = PAGE.read_text(encoding="utf-8")
    html = html[: html.index('<div class="view_summary">')] + html[html.index('<div class="view_con"'):]
    items = "<ul><li>일정: 3월 12일부터 이틀간 진행</li><li>장소: 울란바토르 시내 전시장</li></ul>"
    html = html.replace("밝혔다.</p>", "밝혔다.</p>" + items, 1)
    result = extract(html, URL)
    assert result.subtitle is None
    assert "일정: 3월 12일부터 이틀간 진행" in result.body
