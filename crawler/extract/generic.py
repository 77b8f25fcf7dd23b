"""The generic page object: the last resort after a family page object and the metadata.

First the page's own hydration data (`islands.py`: Next.js, Nuxt, Arc XP JSON), when it holds the
article object; then body from trafilatura (or the element the page declares as `itemprop="articleBody"`, when that
is clearly better), dates from visible 입력/등록/수정 labels and then htmldate, authors from byline
elements. Costs ~10–40 ms a page (trafilatura), against ~2 ms for a family page object, so
`extract` asks it only for fields still empty.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cached_property

import htmldate
import trafilatura

from .authors import clean_authors
from .blocks import blocks, element_text, paragraphs
from .dates import EARLIEST, MAX_FUTURE, SEOUL, find_labelled_dates
from .islands import IslandArticle, find_island_article
from .page import ArticlePage, PageKind, field
from .pagekind import url_kind
from .text import Block, clean_paragraphs, collapse_spaces, is_dateline, is_reporter_line

_BYLINE_CSS = (
    "[class*=byline]",
    "[class*=writer]",
    "[class*=reporter]",
    "[rel=author]",
    "[class*=author]",
    "[id*=byline]",
    "[id*=writer]",
)
_MAX_BYLINE = 80
_BODY_TEXT_XPATH = "//body//text()[not(ancestor::script) and not(ancestor::style)]"
_TABLE_ROW = re.compile(r"^\|.*\|$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
# The declared body (itemprop=articleBody) replaces trafilatura's text when it is at least
# _LONGER times as long (trafilatura missed part of it) or between _SHORTER_MIN and 1 times as
# long (trafilatura's surplus lies outside the declared body: chrome). Measured on the public
# benchmark; between 1 and 1.3 times trafilatura's cleaning inside the body usually wins.
_LONGER = 1.3
# Real article pages stay under ~1.5 M characters (the largest of the shared corpus); the crawl
# caps downloads at 8 MB. Above this, trafilatura reads only the page's beginning.
TRAFILATURA_MAX_CHARS = 2_000_000
_SHORTER_MIN = 0.3


def _tokens(paragraphs: list[str]) -> int:
    """Whitespace tokens in a list of paragraphs."""
    return sum(len(paragraph.split()) for paragraph in paragraphs)


def _lines(text: str) -> list[Block]:
    """trafilatura's text as blocks, its table rows (`| a | b |`) split into cells."""
    found: list[Block] = []
    for line in text.split("\n"):
        line = line.strip()
        if _TABLE_ROW.match(line):
            found.extend(Block(cell.replace("\\|", "|")) for cell in _CELL_SPLIT.split(line))
        else:
            found.append(Block(line))
    return found


class GenericPage(ArticlePage):
    """Any article page: labelled dates, byline elements, trafilatura, htmldate."""

    family = "generic"

    def kind(self) -> PageKind:
        """Home/list by URL shape; otherwise an article."""
        return url_kind(self.url) or PageKind.ARTICLE

    @cached_property
    def island(self) -> IslandArticle | None:
        """The article object of the page's JSON islands, if it has one (see islands.py)."""
        found, notes = find_island_article(
            self.html, self.url, self.metadata.title or self.metadata.document_title
        )
        self.notes.extend(notes)
        return found

    @field
    def title(self) -> str | None:
        return self.first_text("h1") or (self.island and self.island.title) or self.metadata.document_title

    @field
    def subtitle(self) -> str | None:
        return self.island.subtitle if self.island else None

    @field
    def authors(self) -> list[str]:
        if self.island and self.island.authors:
            names = clean_authors(self.island.authors)
            if names:
                return names
        for query in _BYLINE_CSS:
            for found in self.sel.css(query):
                text = element_text(found.root, " ")
                if text and len(text) <= _MAX_BYLINE:
                    names = clean_authors([text])
                    if names:
                        return names
        return self.byline_in_text

    @cached_property
    def byline_in_text(self) -> list[str]:
        """Names from the first byline line of the page ("• 홍길동 기자", "홍길동 기자 | 입력 …")."""
        body = self.sel.root.find("body")
        for block in blocks(body) if body is not None else []:
            if is_reporter_line(block.text) or is_dateline(block.text):
                names = clean_authors([block.text])
                if names:
                    return names
        return []

    @cached_property
    def visible_dates(self) -> dict[str, datetime]:
        """입력/등록/수정 dates in the page's visible text."""
        return find_labelled_dates(" ".join(self.sel.root.xpath(_BODY_TEXT_XPATH)))

    @field
    def published_at(self) -> datetime | None:
        island = self.island.published_at if self.island else None
        return island or self.visible_dates.get("published") or self.guessed_date

    @field
    def modified_at(self) -> datetime | None:
        island = self.island.modified_at if self.island else None
        return island or self.visible_dates.get("modified")

    @field
    def body(self) -> str:
        if self.island:
            # the page's own data: one article object, never a hidden print/"read more" copy
            return self.island.body
        found = self.trafilatura_paragraphs
        declared = self.declared_paragraphs
        n_found, n_declared = _tokens(found), _tokens(declared)
        if declared and (
            n_declared >= _LONGER * n_found or _SHORTER_MIN * n_found <= n_declared <= n_found
        ):
            found = declared
        return "\n".join(found)

    @cached_property
    def trafilatura_paragraphs(self) -> list[str]:
        """trafilatura's main text (precision mode), through our chrome rules."""
        # trafilatura parses the text itself: its parser settings and HTML repairs find more of
        # the body than a tree parsed by parsel (measured on the public benchmark).
        html = self.html
        if len(html) > TRAFILATURA_MAX_CHARS:
            # trafilatura's time grows faster than the page: cap it (the article is near the top)
            html = html[:TRAFILATURA_MAX_CHARS]
            self.notes.append(
                f"body: page of {len(self.html):,} characters, only the first "
                f"{TRAFILATURA_MAX_CHARS:,} read"
            )
        text = trafilatura.extract(
            html, url=self.url or None, include_comments=False, favor_precision=True
        )
        return clean_paragraphs(_lines(text)) if text else []

    @cached_property
    def declared_paragraphs(self) -> list[str]:
        """The paragraphs of the element marked `itemprop="articleBody"`, if any."""
        found = self.sel.xpath('//*[@itemprop="articleBody"][not(self::meta)]')
        return paragraphs(found[0].root) if found else []

    @cached_property
    def guessed_date(self) -> datetime | None:
        """htmldate's guess (a day, no time): midnight in Seoul, or None."""
        latest = self.now.astimezone(SEOUL) + MAX_FUTURE
        try:
            found = htmldate.find_date(
                self.html,
                extensive_search=False,
                original_date=True,
                outputformat="%Y-%m-%d",
                min_date=EARLIEST.date().isoformat(),
                max_date=latest.date().isoformat(),
            )
        except (ValueError, TypeError):
            return None
        if not found:
            return None
        self.notes.append("published_at: only a day found (htmldate), time set to 00:00 Seoul")
        return datetime.fromisoformat(found).replace(tzinfo=SEOUL)


_HEADLINE_WINDOW = 5  # lines at the top of a body where a repeated headline may sit


def strip_title_lines(body: str, title: str | None, subtitle: str | None) -> str:
    """The body without the headline repeated in it, nor a subtitle or chrome above its start."""
    headings = {collapse_spaces(line) for line in f"{title or ''}\n{subtitle or ''}".split("\n")}
    headings.discard("")
    lines = body.split("\n")
    top = [i for i, line in enumerate(lines[:_HEADLINE_WINDOW]) if line in headings]
    if top:
        lines = lines[top[-1] + 1 :]  # text above a repeated headline is page chrome
    title_line = collapse_spaces(title or "")
    return "\n".join(line for line in lines if line != title_line)
