"""Which CMS family a page belongs to, from its URL shape and DOM markers.

The families' signatures are an argument (`crawler.families.SIGNATURES`, in family order): this
module is the scoring, `crawler/families/` the data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Signature:
    """How a family's pages show themselves."""

    urls: tuple[re.Pattern[str], ...]  # article/list URL shapes (path?query) that settle the family
    # Literal substrings: a plain `in` test over a 100 KB page costs microseconds, a regex milliseconds.
    markers: tuple[str, ...]
    list_links: re.Pattern[str] | None = None  # its list pages, as links show them (`outlets detect`)


_MIN_MARKERS = 2


def detect_family(html: str, url: str, signatures: Mapping[str, Signature]) -> str:
    """The family of a page and its URL: the first whose URL shape fits, else the one with most
    markers (at least two; the first on a tie), else "generic"."""
    parts = urlsplit(url or "")
    path_and_query = f"{parts.path}?{parts.query}"
    for family, signature in signatures.items():
        if any(rule.search(path_and_query) for rule in signature.urls):
            return family
    scores = {
        family: sum(1 for marker in signature.markers if marker in html)
        for family, signature in signatures.items()
    }
    family, score = max(scores.items(), key=lambda item: item[1], default=("generic", 0))
    return family if score >= _MIN_MARKERS else "generic"
