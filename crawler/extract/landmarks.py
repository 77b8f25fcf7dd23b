"""A page object for CMS families known by URL shape more than by markup.

The evidence for the families added from the registry's evidence URLs (`partidx`, `articlephp`,
`scrs`) is their URL and list shapes and the order of their visible text (stored public pages),
not their class names. So each family lists the selectors its skins are expected to use (wide
lists: several skins per CMS), with labelled dates ("입력 …") or a bare date line ("2024년 07월
14일(일) 18:20") read from its info elements. When the selectors find no title or body,
`extract` falls back to generic extraction and says so in `problems`: a skin not covered shows
up in the health report instead of losing the article.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cached_property
from typing import ClassVar

from lxml import etree

from .authors import clean_authors
from .blocks import element_text, paragraphs
from .dates import find_labelled_dates, parse_korean_datetime
from .page import ArticlePage, PageKind, field
from .pagekind import url_kind
from .text import TITLES

_NAME_WITH_TITLE = re.compile(r"([가-힣]{2,4})\s*" + TITLES)
_PLAIN_DATE = re.compile(r"\d{4}\s*(?:년|[-.])\s*\d{1,2}\s*(?:월|[-.])\s*\d{1,2}")


class LandmarkPage(ArticlePage):
    """Fields from the family's selector lists (see the module docstring)."""

    family = "landmark"
    title_css: ClassVar[tuple[str, ...]] = ()
    subtitle_css: ClassVar[tuple[str, ...]] = ()
    info_css: ClassVar[tuple[str, ...]] = ()
    body_css: ClassVar[tuple[str, ...]] = ()
    section_css: ClassVar[tuple[str, ...]] = ()

    def is_article_url(self, url: str) -> bool:
        """Whether the URL names one article (the family's id rule)."""
        return False

    def kind(self) -> PageKind:
        if self.is_article_url(self.url):
            return PageKind.ARTICLE
        return url_kind(self.url) or PageKind.ARTICLE

    @cached_property
    def info_items(self) -> list[str]:
        """The text of the family's byline/date elements."""
        found = [el for css in self.info_css for el in self.select(css)]
        return [text for text in (element_text(el, " ") for el in found) if text]

    @cached_property
    def body_element(self) -> etree._Element | None:
        return self.first(*self.body_css) if self.body_css else None

    @field
    def title(self) -> str | None:
        return self.first_text(*self.title_css) if self.title_css else None

    @field
    def subtitle(self) -> str | None:
        el = self.first(*self.subtitle_css) if self.subtitle_css else None
        return ("\n".join(paragraphs(el)) or None) if el is not None else None

    @field
    def authors(self) -> list[str]:
        for item in self.info_items:
            match = _NAME_WITH_TITLE.search(item)
            if match:
                return clean_authors([match.group(0)])
        return []

    @cached_property
    def dates(self) -> dict[str, datetime]:
        text = " | ".join(self.info_items)
        found = find_labelled_dates(text)
        if "published" not in found:
            # some skins print the date bare ("2024년 07월 14일(일) 18:20"): the first is the publication
            for item in self.info_items:
                if _PLAIN_DATE.search(item):
                    when = parse_korean_datetime(item)
                    if when is not None:
                        found["published"] = when
                        break
        return found

    @field
    def section(self) -> str | None:
        return self.first_text(*self.section_css) if self.section_css else None

    @field
    def body(self) -> str:
        body = self.body_element
        return "\n".join(paragraphs(body)) if body is not None else ""
