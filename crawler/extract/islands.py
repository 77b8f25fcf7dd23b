"""The article as the page's own hydration data holds it: JSON islands of JS frameworks.

Pages built with Next.js (`__NEXT_DATA__`, App Router flight payloads `self.__next_f.push`),
Nuxt (`__NUXT__`, `__NUXT_DATA__`), Arc XP (`Fusion.globalContent`) or a Redux-style store
(`__INITIAL_STATE__`, `__PRELOADED_STATE__`) carry the article as data; on App Router pages the
body, its times and byline exist nowhere else, and trafilatura finds nothing.

`find_island_article()` reads every island of a page, walks the JSON (bounded), and picks the one
article object: a title and a body of real length, preferring the object whose URL or title is
the page's own — a related story in the same payload never wins by being there. A payload that is
truncated, not JSON or too large is skipped with a note; the page then falls back to trafilatura.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import html as lxml_html

from .blocks import paragraphs
from .dates import SEOUL, parse_korean_datetime
from .text import collapse_spaces

# An island above this is skipped: real article payloads stay under ~2 MB (the largest of the
# shared corpus, an ign.com __NEXT_DATA__, is 0.1 MB); beyond, json.loads costs more than the page.
MAX_ISLAND_CHARS = 5_000_000
_MAX_NODES = 200_000  # JSON values walked per page, whatever the payloads hold
_MAX_DEPTH = 60
_MIN_BODY_CHARS = 150  # shorter "bodies" are teasers, summaries, captions
_MAX_PARSED = 20  # candidate bodies parsed at most (best first) before giving up
_MARKERS = ("__NEXT_DATA__", "__next_f", "__NUXT", "Fusion.globalContent", "__INITIAL_STATE__",
            "__PRELOADED_STATE__")

_JSON_SCRIPT = re.compile(
    r'<script\b[^>]*\bid=["\']?(?P<name>__NEXT_DATA__|__NUXT_DATA__)["\']?[^>]*>(?P<json>.*?)</script>',
    re.S | re.I,
)
_ASSIGNED = re.compile(
    r"(?P<name>__NEXT_DATA__|__NUXT__|Fusion\.globalContent|__INITIAL_STATE__|__PRELOADED_STATE__)"
    r"\s*=(?!=)\s*"  # an assignment, not a comparison
)
_FLIGHT_PUSH = re.compile(r"self\.__next_f\.push\(\[\s*1\s*,\s*(?P<str>\"(?:[^\"\\]|\\.)*\")\s*\]\)", re.S)
_FLIGHT_ROW = re.compile(r"([0-9a-fA-F]*):")
_FLIGHT_TAG = re.compile(r"[A-Z]{1,2}(?=[\[{\"])")
_REF = re.compile(r"^\$([0-9a-fA-F]+)$")
_HTMLISH = re.compile(r"<(?:p|br|div|h[1-6]|ul|ol|li|blockquote|figure|span|strong|em|b|i|a)\b", re.I)

_TITLE_KEYS = ("headline", "title", "subject", "newstitle", "articletitle", "headlines")
_BODY_KEYS = ("articlebody", "body", "bodyhtml", "contenthtml", "content", "contents", "html",
              "contentelements", "newscontent", "articlecontent", "text")
_BODY_SET = frozenset(_BODY_KEYS)
_SUBTITLE_KEYS = ("subheadline", "subtitle", "subheadlines", "subhead")
_PUBLISHED_KEYS = ("datepublished", "publishedat", "publishdate", "publisheddate", "publishedtime",
                   "publicationdate", "firstpublishdate", "firstpublished", "displaydate", "pubdate",
                   "regdate", "createdat", "createddate", "created", "date")
_MODIFIED_KEYS = ("datemodified", "modifiedat", "updatedat", "lastupdateddate", "updateddate",
                  "modifieddate", "moddate", "lastmodified", "updated", "modified")
_AUTHOR_KEYS = ("authors", "author", "byline", "credits", "writers", "writer", "reporters",
                "reporter", "bylines")
_URL_KEYS = ("canonicalurl", "canonical", "url", "websiteurl", "permalink", "link", "slug", "path",
             "href", "id", "_id", "articleid", "newsid", "idxno")
_BLOCK_TYPES = frozenset({"text", "paragraph", "p", "header", "heading", "list", "block", "quote",
                          "blockquote", "raw_html", "html"})


@lru_cache(maxsize=4096)
def _key(name: str) -> str:
    """A JSON key compared loosely: lowercase, without `_`/`-`."""
    return name.lower().replace("_", "").replace("-", "")


def _loose(obj: dict[str, Any]) -> dict[str, Any]:
    """The object's values by loosely compared key."""
    return {_key(k): v for k, v in obj.items() if isinstance(k, str)}


@dataclass
class IslandArticle:
    """The article object found in a page's hydration data."""

    source: str  # which island: "__NEXT_DATA__", "__next_f", "Fusion.globalContent", …
    title: str | None
    body: str
    subtitle: str | None = None
    published_at: datetime | None = None
    modified_at: datetime | None = None
    authors: list[str] = field(default_factory=list)


@dataclass
class _Island:
    source: str
    data: Any


def has_island(html: str) -> bool:
    """Whether the page may hold a JSON island (substring tests: microseconds)."""
    return any(marker in html for marker in _MARKERS)


def _decode_prefix(text: str, start: int, source: str, notes: list[str]) -> Any:
    """The JSON value starting at `start`, or None with a note (truncated, not JSON, too large)."""
    try:
        value, end = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError as error:
        notes.append(f"islands: {source} is not complete JSON ({error.msg} at {error.pos - start}); skipped")
        return None
    if end - start > MAX_ISLAND_CHARS:
        notes.append(f"islands: {source} of {end - start:,} characters is above {MAX_ISLAND_CHARS:,}; skipped")
        return None
    return value


def _islands(html: str, notes: list[str], expressions: list[str] | None = None) -> Iterator[_Island]:
    """Every island of the page, decoded; bad ones are noted and skipped (assignments of script
    expressions go to `expressions`)."""
    expressions = notes if expressions is None else expressions
    for match in _JSON_SCRIPT.finditer(html):
        raw, name = match.group("json").strip(), match.group("name")
        if len(raw) > MAX_ISLAND_CHARS:
            notes.append(f"islands: {name} of {len(raw):,} characters is above {MAX_ISLAND_CHARS:,}; skipped")
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as error:
            notes.append(f"islands: {name} is not JSON ({error.msg}); skipped")
            continue
        yield _Island(name, _unflatten_nuxt(data) if name == "__NUXT_DATA__" else data)
    for match in _ASSIGNED.finditer(html):
        if html[match.end() : match.end() + 1] not in ("{", "["):
            # Nuxt 2 in production writes `__NUXT__=(function(a,b){…}(…))`: a script, not data
            # (said only when no island holds the article: `X = X || {}` guards are common)
            expressions.append(f"islands: {match.group('name')} is a script expression, not JSON; skipped")
            continue
        data = _decode_prefix(html, match.end(), match.group("name"), notes)
        if data is not None:
            yield _Island(match.group("name"), data)
    flight = _flight_stream(html, notes)
    if flight:
        yield from (_Island("__next_f", value) for value in _flight_values(flight, notes))


# --- Next.js App Router: the React flight stream ---------------------------------------------


def _flight_stream(html: str, notes: list[str]) -> str:
    """The concatenated string chunks of `self.__next_f.push([1, "…"])` scripts."""
    if "__next_f" not in html:
        return ""
    chunks: list[str] = []
    size = 0
    for match in _FLIGHT_PUSH.finditer(html):
        try:
            chunk = json.loads(match.group("str"))
        except json.JSONDecodeError:
            notes.append("islands: a __next_f chunk is not a JSON string; skipped")
            continue
        size += len(chunk)
        if size > MAX_ISLAND_CHARS:
            notes.append(f"islands: __next_f payload above {MAX_ISLAND_CHARS:,} characters; the rest skipped")
            break
        chunks.append(chunk)
    return "".join(chunks)


def _flight_values(stream: str, notes: list[str]) -> list[Any]:
    """The JSON rows of a flight stream with `$<id>` references to text and JSON rows resolved."""
    rows: dict[str, Any] = {}
    texts: dict[str, str] = {}
    order: list[str] = []
    pos, bad = 0, 0
    while pos < len(stream):
        match = _FLIGHT_ROW.match(stream, pos)
        if not match:  # not a row start: skip to the next line
            nl = stream.find("\n", pos)
            pos = len(stream) if nl < 0 else nl + 1
            continue
        row_id, pos = match.group(1), match.end()
        if stream.startswith("T", pos) and "," in stream[pos : pos + 12]:
            comma = stream.index(",", pos)
            try:
                length = int(stream[pos + 1 : comma], 16)  # in UTF-8 bytes
            except ValueError:
                length = 0
            text = stream[comma + 1 : comma + 1 + length].encode("utf-8")[:length].decode("utf-8", "ignore")
            texts[row_id] = text
            pos = comma + 1 + len(text)
            continue
        nl = stream.find("\n", pos)
        end = len(stream) if nl < 0 else nl
        payload = stream[pos:end]
        pos = end + 1
        tag = _FLIGHT_TAG.match(payload)
        if tag:
            payload = payload[tag.end() :]
        try:
            rows[row_id] = json.loads(payload)
            order.append(row_id)
        except json.JSONDecodeError:
            bad += 1
    if bad:
        notes.append(f"islands: {bad} __next_f row(s) not JSON (truncated payload?); skipped")
    budget = [_MAX_NODES]

    def resolve(value: Any, depth: int, seen: frozenset[str]) -> Any:
        budget[0] -= 1
        if budget[0] < 0 or depth > _MAX_DEPTH:
            return None
        if isinstance(value, str):
            ref = _REF.match(value)
            if ref:
                name = ref.group(1)
                if name in texts:
                    return texts[name]
                if name in rows and name not in seen:
                    return resolve(rows[name], depth + 1, seen | {name})
                return value
            return value[1:] if value.startswith("$$") else value
        if isinstance(value, list):
            return [resolve(v, depth + 1, seen) for v in value]
        if isinstance(value, dict):
            return {k: resolve(v, depth + 1, seen) for k, v in value.items()}
        return value

    return [resolve(rows[name], 0, frozenset({name})) for name in order]


# --- Nuxt 3: devalue's flattened array -------------------------------------------------------


def _unflatten_nuxt(data: Any) -> Any:
    """Nuxt 3's `__NUXT_DATA__` (devalue): values refer to others by index into one array."""
    if not isinstance(data, list) or not data:
        return data
    budget = [_MAX_NODES]

    def hydrate(index: Any, depth: int) -> Any:
        budget[0] -= 1
        if not isinstance(index, int) or not 0 <= index < len(data) or depth > _MAX_DEPTH or budget[0] < 0:
            return None
        value = data[index]
        if isinstance(value, dict):
            return {k: hydrate(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            if value and isinstance(value[0], str):  # a typed value: ["Reactive", i], ["Date", "…"], …
                kind, rest = value[0], value[1:]
                if kind in ("Reactive", "ShallowReactive", "Ref", "ShallowRef", "EmptyRef", "Object"):
                    return hydrate(rest[0], depth + 1) if rest else None
                if kind == "Date":
                    return rest[0] if rest else None
                return [hydrate(v, depth + 1) for v in rest]
            return [hydrate(v, depth + 1) for v in value]
        return value

    return hydrate(0, 0)


# --- finding the article object ---------------------------------------------------------------


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object under `value`, breadth-first, bounded in count and depth."""
    queue: list[tuple[Any, int]] = [(value, 0)]
    seen = 0
    while queue and seen < _MAX_NODES:
        node, depth = queue.pop(0) if len(queue) < 64 else queue.pop()
        seen += 1
        if depth > _MAX_DEPTH:
            continue
        if isinstance(node, dict):
            yield node
            queue.extend((v, depth + 1) for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            queue.extend((v, depth + 1) for v in node if isinstance(v, dict | list))


def _get(loose: dict[str, Any], names: tuple[str, ...]) -> Any:
    """The value of the first of `names` present and non-empty in a `_loose` object."""
    for name in names:
        value = loose.get(name)
        if value not in (None, "", [], {}):
            return value
    return None


def _text_of(value: Any) -> str | None:
    """A title-like value as text: a string, or Arc XP's `{"basic": "…"}`."""
    if isinstance(value, dict):
        value = value.get("basic") or value.get("main") or value.get("text")
    if isinstance(value, str):
        text = collapse_spaces(_strip_tags(value) if "<" in value else value)
        return text or None
    return None


def _strip_tags(text: str) -> str:
    try:
        return lxml_html.fromstring(f"<div>{text}</div>").text_content()
    except Exception:  # noqa: BLE001 - lxml refuses some fragments; the raw text is the next best
        return text


def _html_paragraphs(text: str) -> list[str]:
    """Paragraphs of a body string: HTML through our block rules, plain text by its lines."""
    if _HTMLISH.search(text):
        try:
            root = lxml_html.fromstring(f"<div>{text}</div>")
        except Exception:  # noqa: BLE001 - an unparsable fragment reads as plain text
            root = None
        if root is not None:
            return paragraphs(root)
    return [line for line in (collapse_spaces(part) for part in text.split("\n")) if line]


def _link_only(html: str) -> bool:
    """A block that is one link and nothing else: a related story placed between paragraphs."""
    if "<a" not in html:
        return False
    try:
        root = lxml_html.fromstring(f"<div>{html}</div>")
    except Exception:  # noqa: BLE001 - unparsable: not a link block
        return False
    text = collapse_spaces(root.text_content())
    links = collapse_spaces(" ".join(a.text_content() for a in root.iter("a")))
    return bool(text) and links == text


_LIST_HEADING_MAX = 40  # a short line right above related links is their heading


def _block_paragraphs(blocks: list[Any]) -> list[str]:
    """Paragraphs of a body given as a list of blocks (Arc XP `content_elements`, Portable Text).

    Related stories that the CMS places between paragraphs as link-only blocks are dropped, with
    the short heading above them ("관련기사", "You may also like...")."""
    found: list[list[str]] = []
    links: list[bool] = []
    for block in blocks:
        if isinstance(block, str):
            found.append(_html_paragraphs(block))
            links.append(_link_only(block))
            continue
        if not isinstance(block, dict):
            continue
        kind = str(block.get("type") or block.get("_type") or "text").lower()
        if kind not in _BLOCK_TYPES:
            continue  # images, videos, embeds, ads, related-story links
        content = block.get("content") or block.get("text") or block.get("html")
        if isinstance(content, str):
            found.append(_html_paragraphs(content))
            links.append(_link_only(content))
        elif isinstance(block.get("items"), list):
            found.append(_block_paragraphs(block["items"]))
            links.append(False)
        elif isinstance(block.get("children"), list):
            text = "".join(c.get("text", "") for c in block["children"] if isinstance(c, dict))
            found.append([collapse_spaces(text)] if text.strip() else [])
            links.append(False)
    kept: list[str] = []
    for i, paras in enumerate(found):
        if links[i]:
            continue
        heading = len(paras) == 1 and len(paras[0]) <= _LIST_HEADING_MAX
        if heading and i + 1 < len(found) and links[i + 1]:
            continue
        kept.extend(paras)
    return kept


def _raw_size(value: Any) -> int:
    """Characters of a body-like value before parsing (markup included): a cheap first sieve."""
    if isinstance(value, dict):
        value = value.get("html") or value.get("value") or value.get("content") or value.get("text")
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        size = 0
        for block in value:
            if isinstance(block, str):
                size += len(block)
            elif isinstance(block, dict):
                content = block.get("content") or block.get("text") or block.get("html")
                size += len(content) if isinstance(content, str) else 0
                if isinstance(block.get("children"), list):  # Portable Text spans
                    size += sum(len(c.get("text", "")) for c in block["children"] if isinstance(c, dict))
        return size
    return 0


def _body_of(loose: dict[str, Any]) -> list[str]:
    """The longest body among the object's body-like keys, as paragraphs."""
    best: list[str] = []
    for name in _BODY_KEYS:
        value = loose.get(name)
        if isinstance(value, dict):  # {"html": …} / {"value": …} wrappers
            value = value.get("html") or value.get("value") or value.get("content") or value.get("text")
        if isinstance(value, str):
            found = _html_paragraphs(value)
        elif isinstance(value, list):
            found = _block_paragraphs(value)
        else:
            continue
        if sum(map(len, found)) > sum(map(len, best)):
            best = found
    return best


def _date_of(value: Any) -> datetime | None:
    """An ISO string, epoch seconds/milliseconds or a Korean date text as an aware datetime."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 10**11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return parse_korean_datetime(text)
    if len(text) <= 10:  # a day without a time is not what the island is read for
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SEOUL)


def _names(value: Any, depth: int = 0) -> list[str]:
    """Byline names from a string, `{"name": …}`, Arc XP `credits.by`, or lists of those."""
    if depth > 4 or value is None:
        return []
    if isinstance(value, str):
        return [collapse_spaces(value)] if value.strip() else []
    if isinstance(value, list):
        return [n for item in value for n in _names(item, depth + 1)]
    if isinstance(value, dict):
        for key in ("name", "byname", "displayname", "fullname", "by", "writername", "reportername"):
            for k, v in value.items():
                if isinstance(k, str) and _key(k) == key:
                    return _names(v, depth + 1)
    return []


def _identity(obj: dict[str, Any]) -> list[str]:
    """Strings of the object that may name its page: URLs, slugs, ids."""
    out = []
    for k, v in obj.items():
        if isinstance(k, str) and _key(k) in _URL_KEYS and isinstance(v, str | int) and str(v).strip():
            out.append(str(v).strip())
    return out


def _page_path(url: str) -> str:
    parts = urlsplit(url or "")
    return unquote(f"{parts.path}?{parts.query}" if parts.query else parts.path).rstrip("/")


def _names_page(candidate: str, path: str, query: str) -> bool:
    """Whether a URL/slug/id string of an object names the page at `path`/`query`."""
    if len(candidate) < 2:
        return False
    if "/" in candidate or candidate.startswith("http"):
        own = _page_path(candidate)
        return bool(own) and (own == path or (len(own) > 8 and path.endswith(own)))
    segments = [s for s in re.split(r"[/?&=.]", f"{path}?{query}") if s]
    return candidate in segments


def find_island_article(html: str, url: str, page_title: str | None = None) -> tuple[IslandArticle | None, list[str]]:
    """The page's article object from its JSON islands (or None), and notes on what went wrong."""
    notes: list[str] = []
    if not has_island(html):
        return None, notes
    path = _page_path(url)
    query = unquote(urlsplit(url or "").query)
    wanted = collapse_spaces(page_title or "")
    found: list[tuple[tuple[int, int, int], str, dict[str, Any], str]] = []
    expressions: list[str] = []
    for island in _islands(html, notes, expressions):
        for obj in _walk(island.data):
            size = max((_raw_size(v) for k, v in obj.items() if isinstance(k, str) and _key(k) in _BODY_SET),
                       default=0)
            if size < _MIN_BODY_CHARS:
                continue  # cheap sieve first: most objects of a store are not articles
            loose = _loose(obj)
            title = _text_of(_get(loose, _TITLE_KEYS))
            if not title:
                continue
            own_url = any(_names_page(c, path, query) for c in _identity(obj))
            own_title = bool(wanted) and (title == wanted or title in wanted)
            found.append(((int(own_url), int(own_title), size), island.source, loose, title))
    found.sort(key=lambda item: item[0], reverse=True)
    # bodies are parsed best first, and only until one is long enough once cleaned
    for rank, source, loose, title in found[:_MAX_PARSED]:
        body = _body_of(loose)
        if sum(map(len, body)) >= _MIN_BODY_CHARS:
            if len(found) > 1 and rank[:2] == (0, 0):
                notes.append(f"islands: {len(found)} article objects and none names this page; took the longest")
            return _article(source, loose, title, body), notes
    return None, notes + expressions


def _article(source: str, obj: dict[str, Any], title: str, body: list[str]) -> IslandArticle:
    """The fields of the chosen article object (`obj` as `_loose` gives it)."""
    published = _date_of(_get(obj, _PUBLISHED_KEYS))
    modified = _date_of(_get(obj, _MODIFIED_KEYS))
    authors = list(dict.fromkeys(n for n in _names(_get(obj, _AUTHOR_KEYS)) if n))
    subtitle = _text_of(_get(obj, _SUBTITLE_KEYS))
    return IslandArticle(
        source=source, title=title, body="\n".join(body), subtitle=subtitle,
        published_at=published, modified_at=modified, authors=authors,
    )
