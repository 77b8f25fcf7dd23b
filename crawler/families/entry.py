"""A ready-to-paste registry entry for the outlet of one page (`newswatch outlets detect`)."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from crawler.extract.discovery import autodiscover_feeds
from crawler.extract.encoding import decode_html
from crawler.extract.metadata import read_metadata
from crawler.families import SIGNATURES, detect_family, extract

_MAX_LISTS = 3
_SECOND_LEVEL = frozenset("co or go ne re pe ac mil hs ms es sc kg com net org".split())


def outlet_id(host: str) -> str:
    """The registry id of a host: the slug of its own domain (`www.kado.net` → `kado`)."""
    labels = [x for x in host.lower().split(".") if x]
    if labels and labels[0] in ("www", "m", "mobile"):
        labels = labels[1:]
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL:  # joongboo.co.kr, nmn.ff.or.kr
        labels = labels[:-2]
    elif len(labels) >= 2:
        labels = labels[:-1]
    slug = re.sub(r"[^a-z0-9-]", "", labels[-1] if labels else "").strip("-")
    return slug or "outlet"


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"


def registry_entry(body: bytes, url: str, *, charset: str | None = None) -> str:
    """A ready-to-paste `[[outlet]]` for the outlet of one page (its URL, or its canonical URL).

    Only what the page shows is filled in: the family, the encoding, the feeds it announces, the
    list pages it links to, the page itself as evidence with the month it was published. The
    name (when the page names no site), region, district and scope are left empty with a comment:
    a field is never guessed."""
    text, encoding = decode_html(body, charset)
    meta = read_metadata(Selector(text=text), url)
    page_url = url or meta.canonical_url or ""
    parts = urlsplit(page_url)
    if not parts.hostname:
        raise ValueError("the page gives no URL of its own (no canonical link): pass --url URL too")
    home = f"{parts.scheme}://{parts.netloc}/"
    family = detect_family(text, page_url)
    feeds = autodiscover_feeds(text, page_url)
    signature = SIGNATURES.get(family)
    pattern = signature.list_links if signature else None
    lists: list[str] = []
    if pattern is not None:
        sel = Selector(text=text)
        for href in sel.css("a::attr(href)").getall():
            absolute = urljoin(page_url, href.strip())
            if urlsplit(absolute).netloc == parts.netloc and pattern.search(absolute) and absolute not in lists:
                lists.append(absolute)
            if len(lists) >= _MAX_LISTS:
                break
    published = extract(text, page_url, family=family).published_at
    name = (meta.site_name or "").strip()
    enc = "" if encoding.lower().replace("-", "") in ("utf8", "ascii") else encoding.lower()
    evidence = f"evidence = [{{url = {_toml_str(page_url)}, seen = "
    evidence += (
        f'"{published:%Y-%m}"}}]' if published else '""}]  # no date on the page: write the month you saw it'
    )
    lines = [
        "[[outlet]]",
        f"id = {_toml_str(outlet_id(parts.hostname))}",
        f"name = {_toml_str(name)}" + ("" if name else "  # not on the page: the outlet's own name"),
        'region = ""  # 시도 from evidence; "" for a national trade paper',
        'district = ""  # 시군구 for a local paper, else ""',
        'scope = ""  # local | regional | trade',
        f"home = {_toml_str(home)}",
        f"family = {_toml_str(family)}",
        f"feeds = {_toml_list(feeds)}",
        f"lists = {_toml_list(lists)}",
        'every = "30m"',
        'render = "http"',
        f"encoding = {_toml_str(enc)}",
        "verified = false",
        evidence,
    ]
    return "\n".join(lines) + "\n"
