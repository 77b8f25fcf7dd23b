"""The `/article.php?aid=<timestamp-like int>` CMS of 광주·전남 and 제주 dailies.

Seen in the registry's evidence for 광주일보 (kwangju), 광남일보 (gwangnam), 광주매일신문 (kjdaily),
한라일보 (ihalla) and 우리군민신문 (yhnews); mobile/image hosts (`m.`, `imgm.`) serve the same
`aid`. Pages are often EUC-KR. The visible order, from stored pages: the title, a bare date line
"YYYY년 MM월 DD일(요) HH:MM" followed by the font-size buttons ("가가"), subtitle lines, the
body, and a closing byline "/<place>=<name> 기자 <email>". Lists are `/section.php?section=<n>`
paged with `&page=<n>`.
"""

from __future__ import annotations

import re

from crawler.dedupe.urls import IdRule
from crawler.extract.authors import clean_authors
from crawler.extract.detect import Signature
from crawler.extract.landmarks import LandmarkPage
from crawler.extract.page import PageKind, field
from crawler.extract.text import TITLES
from crawler.families.base import Family
from crawler.families.navigator import ShapeNavigator

ARTICLE_URL = re.compile(r"/article\.php\?[^#]*\baid=\d{15,}", re.I)  # a timestamp-based id
_LIST_URL = re.compile(r"/section\.php(?:\?|$)", re.I)
# the closing byline: "/함평=홍길동 기자 hong@…" or "/홍길동 기자"
_CLOSING_BYLINE = re.compile(r"^/(?:[가-힣·]{1,10}=)?\s*([가-힣]{2,4})\s*" + TITLES)


class ArticlePhpPage(LandmarkPage):
    """An article of the `/article.php?aid=` CMS."""

    family = "articlephp"
    title_css = (".article_title h1", ".view_title", ".news_title", "#article_title", ".title_area h1", "h1.tit")
    subtitle_css = (".article_subtitle", ".sub_title", ".view_subtitle", ".title_area h2")
    info_css = (".article_date", ".view_date", ".news_date", ".title_area .date", ".date_info")
    body_css = ("#joinskmbox", ".article_txt", "#article_txt", "#articleBody", ".news_body", "[itemprop=articleBody]")
    section_css = (".article_section", ".section_title", ".location .on")

    def is_article_url(self, url: str) -> bool:
        return bool(ARTICLE_URL.search(url))

    def kind(self) -> PageKind:
        if not self.is_article_url(self.url) and _LIST_URL.search(self.url):
            return PageKind.LIST  # section.php is this CMS's list, a shape url_kind does not know
        return super().kind()

    @field
    def authors(self) -> list[str]:
        found = super().authors
        if found:
            return found
        body = self.body_element
        lines = [line.strip() for line in (body.itertext() if body is not None else ())]
        for line in reversed([x for x in lines if x]):
            match = _CLOSING_BYLINE.match(line)
            if match:
                return clean_authors([match.group(0).lstrip("/").split("=")[-1]])
        return []


class ArticlePhpNavigator(ShapeNavigator):
    """/article.php?aid=<int>: lists /section.php?section=<n>, paged with &page=<n>."""

    family = "articlephp"

    def has_article_id(self, url: str) -> bool:
        return bool(ARTICLE_URL.search(url)) and super().has_article_id(url)


# any aid, as before the family existed: a short aid is another CMS, but its key stays
ID_RULES = (IdRule("article.php", re.compile(r"/(?:article|print)\.php$", re.I), ("aid",)),)

SIGNATURE = Signature(
    # this CMS's aid is a 15–19 digit timestamp-based number; a short aid is another CMS
    urls=(re.compile(r"/article\.php\?(?:[^#]*&)?aid=\d{15,}", re.I),),
    markers=("article.php?aid=", "section.php?section="),
    list_links=re.compile(r"/section\.php\?[^#]*\bsection=\d+", re.I),
)

FAMILY = Family(
    name="articlephp",
    description=(
        "`/article.php?aid=<15–19-digit id>`; lists `/section.php?section=N&page=N`; often EUC-KR "
        "— 광주일보, 광남일보, 광주매일신문, 한라일보, 우리군민신문"
    ),
    page=ArticlePhpPage,
    navigator=ArticlePhpNavigator,
    id_rules=ID_RULES,
    signature=SIGNATURE,
    samples=("articlephp/article",),
)
