"""Structured metadata: JSON-LD (`NewsArticle`/`Article`, in lists and `@graph`), Open Graph,
`article:*`, `itemprop`, `<meta name="author">` and `<link rel=canonical>`.

Metadata fills what a page object left empty; it is read in one pass over the `<meta>` tags.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from parsel import Selector

from .authors import clean_authors
from .blocks import element_text
from .dates import parse_korean_datetime
from .text import collapse_spaces

if TYPE_CHECKING:
    from .select import PageIndex

ARTICLE_TYPES = frozenset(
    {
        "NewsArticle",
        "Article",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "BlogPosting",
        "Report",
        "LiveBlogPosting",
    }
)
_PUBLISHED_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "article:published",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "date",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "og:regdate",
    "parsely-pub-date",
    "sailthru.date",
    "dable:published_time",
)
_MODIFIED_KEYS = (
    "article:modified_time",
    "og:article:modified_time",
    "article:modified",
    "og:updated_time",
    "datemodified",
    "dcterms.modified",
    "lastmod",
    "last-modified",
)
_AUTHOR_KEYS = (
    "author",
    "article:author",
    "dable:author",
    "byl",
    "og:article:author",
    "twitter:creator",
    "dc.creator",
    "sailthru.author",
    "parsely-author",
)
_SECTION_KEYS = ("article:section", "og:article:section", "section", "dable:section")
_TITLE_SEPARATORS = (" - ", " | ", " :: ", " : ", " – ", " — ", " < ", " > ", " · ")


@dataclass
class Metadata:
    """What a page states about itself, independent of its layout."""

    title: str | None = None  # from JSON-LD, Open Graph, Twitter cards, itemprop
    document_title: str | None = None  # `<title>`, site name removed: weaker, used last
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    modified_at: datetime | None = None
    section: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    og_type: str | None = None
    has_article_jsonld: bool = False


def _meta_map(sel: Selector) -> dict[str, str]:
    """Every `<meta>` by lower-cased property/name/itemprop; the first non-empty value wins."""
    found: dict[str, str] = {}
    for meta in sel.root.iter("meta"):
        content = meta.get("content")
        if not content or not content.strip():
            continue
        for attr in ("property", "name", "itemprop"):
            key = (meta.get(attr) or "").strip().lower()
            if key and key not in found:
                found[key] = html.unescape(content).strip()
    return found


def _jsonld_objects(sel: Selector) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's JSON-LD scripts, flattening lists and `@graph`."""
    for raw in sel.xpath('//script[contains(@type, "ld+json")]/text()').getall():
        try:
            data = json.loads(raw.strip().rstrip(";"), strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack[:0] = item
            elif isinstance(item, dict):
                yield item
                for key in ("@graph", "mainEntity", "mainEntityOfPage"):
                    if isinstance(item.get(key), (dict, list)):
                        stack.append(item[key])


def _types(obj: dict[str, Any]) -> set[str]:
    """The object's @type values (a string or a list)."""
    value = obj.get("@type", [])
    return {value} if isinstance(value, str) else {v for v in value if isinstance(v, str)}


def find_article_jsonld(sel: Selector) -> dict[str, Any] | None:
    """The first JSON-LD object typed as an article, if any."""
    for obj in _jsonld_objects(sel):
        if _types(obj) & ARTICLE_TYPES:
            return obj
    return None


def _text(value: Any) -> str | None:
    """A JSON-LD value as clean text (first item of a list; `name` of an object)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@id")
    if not isinstance(value, str):
        return None
    return collapse_spaces(html.unescape(value)) or None


def _jsonld_authors(value: Any) -> list[str]:
    """Person names from a JSON-LD `author` (string, object or list); organisations left out."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, dict):
            if "Organization" in _types(item) or "NewsMediaOrganization" in _types(item):
                continue
            item = item.get("name")
        if isinstance(item, str):
            names.append(html.unescape(item))
    return names


def strip_site_name(title: str, site_name: str | None) -> str:
    """A title without a trailing or leading " - Site name" decoration."""
    if not site_name:
        return title
    for sep in _TITLE_SEPARATORS:
        if title.endswith(sep + site_name):
            return title[: -len(sep + site_name)].strip()
        if title.startswith(site_name + sep):
            return title[len(site_name + sep) :].strip()
    return title


def _itemprop(sel: Selector, name: str, index: PageIndex | None = None) -> str | None:
    """An `itemprop` value from a non-meta element: its content/datetime attribute or its text."""
    found = index.itemprop(name) if index is not None else sel.root.xpath(f'//*[@itemprop="{name}"]')
    for el in found:
        if el.tag == "meta":
            continue
        value = el.get("content") or el.get("datetime") or element_text(el)
        if value:
            return value
    return None


def _first_date(candidates: list[str | None]) -> datetime | None:
    """The first candidate text that parses as a date."""
    for text in candidates:
        value = parse_korean_datetime(text) if text else None
        if value is not None:
            return value
    return None


def _title(ld: dict[str, Any], meta: dict[str, str], site: str | None) -> str | None:
    """JSON-LD headline, else og/twitter/itemprop title, without the site-name decoration."""
    candidates = [
        _text(ld.get("headline")),
        _text(ld.get("name")),
        meta.get("og:title"),
        meta.get("twitter:title"),
        meta.get("headline"),
        meta.get("title"),
    ]
    for title in candidates:
        if title and collapse_spaces(title):
            return strip_site_name(collapse_spaces(title), site)
    return None


def _canonical(ld: dict[str, Any], meta: dict[str, str], sel: Selector, url: str) -> str | None:
    """`<link rel=canonical>`, else og:url, else the JSON-LD url, made absolute."""
    link = sel.xpath(
        '//link[contains(concat(" ", normalize-space(@rel), " "), " canonical ")]/@href'
    ).get()
    value = link or meta.get("og:url") or _text(ld.get("url"))
    return urljoin(url, value.strip()) if value and value.strip() else None


def _authors(
    ld: dict[str, Any], meta: dict[str, str], sel: Selector, site: str | None, index: PageIndex | None
) -> list[str]:
    """Names from JSON-LD, else the first author meta tag that names people, else itemprop."""
    exclude = [site or ""]
    candidates = [_jsonld_authors(ld.get("author"))]
    candidates += [[meta[key]] for key in _AUTHOR_KEYS if key in meta and "://" not in meta[key]]
    for texts in candidates:
        names = clean_authors(texts, exclude=exclude)
        if names:
            return names
    # itemprop last, and only when needed: it scans the whole page
    return clean_authors([text for text in [_itemprop(sel, "author", index)] if text], exclude=exclude)


def _document_title(sel: Selector) -> str:
    """XPath's normalize-space(//title), without walking the whole page."""
    first = next(sel.root.iter("title"), None)
    return str(first.xpath("normalize-space(.)")) if first is not None else ""


def read_metadata(sel: Selector, url: str, *, index: PageIndex | None = None) -> Metadata:
    """All structured metadata of one page (`index`: the page object's, for itemprop lookups)."""
    meta = _meta_map(sel)
    ld = find_article_jsonld(sel) or {}
    site = meta.get("og:site_name") or _text(ld.get("publisher") or {})
    return Metadata(
        title=_title(ld, meta, site),
        document_title=strip_site_name(_document_title(sel), site) or None,
        authors=_authors(ld, meta, sel, site, index),
        # itemprop only when JSON-LD and meta tags give no date: it scans the whole page
        published_at=_first_date([_text(ld.get("datePublished"))] + [meta.get(k) for k in _PUBLISHED_KEYS])
        or _first_date([_itemprop(sel, "datePublished", index)]),
        modified_at=_first_date([_text(ld.get("dateModified"))] + [meta.get(k) for k in _MODIFIED_KEYS])
        or _first_date([_itemprop(sel, "dateModified", index)]),
        section=_text(ld.get("articleSection"))
        or next((meta[k] for k in _SECTION_KEYS if k in meta), None),
        canonical_url=_canonical(ld, meta, sel, url),
        site_name=site,
        og_type=meta.get("og:type"),
        has_article_jsonld=bool(ld),
    )
