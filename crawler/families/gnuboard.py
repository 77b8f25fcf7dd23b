"""Gnuboard (그누보드) boards used as news CMS: `/bbs/board.php?bo_table=<board>&wr_id=<int>`.

Default skin: title `#bo_v_title` (`.bo_v_tit`, with the category in `.bo_v_cate`), author and
date in `#bo_v_info` (`.sv_member`, date like `24-06-13 11:10`), body `#bo_v_con`, list rows in
`#bo_list`. News sites customise the skin, so every field tries a few places.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cached_property
from urllib.parse import parse_qsl, urljoin, urlsplit

from lxml import etree

from crawler.dedupe.urls import IdRule
from crawler.extract.authors import clean_authors
from crawler.extract.blocks import element_text, paragraphs
from crawler.extract.dates import find_labelled_dates, parse_korean_datetime
from crawler.extract.detect import Signature
from crawler.extract.page import ArticlePage, PageKind, field
from crawler.extract.pagekind import query_param, url_kind
from crawler.extract.text import TITLES
from crawler.families.base import Family
from crawler.families.navigator import Navigator

_AUTHOR_AFTER_LABEL = re.compile(r"(?:작성자|글쓴이|글쓴 이)\s*[:：]?\s*([^\s|]+)")
_AUTHOR_BEFORE_TITLE = re.compile(r"([가-힣]{2,4})\s*" + TITLES)


class GnuboardPage(ArticlePage):
    """A gnuboard article (a board post)."""

    family = "gnuboard"

    @cached_property
    def info_text(self) -> str:
        """The text of the post's info block (author, date, views)."""
        return (
            self.first_text("#bo_v_info", ".bo_v_info", "#bo_v .info", ".view_info", separator=" ")
            or ""
        )

    @cached_property
    def body_element(self) -> etree._Element | None:
        """The post body container."""
        return self.first(
            "#bo_v_con", ".bo_v_con", "#bo_content", "#writeContents", ".view_content", "#bo_v_atc"
        )

    def kind(self) -> PageKind:
        """Article when the URL names a post (wr_id) or the page shows one; list otherwise."""
        if query_param(self.url, "wr_id"):
            return PageKind.ARTICLE
        if self.body_element is None and self.select("#bo_list, .bo_list, #fboardlist"):
            return PageKind.LIST
        by_url = url_kind(self.url)
        if by_url is not None and self.title is None:
            return by_url
        if query_param(self.url, "bo_table") and self.body_element is None:
            return PageKind.LIST
        return PageKind.ARTICLE

    @field
    def title(self) -> str | None:
        title = self.first_text(
            "#bo_v_title .bo_v_tit", ".bo_v_tit", "#bo_v_title .tit", ".view_title", "#bo_v h1"
        )
        if title:
            return title
        el = self.first("#bo_v_title")
        if el is None:
            return None
        category = self.first_text("#bo_v_title .bo_v_cate") or ""
        text = element_text(el)
        return (
            text[len(category) :].strip()
            if category and text.startswith(category)
            else text or None
        )

    @field
    def authors(self) -> list[str]:
        name = self.first_text(
            "#bo_v_info .sv_member",
            "#bo_v_info .sv_guest",
            "#bo_v_info .member",
            ".bo_v_info .sv_member",
            "#bo_v .sv_member",
            "#bo_v_info .writer",
        )
        if name:
            return clean_authors([name])
        match = _AUTHOR_AFTER_LABEL.search(self.info_text) or _AUTHOR_BEFORE_TITLE.search(
            self.info_text
        )
        return clean_authors([match.group(1)]) if match else []

    @cached_property
    def dates(self) -> dict[str, datetime]:
        """Labelled dates in the info block; an unlabelled one counts as published."""
        found = find_labelled_dates(self.info_text)
        if "published" not in found:
            date_text = self.first_text("#bo_v_info .if_date", ".if_date", "#bo_v_info .date")
            value = parse_korean_datetime(date_text or self.info_text)
            if value is not None:
                found["published"] = value
        return found

    @field
    def section(self) -> str | None:
        return self.first_text(
            "#bo_v_title .bo_v_cate",
            ".bo_v_cate",
            "#container_title span",
            "#container_title",
            "#bo_cate .on",
            "#bo_cate_on",
        )

    @field
    def body(self) -> str:
        body = self.body_element
        return "\n".join(paragraphs(body)) if body is not None else ""


class GnuboardNavigator(Navigator):
    """그누보드: lists are /bbs/board.php?bo_table=<board>, feeds /bbs/rss.php?bo_table=<board>."""

    family = "gnuboard"
    item_css = "#bo_list tr, #bo_list li, .bo_list li"
    link_css = "a[href*='wr_id=']"
    date_css = ".td_datetime, .td_date, .bo_date"

    def feeds(self) -> list[str]:
        if self.outlet.feeds:
            return list(self.outlet.feeds)
        boards = [dict(parse_qsl(urlsplit(u).query)).get("bo_table") for u in self.outlet.lists]
        return [urljoin(self.outlet.home, f"/bbs/rss.php?bo_table={b}") for b in boards if b]


ID_RULES = (
    IdRule("gnuboard", re.compile(r"/bbs/board\.php$", re.I), ("bo_table", "wr_id"), re.compile(r"^\w+$")),
)

SIGNATURE = Signature(
    urls=(re.compile(r"/bbs/(?:board|rss)\.php\?(?:[^#]*&)?bo_table=", re.I),),
    markers=("g5_url", "g4_path", "bo_v_con", "bo_v_title", "bo_list", "/bbs/board.php?bo_table="),
    list_links=re.compile(r"/bbs/board\.php\?(?![^#]*\bwr_id=)[^#]*\bbo_table=", re.I),
)

FAMILY = Family(
    name="gnuboard",
    description="그누보드 boards used as a news CMS: `/bbs/board.php?bo_table=&wr_id=`",
    page=GnuboardPage,
    navigator=GnuboardNavigator,
    id_rules=ID_RULES,
    signature=SIGNATURE,
    samples=("gnuboard/article", "gnuboard/article_custom", "gnuboard/list"),
    demo_templates=(
        "gnuboard_article.html", "gnuboard_aside.html", "gnuboard_footer.html", "gnuboard_header.html",
        "gnuboard_home.html", "gnuboard_items.html", "gnuboard_layout.html", "gnuboard_list.html",
        "gnuboard_rss.xml",
    ),
)
