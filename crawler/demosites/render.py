"""Render one outlet's site (home, articles, lists, feeds, robots.txt) to bytes, once.

The pages a crawl asks for (home, articles, the all-articles list and feed) are rendered at
start-up with the outlet's absolute base URL and kept in memory; section lists and feeds are
rendered on first request and kept too. Same outlet, articles, anchor and base URL: same bytes.
Chrome that does not change between pages (header, footer, sidebar items) is rendered once per
outlet, which keeps the start-up of 300 synthetic outlets to a few seconds.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from crawler.demosites.content import GNUBOARD_TABLE, DemoArticle, Outlet, chrome

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
PAGE_SIZE = 10  # list items per page
FEED_SIZE = 20  # newest items in a feed
WEEKDAYS = "월화수목금토일"

# Article variants requested by faults (see faults.py); they change the rendered bytes.
ARTICLE_VARIANTS = frozenset({"nodate", "nobody", "skinchange"})


@dataclass(frozen=True)
class Page:
    """One response body with the validators computed from it."""

    body: bytes
    content_type: str
    last_modified: datetime
    etag: str
    last_modified_http: str  # Last-Modified header value

    @classmethod
    def make(cls, body: bytes, content_type: str, last_modified: datetime) -> Page:
        etag = '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest() + '"'
        moment = last_modified.replace(microsecond=0)
        return cls(body, content_type, moment, etag, http_date(moment))


@dataclass
class SitePages:
    """Everything one outlet serves; lists and feeds come from the renderer, cached there."""

    renderer: SiteRenderer
    home: Page
    robots: Page
    articles: dict[int, Page] = field(default_factory=dict)

    def list_page(self, code: str, number: int) -> Page | None:
        """A list page ("" = all articles), or None for a list the outlet does not have."""
        return self.renderer.list_page(code, number) if self.renderer.has_list(code) else None

    def feed(self, code: str) -> Page | None:
        """A feed ("" = all articles), or None for a feed the outlet does not have."""
        return self.renderer.feed(code) if self.renderer.has_list(code) else None

    def __iter__(self) -> Iterator[Page]:
        """Every page, rendering the lazy ones first."""
        yield self.home
        yield self.robots
        yield from self.articles.values()
        yield from self.renderer.everything()


# --- formatting helpers (also template filters) -----------------------------------------------


def dotted(moment: datetime) -> str:
    """NDSoft's visible date: 2026.01.02 11:10."""
    return moment.strftime("%Y.%m.%d %H:%M")


def gnu_date(moment: datetime) -> str:
    """gnuboard's view date: 26-01-02 11:10."""
    return moment.strftime("%y-%m-%d %H:%M")


def rfc822(moment: datetime) -> str:
    """RSS pubDate in Seoul time: Fri, 02 Jan 2026 11:10:00 +0900."""
    return format_datetime(moment)


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def meta_time(moment: datetime, style: str) -> str:
    """article:published_time as the outlet writes it ("" when it writes none)."""
    if style == "utc":
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "kst":
        return moment.isoformat()
    return ""


def date_line(anchor: datetime) -> str:
    """The masthead date: 2026년 01월 02일 (금)."""
    return anchor.strftime("%Y년 %m월 %d일") + f" ({WEEKDAYS[anchor.weekday()]})"


def lead(article: DemoArticle, limit: int = 120) -> str:
    text = article.paragraphs[0] if article.paragraphs else ""
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def weather(anchor: datetime) -> list[dict[str, Any]]:
    """The ticker's stations with a temperature and sky, fixed for the anchor's day."""
    spec = chrome()["weather"]
    rng = random.Random(anchor.strftime("weather-%Y%m%d"))
    winter = anchor.month in (12, 1, 2)
    skies = spec["skies"][:4] + (["눈"] if winter else ["비"])
    mean = spec["monthly_mean"][anchor.month - 1]
    return [
        {"name": name, "temp": mean + offset + rng.randint(-3, 3), "sky": rng.choice(skies)}
        for name, offset in spec["stations"]
    ]


_INITIALS = "g kk n d tt r m b pp s ss - j jj ch k t p h".split()
_MEDIALS = "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i".split()
_FINALS = [
    "",
    "k",
    "k",
    "k",
    "n",
    "n",
    "n",
    "t",
    "l",
    "k",
    "m",
    "l",
    "l",
    "l",
    "p",
    "l",
    "m",
    "p",
    "p",
    "t",
    "t",
    "ng",
    "t",
    "t",
    "k",
    "t",
    "p",
    "t",
]


def romanize(name: str) -> str:
    """A plain ASCII spelling of a Hangul name (simplified Revised Romanization)."""
    out = []
    for ch in name:
        code = ord(ch) - 0xAC00
        if not 0 <= code < 11172:
            out.append(ch if ch.isascii() and ch.isalnum() else "")
            continue
        initial, rest = divmod(code, 588)
        medial, final = divmod(rest, 28)
        out.append(_INITIALS[initial].replace("-", "") + _MEDIALS[medial] + _FINALS[final])
    return "".join(out)


def reporter_email(article: DemoArticle, outlet: Outlet) -> str:
    """The reporter's address: given name romanized at the outlet's mail domain."""
    if article.reporter == "편집국" or len(article.reporter) < 2:
        return f"news@{outlet.mail_domain}"
    return f"{romanize(article.reporter[1:])}@{outlet.mail_domain}"


def json_ld(data: dict[str, Any]) -> Markup:
    """JSON for a <script> element (no "</" inside)."""
    return Markup(json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/"))


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(("html", "xml")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        dotted=dotted,
        gnu_date=gnu_date,
        rfc822=rfc822,
        lead=lead,
        meta_time=meta_time,
        reporter_email=reporter_email,
    )
    return env


# --- one outlet ----------------------------------------------------------------------------


class SiteRenderer:
    """Renders the pages of one outlet for one base URL.

    Home, robots.txt, every article, the all-articles list and feed are rendered up front
    (`render()`); section lists and feeds and pages past the last one are rendered when first
    asked for (`list_page`, `feed`) and kept.
    """

    def __init__(
        self,
        outlet: Outlet,
        articles: Sequence[DemoArticle],
        base_url: str,
        anchor: datetime,
        variants: frozenset[str] = frozenset(),
    ) -> None:
        self.outlet = outlet
        self.articles = sorted(articles, key=lambda a: (a.published_at, a.id), reverse=True)
        self.base = base_url.rstrip("/")
        self.anchor = anchor
        self.variants = variants & ARTICLE_VARIANTS
        self.env = environment()
        self.newest = max((a.updated_at for a in self.articles), default=anchor)
        self.common = self._common_context()
        family = outlet.family
        self.common["header_html"] = self._fragment(f"{family}_header.html")
        self.common["footer_html"] = self._fragment(f"{family}_footer.html")
        self._boxes = self._box_items()
        self._asides: dict[int, Markup] = {}
        self._lists: dict[tuple[str, int], Page] = {}
        self._feeds: dict[str, Page] = {}
        self._lock = threading.Lock()  # lazy pages may be asked for from two threads

    def _common_context(self) -> dict[str, Any]:
        """Context shared by every page of the outlet."""
        spec = chrome()
        return {
            "outlet": self.outlet,
            "base": self.base,
            "anchor": self.anchor,
            "articles": self.articles,
            "latest": self.articles[:11],
            "photos": [a for a in self.articles if a.caption][:5],
            "popular": self._popular(),
            "date_line": date_line(self.anchor),
            "weather": weather(self.anchor),
            "weather_source": spec["weather"]["source"],
            "menu": spec["sections"],
            "banners": spec["banners"],
            "share": spec["share"],
            "footer_links": spec["footer_links"],
            "copyright_line": spec["copyright_line"].format(name=self.outlet.name),
            "footer_notice": spec["footer_notice"].format(name=self.outlet.name),
            "youth_officer": spec["youth_officer"],
            "comment_notice": spec["comment_notice"],
            "family": self.outlet.family,
        }

    def _popular(self) -> list[DemoArticle]:
        by_id = {a.id: a for a in self.articles}
        chosen = [by_id[i] for i in self.outlet.popular if i in by_id]
        return chosen[:11] if chosen else self.articles[:11]

    # chrome -------------------------------------------------------------------------------

    def _fragment(self, template: str, **context: Any) -> Markup:
        """A piece of chrome rendered once and reused by many pages."""
        return Markup(self.env.get_template(template).render(**self.common, **context))

    def _box_items(self) -> dict[str, list[tuple[int, Markup]]]:
        """Each sidebar box as (article id, rendered item), so asides are cheap to assemble."""
        macros: Any = self.env.get_template(f"{self.outlet.family}_items.html").module  # jinja macros
        boxes = {
            "popular": macros.popular_item,
            "latest": macros.latest_item,
            "photos": macros.photo_item,
        }
        return {
            box: [(a.id, Markup(render_item(a, self.base))) for a in self.common[box]]
            for box, render_item in boxes.items()
        }

    def _aside(self, current_id: int) -> Markup:
        """The sidebar boxes, with the current article left out of them."""
        shown = {i for items in self._boxes.values() for i, _ in items}
        key = current_id if current_id in shown else 0
        if key not in self._asides:
            limits = {"popular": 10, "latest": 10, "photos": 4}
            pick = {
                f"{box}_items": [item for i, item in items if i != key][: limits[box]]
                for box, items in self._boxes.items()
            }
            self._asides[key] = self._fragment(f"{self.outlet.family}_aside.html", **pick)
        return self._asides[key]

    # encoding -----------------------------------------------------------------------------

    def _html(self, template: str, last_modified: datetime, **context: Any) -> Page:
        article = context.get("article")
        aside = self._aside(article.id if article is not None else 0)
        text = self.env.get_template(template).render(**self.common, aside_html=aside, **context)
        body = text.encode(self.outlet.encoding, errors="xmlcharrefreplace")
        return Page.make(body, f"text/html; charset={self.outlet.charset}", last_modified)

    def _xml(self, template: str, last_modified: datetime, **context: Any) -> Page:
        text = self.env.get_template(template).render(**self.common, **context)
        body = text.encode(self.outlet.encoding, errors="xmlcharrefreplace")
        return Page.make(body, f"application/rss+xml; charset={self.outlet.charset}", last_modified)

    # pages --------------------------------------------------------------------------------

    def render(self) -> SitePages:
        """The pages rendered up front; the rest come from `list_page` and `feed` on demand."""
        pages = SitePages(
            renderer=self,
            home=self._html(f"{self.outlet.family}_home.html", self.newest, page_kind="home"),
            robots=self._robots(),
        )
        for article in self.articles:
            pages.articles[article.id] = self._article(article)
        for number in range(1, self.page_count("") + 1):
            self.list_page("", number)
        self.feed("")
        return pages

    def _robots(self) -> Page:
        lines = ["User-agent: *", *(f"Disallow: {rule}" for rule in self.outlet.disallow), ""]
        return Page.make("\n".join(lines).encode("ascii"), "text/plain; charset=utf-8", self.newest)

    def _article(self, article: DemoArticle) -> Page:
        same_section = [
            a for a in self.articles if a.section == article.section and a.id != article.id
        ]
        skinchange = "skinchange" in self.variants
        template = "skinchange_article.html" if skinchange else f"{self.outlet.family}_article.html"
        url = self.base + article.path
        context: dict[str, Any] = {
            "article": article,
            "url": url,
            "related": same_section[:3],
            "show_dates": "nodate" not in self.variants,
            "show_body": "nobody" not in self.variants,
            "page_kind": "article",
        }
        if skinchange:
            context["ld"] = json_ld(self._ld(article, url))
        return self._html(template, article.updated_at, **context)

    def _ld(self, article: DemoArticle, url: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.title,
            "mainEntityOfPage": url,
            "articleSection": article.section.name,
            "author": [{"@type": "Person", "name": f"{article.reporter} 기자"}],
            "publisher": {"@type": "Organization", "name": self.outlet.name},
        }
        if "nodate" not in self.variants:
            data["datePublished"] = article.published_at.isoformat()
            data["dateModified"] = article.updated_at.isoformat()
        return data

    def has_list(self, code: str) -> bool:
        """ "" is the all-articles list; NDSoft outlets also have one list per section."""
        if code == "":
            return True
        return self.outlet.family == "ndsoft" and code in {s.code for s in self.outlet.sections}

    def _items(self, code: str) -> list[DemoArticle]:
        return [a for a in self.articles if a.section.code == code] if code else self.articles

    def page_count(self, code: str) -> int:
        return max(1, -(-len(self._items(code)) // PAGE_SIZE))

    def list_page(self, code: str, number: int) -> Page:
        """Page `number` (from 1) of a list; any number past the last gives an empty page."""
        last = self.page_count(code)
        number = min(max(number, 1), last + 1)
        key = (code, number)
        with self._lock:
            return self._lists[key] if key in self._lists else self._render_list(code, number, last)

    def _render_list(self, code: str, number: int, last: int) -> Page:
        items = self._items(code)
        page = self._lists[(code, number)] = self._html(
            f"{self.outlet.family}_list.html",
            max((a.updated_at for a in items), default=self.newest),
            items=items[(number - 1) * PAGE_SIZE : number * PAGE_SIZE],
            page=number,
            last_page=last,
            total=len(items),
            section=self.outlet.section(code) if code else None,
            list_base=self._list_base(code),
            page_kind="list",
        )
        return page

    def _list_base(self, code: str) -> str:
        """The list URL without its page parameter."""
        if self.outlet.family == "gnuboard":
            return f"/bbs/board.php?bo_table={GNUBOARD_TABLE}"
        section = f"sc_section_code={code}&" if code else ""
        return f"/news/articleList.html?{section}view_type=sm"

    def feed(self, code: str) -> Page:
        """The feed of the newest FEED_SIZE items ("" = all articles)."""
        with self._lock:
            return self._feeds[code] if code in self._feeds else self._render_feed(code)

    def _render_feed(self, code: str) -> Page:
        items = self._items(code)
        last_modified = max((a.updated_at for a in items), default=self.newest)
        page = self._feeds[code] = self._xml(
            f"{self.outlet.family}_rss.xml",
            last_modified,
            items=items[:FEED_SIZE],
            section=self.outlet.section(code) if code else None,
            build_date=last_modified,
        )
        return page

    def everything(self) -> list[Page]:
        """Render whatever is still lazy and return every page (for tests and checks)."""
        codes = [""] + (
            [s.code for s in self.outlet.sections] if self.outlet.family == "ndsoft" else []
        )
        pages = []
        for code in codes:
            pages += [self.list_page(code, n) for n in range(1, self.page_count(code) + 2)]
            pages.append(self.feed(code))
        return pages
