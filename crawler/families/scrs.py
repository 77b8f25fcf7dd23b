"""The regional-MBC news CMS (`scrs`): `/NewsArticle/<int>`.

Served by 대구MBC (dgmbc.com, also dgmbc.scrs.kr), 목포MBC, 울산MBC, 여수MBC in the registry's
evidence. Lists are one path per section with the page number as the last segment
(`/Social/12`, `/byReporters/author/<email>/128`); list entries show the title, a teaser, then
"<reporter> YYYY년 MM월 DD일". Article pages end with the station's copyright line.
"""

from __future__ import annotations

import re

from crawler.dedupe.urls import IdRule
from crawler.extract.detect import Signature
from crawler.extract.landmarks import LandmarkPage
from crawler.families.base import Family
from crawler.families.navigator import ShapeNavigator

ARTICLE_URL = re.compile(r"/NewsArticle/\d+/?(?:[?#]|$)", re.I)


class ScrsPage(LandmarkPage):
    """An article of the regional-MBC `/NewsArticle/<n>` CMS."""

    family = "scrs"
    title_css = (".news-title h1", ".article-title", ".view-title h1", ".news_view h1", "h1.title")
    subtitle_css = (".news-subtitle", ".article-subtitle", ".view-subtitle")
    info_css = (".news-info li", ".article-info li", ".view-info li", ".news-info", ".article-info")
    body_css = (".news-content", ".article-content", ".view-content", "#newsContent", "[itemprop=articleBody]")
    section_css = (".news-category", ".article-category", ".view-category")

    def is_article_url(self, url: str) -> bool:
        return bool(ARTICLE_URL.search(url))


class ScrsNavigator(ShapeNavigator):
    """Regional MBC /NewsArticle/<int>: lists are section paths (/Social/<page>), no feed known."""

    family = "scrs"

    def has_article_id(self, url: str) -> bool:
        return bool(ARTICLE_URL.search(url)) and super().has_article_id(url)


ID_RULES = (IdRule("NewsArticle", re.compile(r"/newsarticle/(\d+)/?$", re.I)),)

SIGNATURE = Signature(
    urls=(re.compile(r"/NewsArticle/\d+/?(?:\?|$)", re.I),),
    markers=("/NewsArticle/", "/byReporters/", "scrs.kr"),
)

FAMILY = Family(
    name="scrs",
    description="regional MBC `/NewsArticle/N` — 대구, 광주, 목포, 울산, 여수",
    page=ScrsPage,
    navigator=ScrsNavigator,
    id_rules=ID_RULES,
    signature=SIGNATURE,
    samples=("scrs/article",),
)
