"""The `/news/article.html?no=<int>` family (mobile: `/mobile/article.html?no=<int>`).

Used by regional dailies and local papers (경기, 충북, 충남, 전북, 경남, 제주 in the observed list).
Its skins put the title in `.art_top h2` (subtitle `h3`), the byline and 등록/수정 dates in
`ul.art_info li`, and the body in `#news_body_area` (class `news_body_area`, `cnt_view`); lists
are `/news/article_list_all.html` and `/news/section_list_all.html?sec_no=<n>` with `&page=<n>`.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cached_property

from lxml import etree

from crawler.dedupe.urls import IdRule
from crawler.extract.authors import clean_authors
from crawler.extract.blocks import element_text, paragraphs
from crawler.extract.dates import find_labelled_dates
from crawler.extract.detect import Signature
from crawler.extract.page import ArticlePage, PageKind, field
from crawler.extract.pagekind import query_param, url_kind
from crawler.extract.text import TITLES
from crawler.families.base import Family
from crawler.families.navigator import Navigator

ARTICLE_LINK = re.compile(r"article\.html\?no=\d+")
_INFO_CSS = "ul.art_info li, .art_info li, .art_top .info li, .view_info li, .arv_info li"
_TITLE_CSS = (".art_top h2", ".arv_001 h2", ".art_title h2", ".news_title h2", "h2.art_tit")
_SUBTITLE_CSS = (".art_top h3", ".arv_001 h3", ".art_sub", "h3.sub_tit", ".news_title h3")
_BODY_CSS = ("#news_body_area", ".news_body_area", ".cnt_view", "#article_body", "[itemprop=articleBody]")
_NAME_WITH_TITLE = re.compile(r"([가-힣]{2,4})\s*" + TITLES)


class ArticleNoPage(ArticlePage):
    """An article of the `/news/article.html?no=` CMS."""

    family = "articleno"

    def kind(self) -> PageKind:
        if query_param(self.url, "no") and "article.html" in self.url:
            return PageKind.ARTICLE
        by_url = url_kind(self.url)
        if by_url is not None:
            return by_url
        return PageKind.ARTICLE

    @cached_property
    def info_items(self) -> list[str]:
        items = self.select(_INFO_CSS)
        return [text for text in (element_text(li, " ") for li in items) if text]

    @cached_property
    def body_element(self) -> etree._Element | None:
        return self.first(*_BODY_CSS)

    @field
    def title(self) -> str | None:
        return self.first_text(*_TITLE_CSS)

    @field
    def subtitle(self) -> str | None:
        el = self.first(*_SUBTITLE_CSS)
        return "\n".join(paragraphs(el)) or None if el is not None else None

    @field
    def authors(self) -> list[str]:
        for item in self.info_items:
            match = _NAME_WITH_TITLE.search(item)
            if match:
                return clean_authors([match.group(0)])
        return []

    @cached_property
    def dates(self) -> dict[str, datetime]:
        return find_labelled_dates(" | ".join(self.info_items))

    @field
    def section(self) -> str | None:
        return self.first_text(".art_top .cate", ".location .on", ".sec_title", ".cate_name")

    @field
    def body(self) -> str:
        body = self.body_element
        return "\n".join(paragraphs(body)) if body is not None else ""


class ArticleNoNavigator(Navigator):
    """/news/article.html?no=<int>: lists /news/article_list_all.html (&page=N)."""

    family = "articleno"
    default_lists = ("news/article_list_all.html",)


ID_RULES = (IdRule("article.html", re.compile(r"/article\.html$", re.I), ("no",)),)

SIGNATURE = Signature(
    urls=(re.compile(r"/(?:news|mobile)/article\.html\?(?:[^#]*&)?no=\d+", re.I),),
    markers=("/news/article.html?no=", "news_body_area", "art_info", "art_top", "article_list_all"),
    list_links=re.compile(r"/news/article_list(?:_all)?\.html", re.I),
)

FAMILY = Family(
    name="articleno",
    description="`/news/article.html?no=N` (mobile `/mobile/article.html?no=N`); lists `/news/article_list_all.html`",
    page=ArticleNoPage,
    navigator=ArticleNoNavigator,
    id_rules=ID_RULES,
    signature=SIGNATURE,
    samples=("articleno/article", "articleno/home"),
)
