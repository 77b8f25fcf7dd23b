"""The `/news/article.html?no=<int>` family (mobile: `/mobile/article.html?no=<int>`).

Used by regional dailies and local papers (경기, 충북, 충남, 전북, 경남, 제주 in the observed list).
Its skins put the title in `.art_top h2` (subtitle `h3`), the byline and 등록/수정 dates in
`ul.art_info li`, and the body in `#news_body_area` (class `news_body_area`, `cnt_view`); lists
are `/news/article_list_all.html` and `/news/section_list_all.html?sec_no=<n>` with `&page=<n>`.
"""

from __future__ import annotations

import re

from crawler.dedupe.urls import IdRule
from crawler.extract.detect import Signature
from crawler.extract.landmarks import LandmarkPage
from crawler.extract.pagekind import query_param
from crawler.families.base import Family
from crawler.families.navigator import Navigator

ARTICLE_LINK = re.compile(r"article\.html\?no=\d+")
_INFO_CSS = "ul.art_info li, .art_info li, .art_top .info li, .view_info li, .arv_info li"


class ArticleNoPage(LandmarkPage):
    """An article of the `/news/article.html?no=` CMS: the shared selector-list page object with
    this CMS's selectors."""

    family = "articleno"
    title_css = (".art_top h2", ".arv_001 h2", ".art_title h2", ".news_title h2", "h2.art_tit")
    subtitle_css = (".art_top h3", ".arv_001 h3", ".art_sub", "h3.sub_tit", ".news_title h3")
    info_css = (_INFO_CSS,)  # one selector: the items in document order
    body_css = ("#news_body_area", ".news_body_area", ".cnt_view", "#article_body", "[itemprop=articleBody]")
    section_css = (".art_top .cate", ".location .on", ".sec_title", ".cate_name")

    def is_article_url(self, url: str) -> bool:
        return bool(query_param(url, "no")) and "article.html" in url


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
