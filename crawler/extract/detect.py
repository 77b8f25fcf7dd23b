"""Which CMS family a page belongs to, from its URL shape and DOM markers."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

_URL_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ndsoft", re.compile(r"/news/article(?:View|List)\.html", re.I)),
    # NDSoft's old-style links, still served by outlets that never moved: /?mod=news&act=articleView&idxno=N
    ("ndsoft", re.compile(r"^/(?:index\.(?:html|php))?\?(?=[^#]*\bmod=news\b)(?=[^#]*\bact=article(?:View|List)\b)", re.I)),
    ("gnuboard", re.compile(r"/bbs/(?:board|rss)\.php\?(?:[^#]*&)?bo_table=", re.I)),
    ("mcode", re.compile(r"/news/view\.php\?(?=[^#]*\bidx=\d+)(?=[^#]*\bmcode=)", re.I)),
    ("articleno", re.compile(r"/(?:news|mobile)/article\.html\?(?:[^#]*&)?no=\d+", re.I)),
    # after mcode: a /news/view.php?idx= link without mcode= is the part_idx CMS
    ("partidx", re.compile(r"/news/view\.php\?(?:[^#]*&)?idx=\d+|/index_view_page\.php\?(?:[^#]*&)?idx=\d+", re.I)),
    # this CMS's aid is a 15–19 digit timestamp-based number; a short aid is another CMS
    ("articlephp", re.compile(r"/article\.php\?(?:[^#]*&)?aid=\d{15,}", re.I)),
    ("scrs", re.compile(r"/NewsArticle/\d+/?(?:\?|$)", re.I)),
)
# Literal substrings: a plain `in` test over a 100 KB page costs microseconds, a regex milliseconds.
_MARKERS: dict[str, tuple[str, ...]] = {
    "ndsoft": (
        "article-view-content-div",
        "infomation",
        "articleView.html?idxno=",
        "article-veiw-body",
        "user-container",
        "mod=news&act=articleView",
        "mod=news&amp;act=articleView",
    ),
    "gnuboard": (
        "g5_url",
        "g4_path",
        "bo_v_con",
        "bo_v_title",
        "bo_list",
        "/bbs/board.php?bo_table=",
    ),
    "mcode": ("/news/view.php?idx=", "기사 메일전송", "mcode="),
    "articleno": ("/news/article.html?no=", "news_body_area", "art_info", "art_top", "article_list_all"),
    "partidx": ("index_view_page.php?", "part_idx=", "board_data=", "search_items="),
    "articlephp": ("article.php?aid=", "section.php?section="),
    "scrs": ("/NewsArticle/", "/byReporters/", "scrs.kr"),
}
_MIN_MARKERS = 2


def detect_family(html: str, url: str) -> str:
    """The family of a page and its URL: one of crawler.registry.FAMILIES ("generic" when unsure)."""
    parts = urlsplit(url or "")
    path_and_query = f"{parts.path}?{parts.query}"
    for family, rule in _URL_RULES:
        if rule.search(path_and_query):
            return family
    scores = {
        family: sum(1 for marker in markers if marker in html)
        for family, markers in _MARKERS.items()
    }
    family, score = max(scores.items(), key=lambda item: item[1])
    return family if score >= _MIN_MARKERS else "generic"


# --- a ready-to-paste registry entry (`newswatch outlets detect`) ------------------------------

# list pages of each family, as links of the page show them
_LIST_LINKS: dict[str, re.Pattern[str]] = {
    "ndsoft": re.compile(r"/news/articleList\.html|[?&]act=articleList\b", re.I),
    "gnuboard": re.compile(r"/bbs/board\.php\?(?![^#]*\bwr_id=)[^#]*\bbo_table=", re.I),
    "mcode": re.compile(r"/news/list\.php\?[^#]*\bmcode=", re.I),
    "articleno": re.compile(r"/news/article_list(?:_all)?\.html", re.I),
    "partidx": re.compile(r"/news/list\.php\?(?![^#]*\bmcode=)[^#]*\b(?:board_data|search_items)=", re.I),
    "articlephp": re.compile(r"/section\.php\?[^#]*\bsection=\d+", re.I),
}
_MAX_LISTS = 3
_SECOND_LEVEL = frozenset("co or go ne re pe ac mil hs ms es sc kg com net org".split())


def outlet_id(host: str) -> str:
    """The registry id of a host: the slug of its own domain (`www.kado.net` → `kado`)."""
    labels = [x for x in host.lower().split(".") if x]
    if labels and labels[0] in ("www", "m", "mobile"):
        labels = labels[1:]
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL:  # joongboo.co.kr, nmn.ff.or.kr
        labels = labels[:-2]
    elif len(labels) >= 2:
        labels = labels[:-1]
    slug = re.sub(r"[^a-z0-9-]", "", labels[-1] if labels else "").strip("-")
    return slug or "outlet"


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"


def registry_entry(body: bytes, url: str, *, charset: str | None = None) -> str:
    """A ready-to-paste `[[outlet]]` for the outlet of one page (its URL, or its canonical URL).

    Only what the page shows is filled in: the family, the encoding, the feeds it announces, the
    list pages it links to, the page itself as evidence with the month it was published. The
    name (when the page names no site), region, district and scope are left empty with a comment:
    a field is never guessed."""
    from parsel import Selector

    from ..crawl.discovery import autodiscover_feeds
    from .core import extract
    from .encoding import decode_html
    from .metadata import read_metadata

    text, encoding = decode_html(body, charset)
    meta = read_metadata(Selector(text=text), url)
    page_url = url or meta.canonical_url or ""
    parts = urlsplit(page_url)
    if not parts.hostname:
        raise ValueError("the page gives no URL of its own (no canonical link): pass --url URL too")
    home = f"{parts.scheme}://{parts.netloc}/"
    family = detect_family(text, page_url)
    feeds = autodiscover_feeds(text, page_url)
    pattern = _LIST_LINKS.get(family)
    lists: list[str] = []
    if pattern is not None:
        sel = Selector(text=text)
        for href in sel.css("a::attr(href)").getall():
            absolute = urljoin(page_url, href.strip())
            if urlsplit(absolute).netloc == parts.netloc and pattern.search(absolute) and absolute not in lists:
                lists.append(absolute)
            if len(lists) >= _MAX_LISTS:
                break
    published = extract(text, page_url, family=family).published_at
    name = (meta.site_name or "").strip()
    enc = "" if encoding.lower().replace("-", "") in ("utf8", "ascii") else encoding.lower()
    evidence = f"evidence = [{{url = {_toml_str(page_url)}, seen = "
    evidence += (
        f'"{published:%Y-%m}"}}]' if published else '""}]  # no date on the page: write the month you saw it'
    )
    lines = [
        "[[outlet]]",
        f"id = {_toml_str(outlet_id(parts.hostname))}",
        f"name = {_toml_str(name)}" + ("" if name else "  # not on the page: the outlet's own name"),
        'region = ""  # 시도 from evidence; "" for a national trade paper',
        'district = ""  # 시군구 for a local paper, else ""',
        'scope = ""  # local | regional | trade',
        f"home = {_toml_str(home)}",
        f"family = {_toml_str(family)}",
        f"feeds = {_toml_list(feeds)}",
        f"lists = {_toml_list(lists)}",
        'every = "30m"',
        'render = "http"',
        f"encoding = {_toml_str(enc)}",
        "verified = false",
        evidence,
    ]
    return "\n".join(lines) + "\n"
