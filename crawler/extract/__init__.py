"""Extraction: page bytes → `crawler.types.Extracted` (title, authors, dates, section, body).

`extract(html, url, family=…, charset=…, now=…)` is the one entry point; see `core`. Family page
objects live in `ndsoft` and `gnuboard` (registered in `families`), structured metadata in
`metadata`, the trafilatura/htmldate fallback in `generic`, date and charset handling in
`dates` and `encoding`, the body-quality measure in `evaluate`.
"""

from __future__ import annotations

from .core import extract
from .detect import detect_family
from .encoding import decode_html

__all__ = ["decode_html", "detect_family", "extract"]
