"""An element's visible text as paragraphs (`Block`s), leaving out captions, widgets and ads.

Block-level tags and `<br>` end a paragraph; containers whose class or id names a widget (share,
SNS, related articles, ads, captions, comments) are skipped whole, as are figures.
"""

from __future__ import annotations

import re

from lxml import etree

from .text import Block, clean_paragraphs, collapse_spaces

BLOCK_TAGS = frozenset(
    "address article aside blockquote body center dd div dl dt fieldset footer h1 h2 h3 h4 h5 h6 "
    "header hr li main ol p pre section table tbody td th thead tr ul caption".split()
)
SKIP_TAGS = frozenset(
    "script style noscript template figure figcaption iframe button form select option input "
    "textarea nav aside svg video audio object embed canvas map ins head title link meta".split()
)
_SKIP_NAME = re.compile(
    r"(?:^|[-_ ])(?:ad|ads|adv|advert\w*|banner\w*|adsbygoogle|google_ads?|dable\w*|share\w*|sns\w*|"
    r"social\w*|zoom|related\w*|relation\w*|recommend\w*|popular\w*|ranking|most-?read|"
    r"copyright\w*|caption\w*|comments?|reply|tags?|taglist|weather\w*|breadcrumbs?|"
    r"byline|editors|reporter\w*|photo-?(?:txt|text|desc)|img-?(?:desc|txt)|"
    r"sound_only|blind|sr-only|screen-reader\w*)(?:$|[-_ ])",
    re.IGNORECASE,
)
# A skipped element of these kinds still separates the text before it from the text after it.
_BREAKS_WHEN_SKIPPED = BLOCK_TAGS | frozenset(
    "figure figcaption iframe form nav aside video audio object embed canvas textarea select".split()
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_MAX_DEPTH = 200
_TEXT_XPATH = ".//text()[not(ancestor::script) and not(ancestor::style)]"


def _is_skipped(el: etree._Element) -> bool:
    """A tag or container that never holds article text."""
    tag = el.tag
    if not isinstance(tag, str):  # comments, processing instructions
        return True
    if tag.lower() in SKIP_TAGS or el.get("hidden") is not None:
        return True
    if el.get("aria-hidden") == "true" or _HIDDEN_STYLE.search(el.get("style", "")):
        return True
    names = f"{el.get('class', '')} {el.get('id', '')}".strip()
    return bool(names) and bool(_SKIP_NAME.search(names))


class _Collector:
    """Accumulates text runs into blocks while walking the tree."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._parts: list[str] = []
        self._link_chars = 0

    def add(self, text: str | None, in_link: bool) -> None:
        if text:
            self._parts.append(text)
            if in_link:
                self._link_chars += len(collapse_spaces(text))

    def flush(self) -> None:
        text = collapse_spaces("".join(self._parts))
        if text:
            self.blocks.append(Block(text, min(self._link_chars, len(text))))
        self._parts = []
        self._link_chars = 0


def _walk(el: etree._Element, out: _Collector, in_link: bool, depth: int) -> None:
    """Depth-first text collection; block boundaries flush the current paragraph."""
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    block = tag in BLOCK_TAGS
    if block or tag == "br":
        out.flush()
    if tag != "br" and depth < _MAX_DEPTH:
        in_link = in_link or tag == "a"
        out.add(el.text, in_link)
        for child in el:
            if _is_skipped(child):
                if isinstance(child.tag, str) and child.tag.lower() in _BREAKS_WHEN_SKIPPED:
                    out.flush()
            else:
                _walk(child, out, in_link, depth + 1)
            out.add(child.tail, in_link)
    if block:
        out.flush()


def blocks(el: etree._Element) -> list[Block]:
    """The element's text as blocks, in document order (the element itself is never skipped)."""
    out = _Collector()
    _walk(el, out, False, 0)
    out.flush()
    return out.blocks


def paragraphs(el: etree._Element) -> list[str]:
    """The element's article paragraphs after the chrome rules of `text.clean_paragraphs`."""
    return clean_paragraphs(blocks(el))


def element_text(el: etree._Element, separator: str = "") -> str:
    """All of an element's text except scripts and styles, whitespace-normalised."""
    return collapse_spaces(separator.join(el.xpath(_TEXT_XPATH)))
