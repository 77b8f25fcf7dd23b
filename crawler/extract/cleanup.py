"""Cleaning an extracted article before dedupe and matching (the `normalize` pipeline): clean text,
URL keys, drop reasons."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

from crawler.dedupe.urls import IdRule, article_key, canonical_url
from crawler.types import ArticleRecord

MIN_BODY_CHARS = 20
_SPACES = re.compile(r"[ \t\u00a0\u200b\u3000]+")
# control (Cc) and format (Cf) characters, except tab and newline: zero-width spaces, BOMs,
# bidi marks and soft hyphens that scraped text carries invisibly
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u08e2\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)


class Rejected(ValueError):
    """The page cannot become an article; the message is the drop reason."""


def clean_text(text: str | None) -> str:
    """NFC, no control characters, single spaces, trimmed lines, no empty lines."""
    if not text:
        return ""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def body_hash(title: str, body: str) -> str:
    """The content identity of a version: what a reader would see change."""
    return hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()


def clean_record(
    rec: ArticleRecord, home: str | None = None, *, id_rules: Sequence[IdRule]
) -> ArticleRecord:
    """Clean the fields and compute the URL keys (`id_rules`: `crawler.families.ID_RULES`); raise
    Rejected with the reason for a non-article."""
    ex = rec.extracted
    if not ex.is_article:
        raise Rejected("not an article page (home or list page)")
    ex.title = clean_text(ex.title).replace("\n", " ") or None
    ex.subtitle = clean_text(ex.subtitle) or None
    ex.body = clean_text(ex.body)
    ex.authors = [a for a in (clean_text(a) for a in ex.authors) if a]
    if not ex.title:
        raise Rejected("no title")
    if len(ex.body) < MIN_BODY_CHARS:
        raise Rejected(f"no body (under {MIN_BODY_CHARS} characters)")
    rec.canonical_url = canonical_url(rec.url, canonical_hint=ex.canonical_url, home=home, rules=id_rules)
    keys = [article_key(url, rec.family, rules=id_rules) for url in (rec.request_url, rec.url, rec.canonical_url)]
    rec.keys = list(dict.fromkeys(keys))
    rec.body_hash = body_hash(ex.title, ex.body)
    return rec
