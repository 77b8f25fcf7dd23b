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

from .authors import clean_authors
from .blocks import element_text, paragraphs
from .dates import find_labelled_dates
from .page import ArticlePage, PageKind, field
from .pagekind import count_links, url_kind
from .text import TITLES

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
