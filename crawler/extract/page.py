"""The base of the page objects: one method per output field, web-poet style (without web-poet).

A page object wraps one parsed page (`parsel.Selector`) and its URL. Methods marked `@field`
compute one field of `Extracted` each, lazily and once; `fields()` collects them. A family
subclasses `ArticlePage` and overrides what its CMS puts in known places.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any, ClassVar, TypeVar

from lxml import etree
from parsel import Selector

from .blocks import element_text
from .metadata import Metadata, read_metadata
from .select import PageIndex

T = TypeVar("T")

FIELD_NAMES = ("title", "subtitle", "authors", "published_at", "modified_at", "section", "body")


class PageKind(StrEnum):
    """What a page is, as far as extraction is concerned."""

    ARTICLE = "article"
    LIST = "list"
    HOME = "home"


def field(method: Callable[[Any], T]) -> cached_property[T]:
    """Mark a page-object method as the extractor of the output field of the same name."""
    prop = cached_property(method)
    prop.__is_field__ = True  # type: ignore[attr-defined]
    return prop


class ArticlePage:
    """A page of some family; subclasses override the fields their CMS marks up."""

    family: ClassVar[str] = "generic"

    def __init__(
        self,
        sel: Selector,
        url: str,
        *,
        html: str | None = None,
        metadata: Metadata | None = None,
        now: datetime | None = None,
    ) -> None:
        self.sel = sel
        self.url = url
        self.now = now or datetime.now(UTC)
        self.notes: list[str] = []  # problems met while extracting, for `Extracted.problems`
        if html is not None:
            self.__dict__["html"] = html  # pre-fill the cached properties
        if metadata is not None:
            self.__dict__["metadata"] = metadata

    @cached_property
    def html(self) -> str:
        """The page as text (serialised from the tree when the page was not given as text)."""
        return self.sel.get()

    @cached_property
    def metadata(self) -> Metadata:
        """The page's structured metadata (JSON-LD, Open Graph, itemprop, …)."""
        return read_metadata(self.sel, self.url, index=self.index)

    @cached_property
    def index(self) -> PageIndex:
        """The page's elements by class, id and itemprop, for `select`."""
        return PageIndex(self.sel)

    def select(self, css: str) -> list[etree._Element]:
        """The elements a CSS selector selects, in document order (as parsel would, faster)."""
        return self.index.select(css)

    def first(self, *css: str) -> etree._Element | None:
        """The first element matching any of the selectors, tried in order."""
        for query in css:
            found = self.select(query)
            if found:
                return found[0]
        return None

    def first_text(self, *css: str, separator: str = "") -> str | None:
        """The normalised text of the first matching, non-empty element."""
        for query in css:
            for found in self.select(query):
                text = element_text(found, separator)
                if text:
                    return text
        return None

    def kind(self) -> PageKind:
        """Article, list or home page (families refine this)."""
        return PageKind.ARTICLE

    @field
    def title(self) -> str | None:
        return None

    @field
    def subtitle(self) -> str | None:
        return None

    @field
    def authors(self) -> list[str]:
        return []

    @cached_property
    def dates(self) -> dict[str, datetime]:
        """The page's labelled dates ("published"/"modified"); families say where they stand."""
        return {}

    @field
    def published_at(self) -> datetime | None:
        return self.dates.get("published")

    @field
    def modified_at(self) -> datetime | None:
        return self.dates.get("modified")

    @field
    def section(self) -> str | None:
        return None

    @field
    def body(self) -> str:
        return ""

    def fields(self) -> dict[str, Any]:
        """Every field's value, by name."""
        return {name: getattr(self, name) for name in FIELD_NAMES}
