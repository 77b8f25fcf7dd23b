"""The page index (crawler.extract.select) answers every selector exactly as parsel does.

The page objects ask their CSS selectors through `PageIndex.select`, which answers most of them from
one pass over the page instead of one XPath walk each. Its answer must be parsel's: the same
elements in the same order, or extraction would change. Checked on every page the tests hold
(the demo sites of every family, the recorded fixtures, the shared corpus when present) for
every selector the page objects asked while extracting them, and on hand-written edge cases.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from parsel import Selector

from crawler.demosites.content import articles_by_outlet, demo_articles, demo_outlets
from crawler.demosites.render import SiteRenderer
from crawler.extract.encoding import decode_html
from crawler.extract.select import PageIndex, compile_css
from crawler.families import extract
from tests.support.env import CORPUS, ROOT


def pages() -> Iterator[tuple[str, bytes, str]]:
    """(name, bytes, url) of every HTML page at hand."""
    anchor = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    by_outlet = articles_by_outlet(demo_articles(anchor))
    for outlet in demo_outlets():
        site = SiteRenderer(outlet, by_outlet.get(outlet.id, []), "http://127.0.0.1:8000", anchor).render()
        for n, page in enumerate(site):
            if page.content_type.startswith("text/html"):
                yield f"demo/{outlet.id}/{n}", page.body, f"http://127.0.0.1:8000/{outlet.id}/{n}"
    for path in sorted((ROOT / "tests" / "fixtures" / "pages").rglob("*.html")):
        yield f"fixture/{path.parent.name}", path.read_bytes(), "https://news.example.kr/news/articleView.html?idxno=1"
    for path in sorted(CORPUS.rglob("*.html")) if CORPUS.is_dir() else []:
        yield f"corpus/{path.name}", path.read_bytes(), "https://news.example.kr/" + path.name


@pytest.fixture(scope="module")
def asked() -> list[tuple[str, str, str]]:
    """(page name, its text, selector) for every selector the page objects asked."""
    calls: list[tuple[PageIndex, str]] = []
    original = PageIndex.select

    def recording(self: PageIndex, css: str) -> list:  # type: ignore[type-arg]
        calls.append((self, css))
        return original(self, css)

    out: list[tuple[str, str, str]] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(PageIndex, "select", recording)
        for name, body, url in pages():
            calls.clear()
            extract(body, url)
            text = decode_html(body, None)[0]
            out.extend((name, text, css) for css in dict.fromkeys(css for _, css in calls))
    return out


def test_the_page_objects_ask_through_the_index_on_every_family(asked: list[tuple[str, str, str]]) -> None:
    families = {name.split("/")[1] for name, _, _ in asked if name.startswith("demo/")}
    assert len(families) >= 4  # the demo outlets: NDSoft-style ones and the other families
    assert len({css for _, _, css in asked}) >= 20


def test_every_asked_selector_gets_parsels_answer(asked: list[tuple[str, str, str]]) -> None:
    wrong = []
    trees: dict[str, tuple[Selector, PageIndex]] = {}
    for name, text, css in asked:
        if name not in trees:
            sel = Selector(text=text)
            trees = {name: (sel, PageIndex(sel))}  # one page at a time
        sel, index = trees[name]
        expected = [found.root for found in sel.css(css)]
        got = index.select(css)
        if len(got) != len(expected) or any(a is not b for a, b in zip(got, expected, strict=True)):
            wrong.append((name, css, len(got), len(expected)))
    assert not wrong


def test_the_common_selectors_are_answered_by_the_index_not_handed_to_parsel(asked: list[tuple[str, str, str]]) -> None:
    handed_over = sorted({css for _, _, css in asked if compile_css(css) is None})
    assert not handed_over


EDGE_PAGE = """<html><head><title> 제목
  줄바꿈 </title></head><body>
<div class="location outer"><a href="/">홈</a>
  <div class="location"><a href="/a">사회</a><ul><li><a href="/b">지역</a></li></ul></div>
  <a href="/c">끝</a></div>
<ul class="infomation"><li><i class="icon-user-o"></i>홍길동 기자</li><li>입력 2026.11.23 09:00</li>
  <li><ul class="infomation"><li>안쪽</li></ul></li></ul>
<DIV ID="Body" ItemProp="articleBody" class="x&#9;y">본문</DIV>
<p class="a  b">하나</p><p class="b">둘</p><p class="ab">셋</p>
<span itemprop="author">작성자</span><meta itemprop="author" content="메타">
</body></html>"""

EDGE_SELECTORS = [
    ".location a",  # nested containers: descendants once each, in page order
    ".location > a",
    "div.location a, .outer > a, ul li a",  # a union whose parts overlap and interleave
    "ul.infomation > li",  # nested lists of one class: the children of both, in page order
    "ul.infomation > li:has(i.icon-user-o)",
    "li:has(.icon-user-o)",
    "#Body", "div#Body", "#body", "[itemprop=articleBody]", "[ITEMPROP=articleBody]", "[itemprop]",
    "DIV.y", ".x.y", "p.a.b", ".b", ".ab", "p", "*", "span[itemprop='author']", '[itemprop="author"]',
    ".missing a", "#nothing > li", "h1.heading, h3.heading",
    # not answered by the index: parsel's answer is passed through
    "li:nth-child(2)", "a[href^='/']", "p + p", "p ~ p", ".location a:first-child",
]


@pytest.mark.parametrize("css", EDGE_SELECTORS)
def test_edge_cases_match_parsel(css: str) -> None:
    sel = Selector(text=EDGE_PAGE)
    expected = [found.root for found in sel.css(css)]
    got = PageIndex(sel).select(css)
    assert [id(e) for e in got] == [id(e) for e in expected], (
        [e.text for e in got], [e.text for e in expected])


def test_a_long_union_is_merged_in_page_order() -> None:
    # more elements than the per-element path sort handles: the page-numbering sort must agree too
    items = "".join(f'<div class="x"><p><a href="/{n}">{n}</a></p><span class="x"><a>{n}b</a></span></div>'
                    for n in range(40))
    sel = Selector(text=f"<html><body>{items}</body></html>")
    for css in (".x > p a, span.x a", "span a, div > p > a", "div.x, span.x"):
        expected = [found.root for found in sel.css(css)]
        got = PageIndex(sel).select(css)
        assert len(expected) > 32 and [id(e) for e in got] == [id(e) for e in expected]
