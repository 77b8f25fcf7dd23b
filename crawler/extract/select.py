"""The family page objects' CSS selectors, answered from one index of the page.

parsel turns each CSS selector into an XPath that walks the whole tree, testing every element's
class with string functions: an NDSoft article asked about a dozen of them (title, body, byline
items, authors, breadcrumbs, subtitle, each often a union of three or four) and they were the
largest part of its extraction time. `PageIndex` makes one XPath pass that collects the elements
carrying a class, an id or an itemprop, files them by token, and answers the selectors the page
objects use from those lists, walking only the subtrees they name.

The selectors it answers: compounds of an optional tag, `#id`, `.class`, `[attr]`,
`[attr=value]` and `:has(compound)`, joined by descendant (space) or child (`>`) combinators,
in comma-separated groups. A selector whose first compound has no id, class or itemprop starts
from the elements of its tag. Anything else (pseudo-classes, `~`, `+`, attribute operators …)
goes to parsel unchanged, so the answer is always parsel's: same elements, document order
(tests/test_extract_select.py checks this on every page the tests hold).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree
from parsel import Selector

_INDEXED = etree.XPath("//*[@class or @id or @itemprop]")
_NAME = r"[A-Za-z_][\w-]*"
_COMPOUND = re.compile(
    rf"(?P<tag>{_NAME}|\*)?(?P<parts>(?:#{_NAME}|\.{_NAME}|\[{_NAME}(?:=(?:\"[^\"]*\"|'[^']*'|[\w-]+))?\])*)"
    rf"(?::has\((?P<has>[^()]*)\))?"
)
_PART = re.compile(rf"#(?P<id>{_NAME})|\.(?P<cls>{_NAME})|\[(?P<attr>{_NAME})(?:=(?P<value>\"[^\"]*\"|'[^']*'|[\w-]+))?\]")
_XML_SPACE = re.compile(r"[ \t\r\n]+")  # XPath's normalize-space: not Python's wider whitespace


@dataclass(frozen=True)
class Compound:
    tag: str | None
    id: str | None
    classes: tuple[str, ...]
    attrs: tuple[tuple[str, str | None], ...]
    has: Compound | None

    def matches(self, el: etree._Element) -> bool:
        if self.tag is not None and el.tag != self.tag:
            return False
        if self.id is not None and el.get("id") != self.id:
            return False
        if self.classes:
            tokens = _XML_SPACE.split(el.get("class") or "")
            if any(c not in tokens for c in self.classes):
                return False
        for name, value in self.attrs:
            got = el.get(name)
            if got is None or (value is not None and got != value):
                return False
        if self.has is not None:
            return any(self.has.matches(d) for d in el.iterdescendants(self.has.tag or etree.Element))
        return True


Chain = tuple[tuple[str, Compound], ...]  # (combinator before it: "" first, " " or ">"), compound


def _compound(text: str) -> Compound | None:
    m = _COMPOUND.fullmatch(text)
    if m is None or not text:
        return None
    tag = m.group("tag")
    ids: list[str] = []
    classes: list[str] = []
    attrs: list[tuple[str, str | None]] = []
    for part in _PART.finditer(m.group("parts") or ""):
        if part.group("id"):
            ids.append(part.group("id"))
        elif part.group("cls"):
            classes.append(part.group("cls"))
        else:
            value = part.group("value")
            # HTML attribute names are case-insensitive: lxml's parser and cssselect lower-case them
            attrs.append((part.group("attr").lower(), value[1:-1] if value and value[0] in "\"'" else value))
    has = None
    if m.group("has") is not None:
        has = _compound(m.group("has").strip())
        if has is None or has.has is not None:
            return None
    if len(ids) > 1:
        return None
    return Compound(None if tag in (None, "*") else tag.lower(), ids[0] if ids else None, tuple(classes),
                    tuple(attrs), has)


@lru_cache(maxsize=512)
def compile_css(css: str) -> tuple[Chain, ...] | None:
    """The selector as chains of compounds, or None when this engine does not answer it."""
    chains: list[Chain] = []
    for selector in css.split(","):
        tokens = re.split(r"\s*(>)\s*|\s+", selector.strip())
        chain: list[tuple[str, Compound]] = []
        combinator = ""
        for token in tokens:
            if token is None:
                continue
            if token == ">":
                if not chain or combinator == ">":
                    return None
                combinator = ">"
                continue
            if token == "":
                continue
            compound = _compound(token)
            if compound is None:
                return None
            chain.append((combinator if chain else "", compound))
            combinator = " "
        if not chain or combinator == ">":
            return None
        chains.append(tuple(chain))
    return tuple(chains)


class PageIndex:
    """One page's elements by class token, id and itemprop, and `select(css)` over them."""

    def __init__(self, sel: Selector) -> None:
        self.sel = sel
        self.root = sel.root
        self.by_class: dict[str, list[etree._Element]] = defaultdict(list)
        self.by_id: dict[str, list[etree._Element]] = defaultdict(list)
        self.by_itemprop: dict[str, list[etree._Element]] = defaultdict(list)
        self._order: dict[etree._Element, int] | None = None
        for el in _INDEXED(self.root):
            cls, ident, prop = el.get("class"), el.get("id"), el.get("itemprop")
            if cls:
                for token in _XML_SPACE.split(cls):
                    if token:
                        self.by_class[token].append(el)
            if ident is not None:
                self.by_id[ident].append(el)
            if prop is not None:
                self.by_itemprop[prop].append(el)

    def select(self, css: str) -> list[etree._Element]:
        """The elements `css` selects, in document order (parsel's answer, faster)."""
        chains = compile_css(css)
        if chains is None:
            return [found.root for found in self.sel.css(css)]
        results = [found for found in (self._chain(chain) for chain in chains) if found]
        if len(results) == 1:
            return results[0]
        return self._in_order(el for found in results for el in found)

    def itemprop(self, name: str) -> list[etree._Element]:
        return self.by_itemprop.get(name, [])

    def _start(self, first: Compound) -> list[etree._Element]:
        if first.id is not None:
            found = self.by_id.get(first.id, [])
        elif first.classes:
            found = min((self.by_class.get(c, []) for c in first.classes), key=len)
        elif any(name == "itemprop" and value is not None for name, value in first.attrs):
            value = next(v for n, v in first.attrs if n == "itemprop" and v is not None)
            found = self.by_itemprop.get(value, [])
        elif first.tag is not None:
            found = list(self.root.iter(first.tag))
        else:
            found = list(self.root.iter(etree.Element))
        return [el for el in found if first.matches(el)]

    def _chain(self, chain: Chain) -> list[etree._Element]:
        current = self._start(chain[0][1])
        for combinator, compound in chain[1:]:
            if not current:
                return []
            nested = len(current) > 1 and self._nested(current)
            step = (lambda el, tag: el.iterchildren(tag)) if combinator == ">" else (
                lambda el, tag: el.iterdescendants(tag))
            found: list[etree._Element] = []
            for el in current:
                found.extend(d for d in step(el, compound.tag or etree.Element) if compound.matches(d))
            current = self._in_order(found) if nested else found
        return current

    @staticmethod
    def _nested(elements: list[etree._Element]) -> bool:
        """True when one of the elements lies inside another (their descendants may repeat or interleave)."""
        members = set(elements)
        return any(anc in members for el in elements for anc in el.iterancestors())

    def _in_order(self, elements: Iterable[etree._Element]) -> list[etree._Element]:
        """Without repeats, in document order."""
        unique = set(elements)
        if len(unique) <= _FEW:  # each element's path of child positions: cheaper than numbering the page
            return sorted(unique, key=_path)
        if self._order is None:
            self._order = {el: i for i, el in enumerate(self.root.iter())}
        order = self._order
        return sorted(unique, key=order.__getitem__)


_FEW = 32


def _path(el: etree._Element) -> list[int]:
    """The element's child positions from the root down: sorting by it is document order."""
    path = []
    parent = el.getparent()
    while parent is not None:
        path.append(parent.index(el))
        el, parent = parent, parent.getparent()
    path.reverse()
    return path
