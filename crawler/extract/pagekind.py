"""URL and link-density hints for telling article pages from home and list pages."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from .page import PageKind

_HOME_PATHS = re.compile(r"^/?(?:(?:index|main|default|home)\.(?:html?|php|asp|aspx|jsp))?$", re.I)
_LIST_PATHS = re.compile(
    r"(?:articleList|article_list|newsList|news_list|list\.(?:php|html?|asp|aspx|jsp)|"
    r"/list/?$|/section/|/category/|/tag/|/search)",
    re.I,
)


def url_kind(url: str) -> PageKind | None:
    """HOME or LIST when the URL alone says so, else None (undecided)."""
    parts = urlsplit(url)
    if _HOME_PATHS.match(parts.path or "/") and not parts.query:
        return PageKind.HOME
    if _LIST_PATHS.search(parts.path or ""):
        return PageKind.LIST
    return None


def query_param(url: str, name: str) -> str | None:
    """One query parameter of a URL, or None."""
    values = parse_qs(urlsplit(url).query).get(name)
    return values[0] if values else None


def count_links(el: etree._Element, href_pattern: re.Pattern[str]) -> int:
    """How many distinct links under `el` point at pages matching `href_pattern`."""
    hrefs = {href for href in el.xpath(".//a/@href") if href_pattern.search(href)}
    return len(hrefs)
