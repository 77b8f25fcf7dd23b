"""The `part_idx` CMS: `/news/view.php?idx=<int>` (no mcode) and `/default/index_view_page.php?idx=&part_idx=`.

Used by local papers, mostly of 대구·경북 and 경남 (dgy, kbsm, ksmnews, ysnews, gjnews, icnnews,
kimcheon … in the registry's evidence). The same outlet has served both URL shapes (kbsm:
`/default/index_view_page.php?idx=…&part_idx=320`, later `/news/view.php?idx=…`), and both
generations page their lists with base64 arguments naming the section by `part_idx`
(`/news/list.php?board_data=…&search_items=<base64 "part_idx=331&…">`). It is not the mcode
CMS: that one's lists are `/news/list.php?mcode=`, and its articles carry `mcode=`.
"""

from __future__ import annotations

import re

from crawler.dedupe.urls import IdRule
from crawler.extract.detect import Signature
from crawler.extract.landmarks import LandmarkPage
from crawler.families.base import Family
from crawler.families.navigator import ShapeNavigator

ARTICLE_URL = re.compile(
    r"/news/view\.php\?(?![^#]*\bmcode=)[^#]*\bidx=\d+|/index_view_page\.php\?[^#]*\bidx=\d+", re.I
)


class PartIdxPage(LandmarkPage):
    """An article of the `part_idx` CMS."""

    family = "partidx"
    title_css = (".article_head h1", ".view_title h1", ".news_title h1", "h1.title", ".view_tit", "#article_title")
    subtitle_css = (".article_head h2", ".view_title h2", ".news_title h2", ".sub_title", ".view_stit")
    info_css = (".article_info li", ".view_info li", ".news_info li", ".article_info", ".view_info", ".writer_info")
    body_css = ("#news_body_area", "#article_body", "#articleBody", ".view_con", ".news_text", "[itemprop=articleBody]")
    section_css = (".article_head .section", ".view_title .cate", ".location .on")

    def is_article_url(self, url: str) -> bool:
        return bool(ARTICLE_URL.search(url))


class PartIdxNavigator(ShapeNavigator):
    """/news/view.php?idx=<int> (no mcode) and /default/index_view_page.php?idx=&part_idx=.

    Lists are /news/list.php?board_data=<base64>&search_items=<base64 part_idx=…>: their paging
    is inside the base64 argument, so registry lists are read one page per tick (the `page`
    parameter is ignored by the site and the second page, having nothing new, stops paging)."""

    family = "partidx"

    def has_article_id(self, url: str) -> bool:
        return bool(ARTICLE_URL.search(url)) and super().has_article_id(url)


ID_RULES = (
    # mcode's rule, under its name: this CMS's outlets were keyed by it before the family existed
    IdRule("mcode", re.compile(r"(?:^|/)view\.php$", re.I), ("idx",)),
    IdRule("index_view_page.php", re.compile(r"/index_view_page\.php$", re.I), ("idx",)),
)

SIGNATURE = Signature(
    # after mcode's: a /news/view.php?idx= link without mcode= is this CMS
    urls=(re.compile(r"/news/view\.php\?(?:[^#]*&)?idx=\d+|/index_view_page\.php\?(?:[^#]*&)?idx=\d+", re.I),),
    markers=("index_view_page.php?", "part_idx=", "board_data=", "search_items="),
    list_links=re.compile(r"/news/list\.php\?(?![^#]*\bmcode=)[^#]*\b(?:board_data|search_items)=", re.I),
)

FAMILY = Family(
    name="partidx",
    description=(
        "`/news/view.php?idx=` without `mcode`, and the same CMS's older "
        "`/default/index_view_page.php?idx=&part_idx=`; lists `/news/list.php?board_data=&search_items=` "
        "with base64 arguments, read one page per tick — 15 outlets, mostly 대구·경북 and 경남"
    ),
    page=PartIdxPage,
    navigator=PartIdxNavigator,
    id_rules=ID_RULES,
    signature=SIGNATURE,
    samples=("partidx/article",),
)
