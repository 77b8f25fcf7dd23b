"""Per-family navigation: where an outlet's feeds and lists are, and how to read a list page.

A spider navigates; page objects (crawler/extract) read articles. One navigator per CMS family;
an outlet's registry entry (feeds, sitemaps, lists) always wins over the family's defaults.

Discovery strategies, per outlet, in this order (`Navigator.strategies()`):

1. **feeds** — the registry's `feeds`, else the family's default feed paths (NDSoft
   `/rss/allArticle.xml`, gnuboard `/bbs/rss.php?bo_table=` of each listed board). One
   conditional GET per feed per tick: an idle tick costs one request (a 304).
2. **sitemaps** — only when there is no feed or the feed failed (not a feed, 4xx/5xx): the
   registry's `sitemaps`, else the `Sitemap:` lines of the outlet's robots.txt, which the robots
   middleware has already fetched and cached (no extra request). News sitemaps first; a sitemap
   index is followed to at most `MAX_CHILD_SITEMAPS` children.
3. **lists** — the registry's `lists`, else the family's default list pages, else the home
   page; paged with `page_param` until a page has nothing new. When the home page serves as the
   list and yields no article link, the feeds it announces (`<link rel="alternate">`) are read
   instead (`home_feeds`) — no request beyond the home page itself.

`newswatch outlets check --write` runs the same discovery once (robots.txt, feed autodiscovery on
the home page) so that what it found can be written into the registry.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from crawler.crawl.discovery import Entry, autodiscover_feeds, list_links, robots_sitemaps
from crawler.dedupe.urls import article_id
from crawler.extract.articlephp import ARTICLE_URL as ARTICLEPHP_URL
from crawler.extract.listlinks import ShapeBook, article_links
from crawler.extract.page import PageKind
from crawler.extract.pagekind import url_kind
from crawler.extract.partidx import ARTICLE_URL as PARTIDX_URL
from crawler.extract.scrs import ARTICLE_URL as SCRS_URL
from crawler.registry import Outlet


def with_param(url: str, key: str, value: str) -> str:
    """The URL with one query parameter set (others kept in order)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != key]
    query.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(query)))


class Navigator:
    """The generic family: registry URLs only; any link shaped like an article counts."""

    family: ClassVar[str] = "generic"
    default_feeds: ClassVar[tuple[str, ...]] = ()
    default_lists: ClassVar[tuple[str, ...]] = ()
    item_css: ClassVar[str] = "a"
    link_css: ClassVar[str] = ""
    date_css: ClassVar[str] = ""
    page_param: ClassVar[str] = "page"

    def __init__(self, outlet: Outlet) -> None:
        self.outlet = outlet

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
        """The discovery strategies this outlet uses, in order (see the module docstring)."""
        order = ["feeds"] if self.feeds() else []
        order.append("sitemaps")
        order.append("lists")
        return order

    def has_article_id(self, url: str) -> bool:
        """The shortcut: a URL shape whose article id rule is known (crawler/dedupe/urls.py)."""
        return article_id(url, self.family) is not None

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


MAX_ROBOTS_SITEMAPS = 2
MAX_CHILD_SITEMAPS = 3
MAX_HOME_FEEDS = 2


class NdsoftNavigator(Navigator):
    """엔디소프트 (NDSoft): /rss/allArticle.xml, /news/articleList.html?view_type=sm, &page=N."""

    family = "ndsoft"
    default_feeds = ("rss/allArticle.xml",)
    default_lists = ("news/articleList.html?view_type=sm",)
    item_css = "#section-list > ul > li, #section-list li, .article-list li"
    link_css = ".titles a"
    date_css = ".byline em"


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


class McodeNavigator(Navigator):
    """/news/view.php?idx=<int>&mcode=<code>: lists /news/list.php?mcode=<code> (&page=N).

    No feed path is known for this CMS: registry feeds, else sitemaps, else its lists.
    """

    family = "mcode"

    def has_article_id(self, url: str) -> bool:
        return "view.php" in url and article_id(url, self.family) is not None

    def is_article_url(self, url: str) -> bool:
        return self.has_article_id(url)


class ArticleNoNavigator(Navigator):
    """/news/article.html?no=<int>: lists /news/article_list_all.html (&page=N)."""

    family = "articleno"
    default_lists = ("news/article_list_all.html",)


class _ShapeNavigator(Navigator):
    """A family known by its article URL shape (crawler/extract/landmarks.py), lists read by shape.

    Its id rule is the shortcut for list links; feed and sitemap entries are taken as the
    generic family takes them (anything not a home or list page), so moving an outlet from
    `generic` to its family never loses an entry discovery used to find."""

    def is_article_url(self, url: str) -> bool:
        return self.has_article_id(url) or (url_kind(url) is None and not self.is_home(url))


class PartIdxNavigator(_ShapeNavigator):
    """/news/view.php?idx=<int> (no mcode) and /default/index_view_page.php?idx=&part_idx=.

    Lists are /news/list.php?board_data=<base64>&search_items=<base64 part_idx=…>: their paging
    is inside the base64 argument, so registry lists are read one page per tick (the `page`
    parameter is ignored by the site and the second page, having nothing new, stops paging)."""

    family = "partidx"

    def has_article_id(self, url: str) -> bool:
        return bool(PARTIDX_URL.search(url)) and article_id(url, self.family) is not None


class ArticlePhpNavigator(_ShapeNavigator):
    """/article.php?aid=<int>: lists /section.php?section=<n>, paged with &page=<n>."""

    family = "articlephp"

    def has_article_id(self, url: str) -> bool:
        return bool(ARTICLEPHP_URL.search(url)) and article_id(url, self.family) is not None


class ScrsNavigator(_ShapeNavigator):
    """Regional MBC /NewsArticle/<int>: lists are section paths (/Social/<page>), no feed known."""

    family = "scrs"

    def has_article_id(self, url: str) -> bool:
        return bool(SCRS_URL.search(url)) and article_id(url, self.family) is not None


NAVIGATORS: dict[str, type[Navigator]] = {
    n.family: n
    for n in (
        Navigator, NdsoftNavigator, GnuboardNavigator, McodeNavigator, ArticleNoNavigator,
        PartIdxNavigator, ArticlePhpNavigator, ScrsNavigator,
    )
}  # fmt: skip


def navigator_for(outlet: Outlet) -> Navigator:
    return NAVIGATORS.get(outlet.family, Navigator)(outlet)
