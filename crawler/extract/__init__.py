"""Extraction machinery: page bytes → `crawler.types.Extracted` (title, authors, dates, section, body).

`core.extract` is the one pipeline, given the families' page objects and detection signatures
(`crawler.families.extract` passes them; the family page objects live in `crawler/families/`).
Here: the page-object base (`page`, `landmarks`), structured metadata (`metadata`), the
trafilatura/htmldate fallback (`generic`), date and charset handling (`dates`, `encoding`),
feed/sitemap/list parsing (`discovery`, `listlinks`), the body-quality measure (`evaluate`).
"""

from __future__ import annotations

from .encoding import decode_html

__all__ = ["decode_html"]
