"""Article links of any list page, found the way a person finds them.

A list page's articles are the links that repeat: many links of one URL shape
(`/article/{n}`, `/news/{n}/{n}/{n}/{s}.html`, `/view/{h}`), each with a headline-like text and,
on most lists, a date next to it. Menus, section tabs, tags and reporters repeat too, but with
one-word texts; a footer's links each have their own shape. So:

1. every same-site link gets its **shape** (`url_shape`): digits, hashes and slugs in the path
   and query become placeholders;
2. a shape **qualifies** when at least `MIN_REPEAT` distinct links of it carry headline-like text
   and enough of them are dated (a date in the list item or in the URL), or their texts are long;
3. what a shape's links lead to **confirms** it: `ShapeBook` counts the article pages and the
   other pages (home, list) fetched through each shape, per outlet, and is stored between runs; a
   confirmed shape is taken on any later list page (even one link of it, undated), a refuted one
   never again.

The article-id rules (`crawler.families.ID_RULES`) are a shortcut (their links are taken at once), not a gate.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html

from .text import collapse_spaces, is_ui_text

MIN_REPEAT = 3  # distinct headline links of one shape before the shape is believed
_MIN_DATED = 0.4  # share of a shape's links with a date in their item or URL
_LONG_HEADLINE = 18  # mean characters of headline texts that qualify a shape without dates
_MIN_TITLE, _MAX_TITLE = 8, 200
CONFIRM_AFTER = 2  # article pages through a shape before it is taken on its own
_MAX_LINKS = 5000  # links read per list page

_DATE = re.compile(
    r"(?:19|20)\d\d\s*[.\-/년]\s*\d{1,2}\s*[.\-/월]\s*\d{1,2}(?:\s*일)?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?|"
    # ^ 2024.05.13 11:10, 2024년 5월 13일
    r"(?<!\d)\d{1,2}\s*[.\-/]\s*\d{1,2}\s+\d{1,2}:\d{2}|"  # 05-13 11:10
    r"(?<!\d)\d{1,2}:\d{2}(?!\d)|"  # 11:10
    r"\d+\s*(?:분|시간|일)\s*전"  # 3시간 전
)
_URL_DATE = re.compile(r"(?:^|/)(?:19|20)\d\d/?[01]\d/?[0-3]\d(?:/|$)|(?:19|20)\d\d[01]\d[0-3]\d")
_DIGITS = re.compile(r"\d+")
_HASH = re.compile(r"^(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{12,}$")
_SLUG = re.compile(r"^[\w%]+(?:[-_][\w%]+){2,}(?P<ext>\.[a-z]{2,5})?$", re.I)
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#", "data:")


def _segment_shape(segment: str) -> str:
    """One path segment as its shape: `{n}` digits, `{h}` hash/code, `{s}` slug, else literal."""
    if not segment:
        return segment
    slug = _SLUG.match(segment)
    if slug and len(segment) >= 12:
        return "{s}" + (slug.group("ext") or "")
    stem, dot, ext = segment.rpartition(".") if "." in segment else (segment, "", "")
    if _HASH.match(stem):
        return "{h}" + dot + ext
    return _DIGITS.sub("{n}", segment)


def url_shape(url: str) -> str:
    """The shape of a URL: host, path segments and query keys with their values generalised."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    path = "/".join(_segment_shape(s) for s in parts.path.split("/"))
    query = sorted(
        (k, "{n}" if v.isdigit() else "{h}" if _HASH.match(v) else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    )
    qs = "&".join(f"{k}={v}" for k, v in query)
    return f"{host}{path}" + (f"?{qs}" if qs else "")


@dataclass
class ListLink:
    """A link of a list page with its headline text and the date text of its item."""

    url: str
    title: str
    date: str = ""
    shape: str = ""
    headline: bool = True  # its text reads as a headline (not an image link, a menu entry)


def _same_site(url: str, site: str) -> bool:
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.").removeprefix("m.")
    return bool(host) and (host == site or host.endswith("." + site) or site.endswith("." + host))


def _link_text(a: etree._Element) -> str:
    text = collapse_spaces(a.text_content())
    if not text:
        text = collapse_spaces(a.get("title") or "")
    return text


def headline_like(text: str) -> bool:
    """A text a person would read as a headline: a few words, not a button or a menu entry."""
    return _MIN_TITLE <= len(text) <= _MAX_TITLE and len(text.split()) >= 2 and not is_ui_text(text)


def _item_date(a: etree._Element, is_candidate: dict[etree._Element, bool]) -> str:
    """The date text of the link's list item: the largest ancestor holding no other headline link."""
    item = a
    parent = a.getparent()
    for _ in range(6):
        if parent is None or sum(1 for x in parent.iter("a") if is_candidate.get(x)) > 1:
            break
        item, parent = parent, parent.getparent()
    found = _DATE.search(collapse_spaces(item.text_content()))
    return found.group(0) if found else ""


def list_links(html: str, base_url: str, site_url: str | None = None) -> list[ListLink]:
    """Same-site links of the page, each with its text, its item's date and its shape."""
    try:
        root = lxml_html.fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    site = (urlsplit(site_url or base_url).hostname or "").lower().removeprefix("www.").removeprefix("m.")
    anchors: list[tuple[etree._Element, str, str]] = []
    for a in root.iter("a"):
        if len(anchors) >= _MAX_LINKS:
            break
        href = (a.get("href") or "").strip()
        if not href or href.lower().startswith(_SKIP_SCHEMES):
            continue
        url = urljoin(base_url, href).split("#", 1)[0]
        if not url.startswith(("http://", "https://")) or not _same_site(url, site):
            continue
        anchors.append((a, url, _link_text(a)))
    is_candidate = {a: headline_like(text) for a, _, text in anchors}
    found: dict[str, ListLink] = {}
    for a, url, text in anchors:
        link = found.get(url)
        headline = is_candidate[a]
        if link is None:
            date = _item_date(a, is_candidate) if headline else ""
            found[url] = ListLink(url, text, date, url_shape(url), headline)
        elif headline and (not link.headline or len(text) > len(link.title)):
            # a thumbnail's link and the headline's: keep the headline and its date
            link.title, link.headline = text, True
            link.date = link.date or _item_date(a, is_candidate)
    return list(found.values())


def coarse_shape(shape: str) -> str | None:
    """The shape with its literal path segments as `{w}`, when it has a placeholder to stand on.

    A home page lists two or three stories per section (`/news/society/{n}`,
    `/news/politics/{n}`): one by one too few to repeat, together the page's list."""
    host, slash, rest = shape.partition("/")
    path, mark, query = rest.partition("?")
    segments = path.split("/")
    if len(segments) < 2 or not any("{" in seg for seg in segments):
        return None
    coarse = [seg if "{" in seg or not seg else "{w}" for seg in segments]
    return host + slash + "/".join(coarse) + mark + query


def _qualifies(members: list[ListLink]) -> bool:
    if len({m.url for m in members}) < MIN_REPEAT:
        return False
    dated = sum(1 for m in members if m.date or _URL_DATE.search(urlsplit(m.url).path))
    mean = sum(len(m.title) for m in members) / len(members)
    return dated / len(members) >= _MIN_DATED or mean >= _LONG_HEADLINE


def qualifying_shapes(links: list[ListLink]) -> set[str]:
    """Shapes repeated by enough headline links that are dated, or long enough to be headlines;
    a coarse shape (`coarse_shape`) qualifies when two or more of its shapes together do."""
    by_shape: dict[str, list[ListLink]] = defaultdict(list)
    by_coarse: dict[str, list[ListLink]] = defaultdict(list)
    for link in links:
        if link.headline:
            by_shape[link.shape].append(link)
            coarse = coarse_shape(link.shape)
            if coarse is not None:
                by_coarse[coarse].append(link)
    out = {shape for shape, members in by_shape.items() if _qualifies(members)}
    for members in by_coarse.values():
        fine = {m.shape for m in members}
        if len(fine) >= 2 and _qualifies(members):
            out |= fine
    return out


@dataclass
class ShapeStats:
    """What the links of one shape led to, over the runs."""

    articles: int = 0
    other: int = 0

    @property
    def confirmed(self) -> bool:
        return self.articles >= CONFIRM_AFTER and self.articles > self.other

    @property
    def refuted(self) -> bool:
        return self.other >= CONFIRM_AFTER and self.other > self.articles


@dataclass
class ShapeBook:
    """The article URL shapes of one outlet, learned from its lists and confirmed by its pages."""

    shapes: dict[str, ShapeStats] = field(default_factory=dict)
    changed: bool = False

    @classmethod
    def loads(cls, text: str | None) -> ShapeBook:
        """A book from its stored JSON (empty on anything unreadable: it is relearned)."""
        try:
            raw = json.loads(text or "{}")
        except json.JSONDecodeError:
            raw = {}
        shapes = {}
        if isinstance(raw, dict):
            for shape, stats in raw.items():
                if isinstance(stats, dict):
                    shapes[shape] = ShapeStats(int(stats.get("articles", 0)), int(stats.get("other", 0)))
        return cls(shapes)

    @classmethod
    def of(cls, counts: Mapping[str, tuple[int, int]]) -> ShapeBook:
        """A book from stored counts: shape -> (articles, other)."""
        return cls({shape: ShapeStats(articles, other) for shape, (articles, other) in counts.items()})

    def counts(self) -> dict[str, tuple[int, int]]:
        """What to store: shape -> (articles, other)."""
        return {shape: (v.articles, v.other) for shape, v in sorted(self.shapes.items())}

    def dumps(self) -> str:
        return json.dumps(
            {s: {"articles": v.articles, "other": v.other} for s, v in sorted(self.shapes.items())},
            ensure_ascii=False,
        )

    def accepted(self, shape: str) -> bool:
        stats = self.shapes.get(shape)
        return stats is not None and stats.confirmed

    def rejected(self, shape: str) -> bool:
        stats = self.shapes.get(shape)
        return stats is not None and stats.refuted

    def record(self, url: str, is_article: bool) -> None:
        """What a link led to: an article page or another kind of page."""
        stats = self.shapes.setdefault(url_shape(url), ShapeStats())
        if is_article:
            stats.articles += 1
        else:
            stats.other += 1
        self.changed = True


def article_links(
    html: str, base_url: str, *, site_url: str | None = None, book: ShapeBook | None = None,
    shortcut: object = None,
) -> list[ListLink]:
    """The article links of a list page: id-rule links, links of qualifying or confirmed shapes.

    `shortcut(url) -> bool` is the id rule; `book` the outlet's learned shapes (refuted ones are
    dropped even when they qualify on this page)."""
    links = list_links(html, base_url, site_url)
    shapes = qualifying_shapes(links)
    out = []
    for link in links:
        if book is not None and book.rejected(link.shape):
            continue
        by_rule = callable(shortcut) and shortcut(link.url)
        if by_rule or link.shape in shapes or (book is not None and book.accepted(link.shape)):
            out.append(link)
    return out
