"""The navigator every family's builds on: where an outlet's feeds, sitemaps and lists are, and how
to read a list page (the strategies and their order: `spiders/navigators.py`)."""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from crawler.dedupe.urls import IdRule, article_id
from crawler.extract.discovery import Entry, autodiscover_feeds, list_links, robots_sitemaps
from crawler.extract.listlinks import ShapeBook, article_links
from crawler.extract.page import PageKind
from crawler.extract.pagekind import url_kind
from crawler.registry import Outlet

MAX_ROBOTS_SITEMAPS = 2
MAX_CHILD_SITEMAPS = 3
MAX_HOME_FEEDS = 2


def with_param(url: str, key: str, value: str) -> str:
    """The URL with one query parameter set (others kept in order)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != key]
    query.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(query)))


class Navigator:
    """The generic family: registry URLs only; any link shaped like an article counts.

    `id_rules` is every family's article-id rules (`crawler.families.ID_RULES`): a URL of any
    known shape is a shortcut, whatever the outlet's family."""

    family: ClassVar[str] = "generic"
    default_feeds: ClassVar[tuple[str, ...]] = ()
    default_lists: ClassVar[tuple[str, ...]] = ()
    item_css: ClassVar[str] = "a"
    link_css: ClassVar[str] = ""
    date_css: ClassVar[str] = ""
    page_param: ClassVar[str] = "page"

    def __init__(self, outlet: Outlet, id_rules: tuple[IdRule, ...]) -> None:
        self.outlet = outlet
        self.id_rules = id_rules

    def feeds(self) -> list[str]:
        if self.outlet.feeds:
            return list(self.outlet.feeds)
        return [urljoin(self.outlet.home, f) for f in self.default_feeds]

    def lists(self) -> list[str]:
        """Registry lists, else the family's; with neither, the home page serves as the list."""
        if self.outlet.lists:
            return list(self.outlet.lists)
        return [urljoin(self.outlet.home, u) for u in self.default_lists] or [self.outlet.home]

    def sitemaps(self, robots_txt: bytes | str | None = None) -> list[str]:
        """Registry sitemaps, else the `Sitemap:` lines of the (cached) robots.txt, news first."""
        if self.outlet.sitemaps:
            return list(self.outlet.sitemaps)
        if not robots_txt:
            return []
        return robots_sitemaps(robots_txt, self.outlet.home)[:MAX_ROBOTS_SITEMAPS]

    def child_sitemaps(self, children: list[str]) -> list[str]:
        """Which children of a sitemap index to read: news ones first, at most a few."""
        return children[:MAX_CHILD_SITEMAPS]

    def home_feeds(self, html: str, base_url: str) -> list[str]:
        """Feeds the home page announces, when the registry gives none (autodiscovery)."""
        if self.outlet.feeds:
            return []
        return autodiscover_feeds(html, base_url)[:MAX_HOME_FEEDS]

    def is_home(self, url: str) -> bool:
        return url.rstrip("/") == self.outlet.home.rstrip("/")

    def strategies(self) -> list[str]:
        """The discovery strategies this outlet uses, in order (see spiders/navigators.py)."""
        order = ["feeds"] if self.feeds() else []
        order.append("sitemaps")
        order.append("lists")
        return order

    def has_article_id(self, url: str) -> bool:
        """The shortcut: a URL shape whose article id rule is known (crawler/dedupe/urls.py)."""
        return article_id(url, self.family, rules=self.id_rules) is not None

    def is_article_url(self, url: str) -> bool:
        """Whether a feed, sitemap or list entry may be an article worth requesting.

        Families whose CMS fixes the article URL say so by their id rule. A generic outlet's
        articles live anywhere (`/article/460`, `/view/<hash>`): every entry that is not its home
        or a list page by URL counts; its lists were already read by shape (`list_entries`)."""
        if self.has_article_id(url):
            return True
        return self.family == "generic" and url_kind(url) is None and not self.is_home(url)

    def list_entries(self, html: str, base_url: str, book: ShapeBook | None = None) -> list[Entry]:
        """The article links of a list page.

        A family with list markup reads its list items; any other page is read by shape: the
        repeated, dated, headline-like links (crawler/extract/listlinks.py), the id rule a
        shortcut, `book` the outlet's shapes learned and confirmed over earlier runs."""
        if self.link_css:
            entries = list_links(html, base_url, self.item_css, self.link_css, self.date_css)
            return [e for e in entries if self.is_article_url(e.url)]
        found = article_links(html, base_url, site_url=self.outlet.home, book=book,
                              shortcut=self.has_article_id)
        return [Entry(link.url, link.title, link.date) for link in found
                if not self.is_home(link.url) and url_kind(link.url) is not PageKind.HOME]

    def page_url(self, list_url: str, page: int) -> str:
        return with_param(list_url, self.page_param, str(page))


class ShapeNavigator(Navigator):
    """A family known by its article URL shape (crawler/extract/landmarks.py), lists read by shape.

    Its id rule is the shortcut for list links; feed and sitemap entries are taken as the
    generic family takes them (anything not a home or list page), so moving an outlet from
    `generic` to its family never loses an entry discovery used to find."""

    def is_article_url(self, url: str) -> bool:
        return self.has_article_id(url) or (url_kind(url) is None and not self.is_home(url))
