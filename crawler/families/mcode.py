"""The `/news/view.php?idx=<int>&mcode=<code>` family of small local papers.

Its skins differ in class names but not in the order of the page's text, so this page object
reads the text landmarks rather than selectors: "기사 메일전송" above the title, "• <name> 기자"
and "• 등록 YYYY-MM-DD HH:MM:SS" below it, "기사수정", then bullet summary lines (the subtitle),
the body, and "목록 바로가기" / "인쇄" after it. Known body containers are preferred when present.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cached_property

from lxml import etree

from crawler.dedupe.urls import IdRule
from crawler.extract.authors import clean_authors
from crawler.extract.blocks import blocks, element_text, paragraphs
from crawler.extract.dates import LABELLED_DATE, find_labelled_dates
from crawler.extract.detect import Signature
from crawler.extract.page import ArticlePage, PageKind, field
from crawler.extract.pagekind import query_param, url_kind
from crawler.extract.text import TITLES, Block, clean_paragraphs, collapse_spaces
from crawler.families.base import Family
from crawler.families.navigator import Navigator

_MAIL = "메일전송"
_HEADER_END = re.compile(r"^(?:[•·]\s*)?(?:기사\s*수정|기사\s*삭제)$|" + LABELLED_DATE.pattern)
_BODY_END = re.compile(r"^(?:목록\s*바로가기|목록으로|목록|인쇄(?:하기)?|기사\s*목록)$")
_BULLET = re.compile(r"^[-–·•▶■◆○●※]\s*")
_BYLINE = re.compile(r"[•·]\s*([가-힣]{2,4})\s*" + TITLES)
_DATE_ITEM = re.compile(r"[•·]?\s*(?:등록|입력|승인|수정|최종수정)\s*[:：]?\s*\d{4}[-.]\d{1,2}[-.]\d{1,2}[^•·|]*")
_BODY_CSS = (
    "#news_body_area",
    "#article_body",
    "#articleBody",
    "[itemprop=articleBody]",
    ".view_con",
    ".news_body",
    ".article_body",
    ".view_content",
)
_MAX_SUMMARY_ITEMS = 6
_MIN_SUMMARY_ITEM = 8  # characters: summary lines are sentences, not menu entries
_HEADER_WINDOW = 12  # blocks after "기사 메일전송" where the byline and date lines sit


class McodePage(ArticlePage):
    """An article of the `/news/view.php?idx=&mcode=` CMS."""

    family = "mcode"

    def kind(self) -> PageKind:
        """Article when the URL names one (idx=), else home/list by URL shape, else an article."""
        if query_param(self.url, "idx"):
            return PageKind.ARTICLE
        by_url = url_kind(self.url)
        if by_url is not None:
            return by_url
        return PageKind.ARTICLE

    @cached_property
    def page_blocks(self) -> list[Block]:
        """The text of `<body>` as blocks, in document order."""
        body = self.sel.root.find("body")
        return blocks(body) if body is not None else []

    @cached_property
    def header_text(self) -> str:
        """The visible text from the "기사 메일전송" line to the start of the summary/body."""
        start = self._mail_index
        if start is None:
            return ""
        end = self._header_end if self._header_end is not None else start + _HEADER_WINDOW
        return " • ".join(b.text for b in self.page_blocks[start : end + 1])

    @cached_property
    def _mail_index(self) -> int | None:
        for i, block in enumerate(self.page_blocks):
            if _MAIL in block.text.replace(" ", ""):
                return i
        return None

    @cached_property
    def _header_end(self) -> int | None:
        """The last header block (date line or 기사수정) close below "기사 메일전송"."""
        start = self._mail_index
        if start is None:
            return None
        last = None
        window = self.page_blocks[start : start + _HEADER_WINDOW]
        for offset, block in enumerate(window):
            if _HEADER_END.search(block.text) or _DATE_ITEM.search(block.text):
                last = start + offset
        return last

    @cached_property
    def region(self) -> list[Block]:
        """The blocks between the header and "목록 바로가기" (summary lines and body)."""
        if self._header_end is None:
            return []
        out: list[Block] = []
        for block in self.page_blocks[self._header_end + 1 :]:
            if _BODY_END.match(block.text):
                break
            out.append(block)
        return out

    @cached_property
    def summary_lines(self) -> list[str]:
        """The bullet lines at the top of the region (the subtitle), or the items of a plain
        `<ul>` that opens it — some skins print the summary as a list, with or without bullets."""
        lines: list[str] = []
        for block in self.region:
            if not _BULLET.match(block.text) or block.is_link_list_item:
                break
            line = _BULLET.sub("", block.text).strip()
            if line:
                lines.append(line)
        return lines or self.summary_list

    @cached_property
    def summary_list(self) -> list[str]:
        """The items of the `<ul>`/`<ol>` whose lines are the first lines of the region."""
        top = [_BULLET.sub("", b.text).strip() for b in self.region[:_MAX_SUMMARY_ITEMS + 1]]
        for found in self.sel.xpath("//body//ul | //body//ol"):
            items = [_BULLET.sub("", element_text(li.root)).strip() for li in found.xpath("./li")]
            if not items or len(items) > _MAX_SUMMARY_ITEMS or len(items) >= len(top):
                continue  # a summary is a few lines, and the body follows it
            if found.xpath("./li//a") or min(map(len, items)) < _MIN_SUMMARY_ITEM:
                continue  # a menu or a related-links list, not sentences
            if items == top[: len(items)]:
                return items
        return []

    @cached_property
    def body_element(self) -> etree._Element | None:
        return self.first(*_BODY_CSS)

    @field
    def title(self) -> str | None:
        headings = self.sel.xpath(
            f"//*[contains(text(), '{_MAIL}')]/following::*"
            "[self::h1 or self::h2 or self::h3 or self::h4][normalize-space()][1]"
        )
        for heading in [*headings, *self.sel.css("h1")]:
            text = element_text(heading.root)
            if text:
                return text
        return None

    @field
    def subtitle(self) -> str | None:
        return "\n".join(self.summary_lines) or None

    @field
    def authors(self) -> list[str]:
        found = [m.group(1) for m in _BYLINE.finditer(self.header_text)]
        return clean_authors(found[:1])

    @cached_property
    def dates(self) -> dict[str, datetime]:
        items = [collapse_spaces(m.group(0)).lstrip("•· ") for m in _DATE_ITEM.finditer(self.header_text)]
        return find_labelled_dates(" | ".join(items))

    @field
    def body(self) -> str:
        element = self.body_element
        if element is not None:
            found = paragraphs(element)
        else:
            found = clean_paragraphs(self.region[len(self.summary_lines) :])
        summary = set(self.summary_lines)
        return "\n".join(p for p in found if _BULLET.sub("", p).strip() not in summary)


class McodeNavigator(Navigator):
    """/news/view.php?idx=<int>&mcode=<code>: lists /news/list.php?mcode=<code> (&page=N).

    No feed path is known for this CMS: registry feeds, else sitemaps, else its lists.
    """

    family = "mcode"

    def has_article_id(self, url: str) -> bool:
        return "view.php" in url and super().has_article_id(url)

    def is_article_url(self, url: str) -> bool:
        return self.has_article_id(url)


ID_RULES = (IdRule("mcode", re.compile(r"(?:^|/)view\.php$", re.I), ("idx",)),)

SIGNATURE = Signature(
    urls=(re.compile(r"/news/view\.php\?(?=[^#]*\bidx=\d+)(?=[^#]*\bmcode=)", re.I),),
    markers=("/news/view.php?idx=", "기사 메일전송", "mcode="),
    list_links=re.compile(r"/news/list\.php\?[^#]*\bmcode=", re.I),
)

FAMILY = Family(
    name="mcode",
    description=(
        "`/news/view.php?idx=&mcode=`; summary lines above the body — bullet lines, or a plain "
        "`<ul>` with or without bullet characters — are the subtitle"
    ),
    page=McodePage,
    navigator=McodeNavigator,
    id_rules=ID_RULES,
    signature=SIGNATURE,
    samples=("mcode/article", "mcode/article_plain_skin", "mcode/list"),
)
