"""`extract()`: one page in, one `Extracted` out.

Order: the family page object → structured metadata fills what it left empty → the generic page
(trafilatura body, visible labelled dates, htmldate) as the last resort. A family page object
that finds no title or body on an article page hands over to the generic one (`fallback=True`).
The family page objects and detection signatures are arguments: `crawler.families.extract` passes
the families' records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from parsel import Selector

from ..types import Extracted
from .dates import check_date
from .detect import Signature, detect_family
from .encoding import decode_html
from .generic import GenericPage, strip_title_lines
from .page import FIELD_NAMES, ArticlePage, PageKind
from .text import collapse_spaces

_HTML_SIGNS = re.compile(
    r"<(?:!doctype\s+html|html|head|body|meta|title|div|p|article|section|table|script|span|a)\b",
    re.IGNORECASE,
)
_HTML_END = re.compile(r"</(?:html|body)\s*>", re.IGNORECASE)
_SNIFF_CHARS = 65_536
_DATE_FIELDS = ("published_at", "modified_at")


def not_html_reason(text: str) -> str | None:
    """Why `text` is not an HTML page, or None if it looks like one."""
    if not text.strip():
        return "not an HTML page: the body is empty"
    head = text[:_SNIFF_CHARS]
    if "\x00" in head:
        return "not an HTML page: binary content (NUL bytes)"
    if not _HTML_SIGNS.search(head):
        return "not an HTML page: no HTML tags in the first 64 KB"
    return None


def _is_empty(value: Any) -> bool:
    """True for None, "" and []."""
    return value is None or value == "" or value == []


def _pick_date(
    name: str, sources: list[Any], now: datetime, problems: list[str]
) -> datetime | None:
    """The first plausible date among the sources; implausible ones are reported and skipped."""
    for source in sources:
        value, reason = check_date(getattr(source, name, None), now)
        if reason:
            problems.append(f"{name}: {reason}, dropped")
        if value is not None:
            return value
    return None


_ESSENTIAL = ("title", "body", "published_at", "authors")


def _pick(name: str, sources: list[Any]) -> Any:
    """The first non-empty value of a field among the sources."""
    for source in sources:
        value = getattr(source, name, None)
        if not _is_empty(value):
            return value
    return [] if name == "authors" else "" if name == "body" else None


def _article(page: ArticlePage, now: datetime) -> Extracted:
    """Fields of an article page, filled from page object, metadata and generic extraction."""
    problems: list[str] = []
    family, fallback = page.family, False
    if not isinstance(page, GenericPage):
        missing = [name for name in ("title", "body") if _is_empty(getattr(page, name))]
        if missing:
            problems.append(
                f"{page.family}: page object found no {' or '.join(missing)}; "
                "used generic extraction"
            )
            family, fallback = "generic", True
    generic = (
        page
        if isinstance(page, GenericPage)
        else GenericPage(page.sel, page.url, html=page.html, metadata=page.metadata, now=now)
    )
    sources: list[Any] = (
        [page, page.metadata, generic] if generic is not page else [page.metadata, generic]
    )
    values: dict[str, Any] = {}
    for name in FIELD_NAMES:
        # a family page object that worked is trusted for optional fields: scanning the whole
        # page for a 수정 line it did not show costs more than the field is worth, and finds chrome
        own = sources if fallback or name in _ESSENTIAL else [s for s in sources if s is not generic]
        values[name] = (
            _pick_date(name, own, now, problems) if name in _DATE_FIELDS else _pick(name, own)
        )
    values["body"] = strip_title_lines(values["body"], values["title"], values["subtitle"])
    for name in ("title", "body", "published_at"):
        if _is_empty(values[name]):
            problems.append(f"{name}: nothing found")
    problems.extend(page.notes + (generic.notes if generic is not page else []))
    return Extracted(
        **values,
        canonical_url=page.metadata.canonical_url,
        family=family,
        fallback=fallback,
        is_article=True,
        problems=list(dict.fromkeys(problems)),
    )


def extract(
    html: bytes | str,
    url: str,
    *,
    page_objects: Mapping[str, type[ArticlePage]],
    signatures: Mapping[str, Signature],
    family: str | None = None,
    charset: str | None = None,
    now: datetime | None = None,
) -> Extracted:
    """Extract one page; `family` None → detected by `signatures`, unknown → the generic page
    object; `charset` is the HTTP header's, if any."""
    now = now or datetime.now(UTC)
    if isinstance(html, bytes):
        text = decode_html(html, charset)[0]
    else:  # lone surrogates (from a careless decode upstream) cannot reach lxml
        text = html.encode("utf-8", "replace").decode("utf-8")
    reason = not_html_reason(text)
    if reason:
        return Extracted(family=family or "generic", is_article=False, problems=[reason])
    family = family or detect_family(text, url, signatures)
    page = page_objects.get(family, GenericPage)(Selector(text=text), url, html=text, now=now)
    kind = page.kind()
    if kind is not PageKind.ARTICLE:
        title = page.title or page.metadata.title or page.metadata.document_title
        return Extracted(
            title=collapse_spaces(title) if title else None,
            family=page.family,
            canonical_url=page.metadata.canonical_url,
            is_article=False,
        )
    result = _article(page, now)
    if not _HTML_END.search(text[-_SNIFF_CHARS:]):
        result.problems.insert(0, "page looks truncated: no </body> or </html>")
    return result
