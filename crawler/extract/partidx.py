"""The `part_idx` CMS: `/news/view.php?idx=<int>` (no mcode) and `/default/index_view_page.php?idx=&part_idx=`.

Used by local papers, mostly of 대구·경북 and 경남 (dgy, kbsm, ksmnews, ysnews, gjnews, icnnews,
kimcheon … in the registry's evidence). The same outlet has served both URL shapes (kbsm:
`/default/index_view_page.php?idx=…&part_idx=320`, later `/news/view.php?idx=…`), and both
generations page their lists with base64 arguments naming the section by `part_idx`
(`/news/list.php?board_data=…&search_items=<base64 "part_idx=331&…">`). It is not the mcode
CMS: that one's lists are `/news/list.php?mcode=`, and its articles carry `mcode=`.
"""

from __future__ import annotations

import re

from .landmarks import LandmarkPage

ARTICLE_URL = re.compile(
    r"/news/view\.php\?(?![^#]*\bmcode=)[^#]*\bidx=\d+|/index_view_page\.php\?[^#]*\bidx=\d+", re.I
)


class PartIdxPage(LandmarkPage):
    """An article of the `part_idx` CMS."""

    family = "partidx"
    title_css = (".article_head h1", ".view_title h1", ".news_title h1", "h1.title", ".view_tit", "#article_title")
    subtitle_css = (".article_head h2", ".view_title h2", ".news_title h2", ".sub_title", ".view_stit")
    info_css = (".article_info li", ".view_info li", ".news_info li", ".article_info", ".view_info", ".writer_info")
    body_css = ("#news_body_area", "#article_body", "#articleBody", ".view_con", ".news_text", "[itemprop=articleBody]")
    section_css = (".article_head .section", ".view_title .cate", ".location .on")

    def is_article_url(self, url: str) -> bool:
        return bool(ARTICLE_URL.search(url))
