"""NDSoft (엔디소프트) news CMS: `/news/articleView.html?idxno=<int>`.

Current skin: `h1.heading` (or `h3.heading`), `h2.subheading`, `ul.infomation > li` (sic) with the
reporter after `i.icon-user-o` and 입력/승인/수정 dates after `i.icon-clock-o`, body
`article#article-view-content-div` (`itemprop="articleBody"`, class `article-veiw-body`, sic).
The 2017–2018 skin: `div#user-container`, `.article-head-title`, `.info-text li`,
`div#article-view-content-div`. The body id also appears on home pages.
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
from crawler.extract.pagekind import count_links, url_kind
from crawler.extract.text import TITLES
from crawler.families.base import Family
from crawler.families.navigator import Navigator

ARTICLE_LINK = re.compile(r"articleView\.html\?idxno=\d+")
_HOME_CRUMBS = frozenset({"홈", "HOME", "Home", "home", "처음으로", "메인"})
_MAX_BODY_ARTICLE_LINKS = 4  # an article may link a few others; a home page's "body" lists many


class NDSoftPage(ArticlePage):
    """An NDSoft article page, current or 2017–2018 skin."""

    family = "ndsoft"

    @cached_property
    def body_element(self) -> etree._Element | None:
        """The article body container."""
        return self.first(
            "article#article-view-content-div",
            "#article-view-content-div",
            "[itemprop=articleBody]",
        )

    @cached_property
    def info_items(self) -> list[str]:
        """The byline/date items of either skin."""
        items = self.select("ul.infomation > li, .info-text li, .article-head-info li")
        return [text for text in (element_text(item, " ") for item in items) if text]

    def kind(self) -> PageKind:
        """Article unless the URL or the page shape says home/list."""
        if "articleView" in self.url:
            return PageKind.ARTICLE
        by_url = url_kind(self.url)
        if by_url is not None:
            return by_url
        if self.select("#section-list > ul > li"):
            return PageKind.LIST
        body = self.body_element
        if self.title is None and (
            body is None or count_links(body, ARTICLE_LINK) > _MAX_BODY_ARTICLE_LINKS
        ):
            return PageKind.HOME if count_links(self.sel.root, ARTICLE_LINK) else PageKind.LIST
        return PageKind.ARTICLE

    @field
    def title(self) -> str | None:
        return self.first_text(
            "h1.heading", "h3.heading", ".article-head-title", ".article-view-header h1"
        )

    @field
    def subtitle(self) -> str | None:
        el = self.first("h2.subheading", ".article-head-sub", ".article-head-subtitle")
        if el is None:
            return None
        return "\n".join(paragraphs(el)) or None

    @field
    def authors(self) -> list[str]:
        marked = self.select("ul.infomation > li:has(i.icon-user-o), .info-text li:has(.fa-user-o)")
        texts = [element_text(li) for li in marked]
        if not texts:
            texts = [item for item in self.info_items if re.search(TITLES, item)][:1]
        return clean_authors(texts)

    @cached_property
    def dates(self) -> dict[str, datetime]:
        """Labelled dates (입력/승인 → published, 수정 → modified) from the info items."""
        return find_labelled_dates(" | ".join(self.info_items))

    @field
    def section(self) -> str | None:
        crumbs = self.select(".breadcrumbs li a, .breadcrumbs a, nav.location a, .location a")
        for crumb in crumbs:
            text = element_text(crumb)
            if text and text not in _HOME_CRUMBS:
                return text
        return None

    @field
    def body(self) -> str:
        body = self.body_element
        return "\n".join(paragraphs(body)) if body is not None else ""


class NdsoftNavigator(Navigator):
    """엔디소프트 (NDSoft): /rss/allArticle.xml, /news/articleList.html?view_type=sm, &page=N."""

    family = "ndsoft"
    default_feeds = ("rss/allArticle.xml",)
    default_lists = ("news/articleList.html?view_type=sm",)
    item_css = "#section-list > ul > li, #section-list li, .article-list li"
    link_css = ".titles a"
    date_css = ".byline em"


ID_RULES = (
    IdRule("ndsoft", re.compile(r"/news/articleview(?:amp)?\.(?:html|php)$", re.I), ("idxno",)),
    IdRule(
        "ndsoft",
        re.compile(r"^/(?:index\.html|index\.php)?$", re.I),
        ("idxno",),
        extra=(("act", "articleview"),),
    ),
    IdRule("ndsoft", re.compile(r"^/(?:index\.html|index\.php)?$", re.I), ("article_idxno",)),
)

SIGNATURE = Signature(
    urls=(
        re.compile(r"/news/article(?:View|List)\.html", re.I),
        # the old-style links, still served by outlets that never moved: /?mod=news&act=articleView&idxno=N
        re.compile(r"^/(?:index\.(?:html|php))?\?(?=[^#]*\bmod=news\b)(?=[^#]*\bact=article(?:View|List)\b)", re.I),
    ),
    markers=(
        "article-view-content-div",
        "infomation",
        "articleView.html?idxno=",
        "article-veiw-body",
        "user-container",
        "mod=news&act=articleView",
        "mod=news&amp;act=articleView",
    ),
    list_links=re.compile(r"/news/articleList\.html|[?&]act=articleList\b", re.I),
)

FAMILY = Family(
    name="ndsoft",
    description=(
        "엔디소프트 (NDSoft): `/news/articleView.html?idxno=N`, and the old-style "
        "`/?mod=news&act=articleView&idxno=N` that outlets which never moved still serve"
    ),
    page=NDSoftPage,
    navigator=NdsoftNavigator,
    id_rules=ID_RULES,
    signature=SIGNATURE,
    samples=("ndsoft/article", "ndsoft/article_2018", "ndsoft/home", "ndsoft/list"),
    demo_templates=(
        "ndsoft_article.html", "ndsoft_aside.html", "ndsoft_footer.html", "ndsoft_header.html",
        "ndsoft_home.html", "ndsoft_items.html", "ndsoft_layout.html", "ndsoft_list.html", "ndsoft_rss.xml",
    ),
)
