"""The article from the page's own hydration data (crawler/extract/islands.py).

Synthetic pages written here in the shapes of Next.js (Pages Router `__NEXT_DATA__`, App Router
`self.__next_f.push` flight payloads), Nuxt (`__NUXT__`, Nuxt 3 `__NUXT_DATA__`) and Arc XP
(`Fusion.globalContent`): the HTML as served holds only a shell, so trafilatura finds nothing;
newswatch must read the body, the published time (with its hour) and the byline from the data.
Real pages with such islands are measured in tests/test_extract_corpus.py.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
import trafilatura

from crawler.extract import islands
from crawler.extract.dates import SEOUL
from crawler.extract.evaluate import token_f1
from crawler.extract.islands import find_island_article
from crawler.families import extract

URL = "https://www.gaon-news.kr/article/2026/03/04/gaon-medical-tour"
TITLE = "가온시, 몽골 의료관광 팸투어 유치… 병원 다섯 곳 방문"
PARAS = [
    "가온시는 몽골 울란바토르의 의료관광 에이전시 관계자 12명을 초청해 사흘 동안 팸투어를 진행했다고 4일 밝혔다.",
    "참가자들은 시내 종합병원과 한방병원, 피부과 의원 등 다섯 곳을 둘러보고 외국인 환자 유치 절차와 통역 지원 체계를 확인했다.",
    "시 관계자는 중앙아시아와 몽골 환자의 재방문율이 높은 만큼 현지 설명회와 연계해 유치 실적을 늘리겠다고 말했다.",
    "가온시는 올해 하반기 카자흐스탄 알마티에서 의료관광 설명회를 열 계획이다.",
]
BODY_HTML = "".join(f"<p>{p}</p>" for p in PARAS)
PUBLISHED = "2026-03-04T09:30:00+09:00"
MODIFIED = "2026-03-04T14:05:00+09:00"
REPORTER = "김가온"

RELATED = {
    "title": "가온구, 러시아 환자 유치 설명회 개최",
    "url": "/article/2026/02/11/gaon-russia",
    # a related story carrying a longer body than the page's own: it must still not win
    "contentHtml": "".join(f"<p>관련 기사 본문 {i}번째 문단입니다. 다른 날의 다른 이야기입니다.</p>" for i in range(30)),
    "publishedAt": "2026-02-11T10:00:00+09:00",
}
ARTICLE = {
    "title": TITLE,
    "url": "/article/2026/03/04/gaon-medical-tour",
    "contentHtml": BODY_HTML,
    "publishedAt": PUBLISHED,
    "updatedAt": MODIFIED,
    "reporter": {"name": REPORTER, "email": "gaon@gaon-news.kr"},
}

SHELL = """<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>가온뉴스</title></head>
<body><div id="__next"><div class="skeleton">불러오는 중</div></div>{scripts}</body></html>"""


def next_data_page(props: dict[str, Any]) -> str:
    data = {"props": {"pageProps": props}, "page": "/article/[...slug]", "buildId": "b1"}
    return SHELL.format(
        scripts=f'<script id="__NEXT_DATA__" type="application/json">{json.dumps(data, ensure_ascii=False)}</script>'
    )


def flight_page(article: dict[str, Any], related: list[dict[str, Any]], chunk: int = 90) -> str:
    """An App Router page: the body is a text row (`T<hex bytes>,…`) the props refer to as `$3`."""
    body_row = f"3:T{len(article['contentHtml'].encode('utf-8')):x},{article['contentHtml']}"
    props = {**article, "contentHtml": "$3"}
    rows = [
        '1:HL["/_next/static/css/app.css","style"]\n',
        '2:I["8123",["static/chunks/123.js"],"ArticleView"]\n',
        body_row,
        "0:" + json.dumps(["$", "$L2", None, {"article": props, "related": related}], ensure_ascii=False) + "\n",
    ]
    stream = "".join(rows)
    # Next.js cuts the stream into script chunks anywhere, rows included
    pushes = [stream[i : i + chunk] for i in range(0, len(stream), chunk)]
    scripts = "<script>(self.__next_f=self.__next_f||[]).push([0])</script>" + "".join(
        f"<script>self.__next_f.push([1,{json.dumps(p, ensure_ascii=False)}])</script>" for p in pushes
    )
    return SHELL.format(scripts=scripts)


def nuxt2_page() -> str:
    state = {"layout": "article", "state": {"articles": {"current": ARTICLE, "sidebar": [RELATED]}}}
    return SHELL.format(scripts=f"<script>window.__NUXT__={json.dumps(state, ensure_ascii=False)};</script>")


def nuxt3_page() -> str:
    """devalue's flattened form: every value is an index into one array."""
    flat: list[Any] = [["ShallowReactive", 1], {"data": 2}, ["ShallowReactive", 3], {"article-1": 4}, {}]
    obj: dict[str, int] = {}
    for key, value in (("headline", TITLE), ("body", BODY_HTML), ("datePublished", PUBLISHED),
                       ("author", REPORTER)):
        flat.append(value)
        obj[key] = len(flat) - 1
    flat[4] = obj
    return SHELL.format(
        scripts=f'<script type="application/json" id="__NUXT_DATA__" data-ssr="true">{json.dumps(flat, ensure_ascii=False)}</script>'
    )


def arc_page() -> str:
    story = {
        "_id": "ABCDEF", "type": "story", "canonical_url": "/article/2026/03/04/gaon-medical-tour",
        "headlines": {"basic": TITLE},
        "first_publish_date": "2026-03-04T00:30:00.000Z", "last_updated_date": "2026-03-04T05:05:00.000Z",
        "credits": {"by": [{"type": "author", "name": REPORTER}]},
        "content_elements": [
            {"type": "text", "content": PARAS[0]},
            {"type": "image", "caption": "팸투어 참가자들이 병원을 둘러보고 있다."},
            {"type": "text", "content": PARAS[1]},
            {"type": "text", "content": "관련기사"},
            {"type": "text", "content": '<a href="/article/2026/02/11/gaon-russia">가온구, 러시아 환자 유치 설명회 개최</a>'},
            {"type": "text", "content": PARAS[2]},
            {"type": "text", "content": PARAS[3]},
        ],
    }
    script = f"<script>var Fusion=Fusion||{{}};Fusion.arcSite='gaon';Fusion.globalContent={json.dumps(story, ensure_ascii=False)};Fusion.globalContentConfig={{}};</script>"
    return SHELL.format(scripts=script)


SHAPES = {
    "next-pages-router": lambda: next_data_page({"article": ARTICLE, "related": [RELATED]}),
    "next-app-router": lambda: flight_page(ARTICLE, [RELATED]),
    "nuxt2": nuxt2_page,
    "nuxt3": nuxt3_page,
    "arc-xp": arc_page,
}
TRUTH = "\n".join(PARAS)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_body_time_and_byline_come_from_the_island(shape: str) -> None:
    page = SHAPES[shape]()
    assert token_f1(trafilatura.extract(page, favor_precision=True) or "", TRUTH) == 0.0  # the shell only
    result = extract(page, URL)
    assert token_f1(result.body, TRUTH) >= 0.95, result.body
    assert result.title == TITLE
    assert result.published_at == datetime(2026, 3, 4, 9, 30, tzinfo=SEOUL)
    assert REPORTER in result.authors


def test_modified_time_and_source_are_kept() -> None:
    found, notes = find_island_article(flight_page(ARTICLE, [RELATED]), URL)
    assert found is not None and found.source == "__next_f" and not notes
    assert found.modified_at == datetime(2026, 3, 4, 14, 5, tzinfo=SEOUL)


def test_flight_text_rows_count_utf8_bytes() -> None:
    """A `T` row's length is in UTF-8 bytes: Korean text (3 bytes a syllable) ends where it says."""
    found, _ = find_island_article(flight_page(ARTICLE, [], chunk=7), URL)
    assert found is not None and found.body == TRUTH


def test_a_related_story_with_a_longer_body_does_not_win() -> None:
    for page in (next_data_page({"related": [RELATED], "article": ARTICLE}), flight_page(ARTICLE, [RELATED])):
        assert extract(page, URL).title == TITLE


def test_several_article_objects_none_naming_the_page_take_the_longest_with_a_note() -> None:
    other = {**RELATED, "url": "/article/2026/01/01/other"}
    found, notes = find_island_article(
        next_data_page({"a": {**ARTICLE, "url": "/elsewhere/1"}, "b": other}), URL
    )
    assert found is not None and found.title == other["title"]
    assert any("none names this page" in n for n in notes)


def test_the_page_title_decides_between_objects_without_urls() -> None:
    a = {k: v for k, v in ARTICLE.items() if k != "url"}
    b = {k: v for k, v in RELATED.items() if k != "url"}
    page = next_data_page({"list": [b, a]}).replace("<title>가온뉴스</title>", f"<title>{TITLE} - 가온뉴스</title>")
    assert extract(page, URL).title == TITLE


def test_a_hidden_print_copy_is_never_counted() -> None:
    hidden = f'<div class="print-only" style="display:none">{BODY_HTML}</div>'
    page = next_data_page({"article": ARTICLE}).replace("</body>", f"{hidden}</body>")
    body = extract(page, URL).body
    assert body.split("\n") == PARAS


def test_a_truncated_island_falls_back_to_the_html_with_a_note() -> None:
    visible = "".join(f"<p>{p}</p>" for p in PARAS)
    page = next_data_page({"article": ARTICLE})
    cut = page.index("contentHtml") + 40
    page = page[:cut] + f"</script><article><h1>{TITLE}</h1>{visible}</article></body></html>"
    result = extract(page, URL)
    assert token_f1(result.body, TRUTH) >= 0.95
    assert any("__NEXT_DATA__ is not JSON" in p for p in result.problems)


def test_an_island_that_is_not_json_is_skipped_with_a_note() -> None:
    iife = "<script>window.__NUXT__=(function(a,b){return {state:{title:a}}}('x',1));</script>"
    found, notes = find_island_article(SHELL.format(scripts=iife), URL)
    assert found is None and any("__NUXT__" in n and "JSON" in n for n in notes)
    broken = '<script id="__NEXT_DATA__" type="application/json">{"props": undefined}</script>'
    found, notes = find_island_article(SHELL.format(scripts=broken), URL)
    assert found is None and any("__NEXT_DATA__ is not JSON" in n for n in notes)


def test_a_huge_island_is_skipped_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    page = next_data_page({"article": ARTICLE, "padding": "가" * 5000})
    monkeypatch.setattr(islands, "MAX_ISLAND_CHARS", 4000)
    found, notes = find_island_article(page, URL)
    assert found is None and any("above 4,000" in n for n in notes)
    monkeypatch.setattr(islands, "MAX_ISLAND_CHARS", 1000)
    found, notes = find_island_article(flight_page(ARTICLE, [RELATED]), URL)
    assert any("__next_f payload above 1,000" in n for n in notes)


def test_a_teaser_is_not_an_article() -> None:
    teaser = {"title": TITLE, "summary": PARAS[0], "url": ARTICLE["url"]}
    found, _ = find_island_article(next_data_page({"article": teaser}), URL)
    assert found is None


def test_pages_without_islands_are_not_touched() -> None:
    page = f"<html><body><h1>{TITLE}</h1><article>{BODY_HTML}</article></body></html>"
    assert find_island_article(page, URL) == (None, [])


def test_guards_and_comparisons_are_not_islands() -> None:
    guards = ("<script>window.Fusion=window.Fusion||{};if(window.__NEXT_DATA__===undefined){}</script>")
    page = next_data_page({"article": ARTICLE}).replace("</body>", guards + "</body>")
    found, notes = find_island_article(page, URL)
    assert found is not None and found.title == TITLE and notes == []
