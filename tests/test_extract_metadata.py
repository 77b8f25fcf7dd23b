"""Structured metadata: JSON-LD, Open Graph, article:*, itemprop, meta author, canonical."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from parsel import Selector

from crawler.extract.metadata import read_metadata, strip_site_name

SEOUL = ZoneInfo("Asia/Seoul")


def meta_of(head: str, body: str = "", url: str = "https://www.example.kr/news/1") -> object:
    return read_metadata(Selector(text=f"<html><head>{head}</head><body>{body}</body></html>"), url)


def test_jsonld_graph() -> None:
    head = """<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
      {"@type": "WebSite", "name": "새인천일보"},
      {"@type": ["NewsArticle"], "headline": "제목 &amp; 부제", "datePublished": "2024-06-13T02:10:00Z",
       "dateModified": "2024-06-13T11:30:00+09:00", "articleSection": ["경제", "관광"],
       "author": [{"@type": "Person", "name": "홍길동 기자"}, {"@type": "Organization", "name": "새인천일보"}],
       "url": "https://www.example.kr/news/1"}]}</script>"""
    meta = meta_of(head)
    assert meta.title == "제목 & 부제"
    assert meta.published_at == datetime(2024, 6, 13, 2, 10, tzinfo=UTC)
    assert meta.published_at.utcoffset().total_seconds() == 0  # the source's offset is kept
    assert meta.modified_at == datetime(2024, 6, 13, 11, 30, tzinfo=SEOUL)
    assert meta.section == "경제"
    assert meta.authors == ["홍길동"]
    assert meta.has_article_jsonld


def test_jsonld_list_and_invalid_scripts() -> None:
    head = """<script type="application/ld+json">{not json</script>
    <script type="application/ld+json">[{"@type": "BreadcrumbList"},
      {"@type": "Article", "headline": "둘째 스크립트", "author": "김철수"}]</script>"""
    meta = meta_of(head)
    assert meta.title == "둘째 스크립트"
    assert meta.authors == ["김철수"]


def test_open_graph_and_article_tags() -> None:
    head = """<meta property="og:site_name" content="새인천일보">
    <meta property="og:title" content="의료관광 팸투어 - 새인천일보">
    <meta property="og:url" content="/news/articleView.html?idxno=9">
    <meta property="article:published_time" content="2024-06-13T11:10:00+09:00">
    <meta property="article:modified_time" content="2024-06-13 12:00">
    <meta property="article:section" content="사회">
    <meta name="author" content="새인천일보">
    <meta property="dable:author" content="홍길동 기자">"""
    meta = meta_of(head)
    assert meta.title == "의료관광 팸투어"
    assert meta.canonical_url == "https://www.example.kr/news/articleView.html?idxno=9"
    assert meta.published_at == datetime(2024, 6, 13, 11, 10, tzinfo=SEOUL)
    assert meta.modified_at == datetime(2024, 6, 13, 12, 0, tzinfo=SEOUL)  # no offset → Seoul
    assert meta.section == "사회"
    assert meta.authors == ["홍길동"]  # `author` names the site itself: the next tag is used


def test_itemprop_and_canonical_link() -> None:
    head = '<link rel="canonical" href="https://www.example.kr/c/1"><meta property="og:url" content="https://x.kr/">'
    body = """<h1 itemprop="headline">본문 제목</h1><span itemprop="author">이영희 기자</span>
    <time itemprop="datePublished" datetime="2024-06-13T09:00:00+09:00">6월 13일</time>"""
    meta = meta_of(head, body)
    assert meta.canonical_url == "https://www.example.kr/c/1"
    assert meta.authors == ["이영희"]
    assert meta.published_at == datetime(2024, 6, 13, 9, 0, tzinfo=SEOUL)
    assert meta.title is None and meta.document_title is None


def test_document_title_is_kept_apart() -> None:
    meta = meta_of(
        "<title>제목 | 남항뉴스</title><meta property='og:site_name' content='남항뉴스'>"
    )
    assert meta.title is None
    assert meta.document_title == "제목"


def test_strip_site_name() -> None:
    assert strip_site_name("제목 - 매일경제", "매일경제") == "제목"
    assert strip_site_name("매일경제 | 제목", "매일경제") == "제목"
    assert strip_site_name("제목 - 다른곳", "매일경제") == "제목 - 다른곳"
    assert strip_site_name("제목", None) == "제목"
