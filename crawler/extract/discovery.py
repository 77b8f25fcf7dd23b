"""Discovery before download: feed entries and list-page links, parsed without fetching articles."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from lxml import etree
from parsel import Selector

from crawler.clock import SEOUL
from crawler.extract.dates import check_date, parse_korean_datetime

_XML_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
_ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass(frozen=True)
class Entry:
    """One discovered article link, with what the feed or list said about it."""

    url: str
    title: str = ""
    modified: str = ""  # the feed/list's date text, compared between runs (revisit policy)


class NotAFeed(ValueError):
    """The response is not RSS or Atom."""


def _text(el: etree._Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def parse_feed(body: bytes, base_url: str) -> list[Entry]:
    """Entries of an RSS 2.0 / RSS 1.0 / Atom document, in document order."""
    if not body.strip():
        raise NotAFeed("empty response")
    try:
        root = etree.fromstring(body, parser=_XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise NotAFeed(str(exc)) from exc
    if root is None:
        raise NotAFeed("not XML")
    entries: list[Entry] = []
    tag = etree.QName(root).localname.lower()
    if tag in ("rss", "rdf"):
        for item in root.iter("item", "{http://purl.org/rss/1.0/}item"):
            link = _text(item.find("link")) or _text(item.find("{http://purl.org/rss/1.0/}link"))
            if not link:
                guid = item.find("guid")
                link = _text(guid) if guid is not None and guid.get("isPermaLink", "true") != "false" else ""
            if link:
                entries.append(Entry(urljoin(base_url, link), _text(item.find("title")),
                                     _text(item.find("pubDate")) or _text(item.find("{http://purl.org/dc/elements/1.1/}date"))))
    elif tag == "feed":
        for item in root.iter(f"{_ATOM}entry"):
            link_el = item.find(f"{_ATOM}link[@rel='alternate']")
            if link_el is None:
                link_el = item.find(f"{_ATOM}link")
            if link_el is not None and link_el.get("href"):
                entries.append(Entry(urljoin(base_url, link_el.get("href")), _text(item.find(f"{_ATOM}title")),
                                     _text(item.find(f"{_ATOM}updated")) or _text(item.find(f"{_ATOM}published"))))
    else:
        raise NotAFeed(f"root element <{tag}> is neither RSS nor Atom")
    return entries


def feed_date(text: str) -> datetime | None:
    """An RFC 822 or ISO 8601 feed date, or None."""
    if not text:
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError):
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def entry_date(text: str, now: datetime | None = None) -> tuple[datetime | None, str | None]:
    """A feed or list entry's date (RFC 822, ISO 8601 or a Korean date text), checked like a page's
    date: (date, None) when plausible, (None, reason) when in the future or before 2000, (None,
    None) when there is none. A naive date is Seoul time."""


    value = feed_date(text) or (parse_korean_datetime(text) if text else None)
    if value is None:
        return None, None
    if value.tzinfo is None:
        value = value.replace(tzinfo=SEOUL)
    return check_date(value, now or datetime.now(UTC))


def autodiscover_feeds(html: str, base_url: str) -> list[str]:
    """Feed URLs announced by `<link rel="alternate" type="application/rss+xml|atom+xml">`."""
    sel = Selector(text=html)
    hrefs = sel.xpath(
        "//link[contains(concat(' ', normalize-space(translate(@rel, 'ALTERNATE', 'alternate')), ' '),"
        " ' alternate ')][contains(translate(@type, 'RSATOM', 'rsatom'), 'rss')"
        " or contains(translate(@type, 'RSATOM', 'rsatom'), 'atom')]/@href"
    ).getall()
    return list(dict.fromkeys(urljoin(base_url, h.strip()) for h in hrefs if h.strip()))


def list_links(html: str, base_url: str, item_css: str, link_css: str, date_css: str = "") -> list[Entry]:
    """Article links of a list page: one per list item, with its title and date text."""
    sel = Selector(text=html)
    out: list[Entry] = []
    for item in sel.css(item_css):
        href = item.css(f"{link_css}::attr(href)").get()
        if not href:
            continue
        title = " ".join(t.strip() for t in item.css(f"{link_css} ::text").getall() if t.strip())
        date = " ".join(item.css(f"{date_css} ::text").getall()).strip() if date_css else ""
        out.append(Entry(urljoin(base_url, href.strip()), title, date))
    return list({e.url: e for e in out}.values())


# --- sitemaps ---------------------------------------------------------------------------------

_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"
_MAX_SITEMAP_BYTES = 10 * 1024 * 1024  # the protocol's limit is 50 MB uncompressed; news ones are small
_NEWSY = ("news", "article", "rss", "recent", "latest")


class NotASitemap(ValueError):
    """The response is neither a sitemap index nor a urlset."""


@dataclass(frozen=True)
class Sitemap:
    """What one sitemap document holds: article entries (a urlset) or child sitemaps (an index)."""

    entries: list[Entry]
    sitemaps: list[str]
    is_news: bool = False  # entries carry `news:news` (a Google News sitemap)


def robots_sitemaps(robots_txt: bytes | str, base_url: str) -> list[str]:
    """The `Sitemap:` URLs of a robots.txt, news sitemaps first, in file order otherwise."""
    text = robots_txt.decode("utf-8", "replace") if isinstance(robots_txt, bytes) else robots_txt
    found: list[str] = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "sitemap" and value.strip():
            found.append(urljoin(base_url, value.strip().split("#", 1)[0].strip()))
    return _news_first(list(dict.fromkeys(found)))


def _news_first(urls: list[str]) -> list[str]:
    """News-looking sitemap URLs (by path) first, the order kept otherwise."""
    return sorted(urls, key=lambda u: not any(w in urlsplit(u).path.lower() for w in _NEWSY))


def _maybe_gunzip(body: bytes) -> bytes:
    if body[:2] != b"\x1f\x8b":
        return body

    try:
        out = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, _MAX_SITEMAP_BYTES)
    except (zlib.error, EOFError, gzip.BadGzipFile) as exc:
        raise NotASitemap(f"bad gzip: {exc}") from exc
    return out


def parse_sitemap(body: bytes, base_url: str) -> Sitemap:
    """A sitemap index (child sitemaps) or urlset (entries, with `news:` title and date when given).

    Entries come newest first when the sitemap dates them (lastmod or news:publication_date),
    in document order otherwise; gzip bodies are decompressed (capped at 10 MB).
    """
    body = _maybe_gunzip(body)
    if not body.strip():
        raise NotASitemap("empty response")
    try:
        root = etree.fromstring(body[:_MAX_SITEMAP_BYTES], parser=_XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise NotASitemap(str(exc)) from exc
    if root is None:
        raise NotASitemap("not XML")
    tag = etree.QName(root).localname.lower()
    if tag == "sitemapindex":
        locs = [_text(sm.find(f"{_SITEMAP_NS}loc")) or _text(sm.find("loc"))
                for sm in root.iter(f"{_SITEMAP_NS}sitemap", "sitemap")]
        children = [urljoin(base_url, loc) for loc in locs if loc]
        return Sitemap([], _news_first(list(dict.fromkeys(children))))
    if tag != "urlset":
        raise NotASitemap(f"root element <{tag}> is neither <urlset> nor <sitemapindex>")
    entries: list[Entry] = []
    is_news = False
    for url in root.iter(f"{_SITEMAP_NS}url", "url"):
        loc = _text(url.find(f"{_SITEMAP_NS}loc")) or _text(url.find("loc"))
        if not loc:
            continue
        news = url.find(f"{_NEWS_NS}news")
        title = date = ""
        if news is not None:
            is_news = True
            title = _text(news.find(f"{_NEWS_NS}title"))
            date = _text(news.find(f"{_NEWS_NS}publication_date"))
        date = date or _text(url.find(f"{_SITEMAP_NS}lastmod")) or _text(url.find("lastmod"))
        entries.append(Entry(urljoin(base_url, loc), title, date))
    dated = [(feed_date(e.modified), i, e) for i, e in enumerate(entries)]
    if dated and all(d is not None for d, _, _ in dated):
        entries = [e for _, _, e in sorted(dated, key=lambda t: (t[0].timestamp(), -t[1]), reverse=True)]  # type: ignore[union-attr]
    return Sitemap(entries, [], is_news)
