"""Bad input of issue 3 not covered elsewhere: no title, mixed encodings in one page, enormous
pages. Each gives a clear outcome (extracted, or the reason recorded), never an exception.

Covered elsewhere: lying encodings and CP949-only syllables (test_extract_encoding), no date,
future dates, non-HTML bodies and truncated HTML (fixtures/pages/generic, test_extract_core),
home and list pages that look like articles (fixtures ndsoft/home, mcode/list, articleno/home),
family skin changes (test_extract_families), redirect loops and broken sites
(test_crawl_bad_input, test_outlets_check).
"""

from __future__ import annotations

from datetime import datetime

from crawler.extract import decode_html
from crawler.families import extract

NOW = datetime.fromisoformat("2026-01-02T12:00:00+09:00")
SENTENCE = "가온구는 {n}번째 의료관광 설명회에 구내 병원들과 함께 참가했다고 밝혔다."


def test_no_title_anywhere_is_recorded_not_invented() -> None:
    html = "<html><body><div><p>" + "제목 없는 글의 본문이다. " * 30 + "</p></div></body></html>"
    result = extract(html.encode(), "https://x.example/news/view.php?no=3", now=NOW)
    assert result.is_article and result.title is None and result.body
    assert "title: nothing found" in result.problems


def test_utf8_page_with_a_cp949_fragment_keeps_the_article_text() -> None:
    article = "본문은 UTF-8로 쓰였고 의료관광 설명회 소식을 전한다. " * 6
    fragment = "<div>광고 문구 한글</div>".encode("cp949")
    page = (f"<html><head><meta charset='utf-8'><title>t</title></head><body><h1>혼합 인코딩 기사</h1>"
            f"<p>입력 2025.03.04 09:30</p><article><p>{article}</p></article>").encode() + fragment + b"</body></html>"
    text, used = decode_html(page, "euc-kr")  # the header lies too
    assert used == "utf-8" and article.strip() in text
    assert text.count("\ufffd") <= len(fragment)  # only the foreign fragment is lost
    result = extract(page, "https://x.example/news/1", charset="euc-kr", now=NOW)
    assert result.title == "혼합 인코딩 기사" and "의료관광 설명회" in result.body and "\ufffd" not in result.body


def test_enormous_page_is_cut_for_the_fallback_and_still_extracted() -> None:
    paragraphs = "".join(f"<p>{SENTENCE.format(n=n)}</p>\n" for n in range(60_000))
    page = (f"<html><head><meta charset='utf-8'><title>큰 페이지</title></head><body><h1>아주 긴 기사</h1>"
            f"<p>입력 2025.03.04 09:30</p><article>{paragraphs}</article></body></html>").encode()
    assert len(page) > 5_000_000
    result = extract(page, "https://x.example/news/1", now=NOW)
    assert result.title == "아주 긴 기사" and result.published_at is not None
    assert result.body.startswith(SENTENCE.format(n=0))
    assert any("only the first" in p for p in result.problems)


def test_huge_page_without_markup_is_not_html() -> None:
    result = extract(b"a" * 3_000_000, "https://x.example/news/1", now=NOW)
    assert not result.is_article and result.problems[0].startswith("not an HTML page")
