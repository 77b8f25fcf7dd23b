"""Per-family navigation: where an outlet's feeds and lists are, and how to read a list page.

A spider navigates; page objects read articles. One navigator per CMS family, declared in the
family's module (crawler/families/), on the base `crawler.families.navigator.Navigator`; an
outlet's registry entry (feeds, sitemaps, lists) always wins over the family's defaults.

Discovery strategies, per outlet, in this order (`Navigator.strategies()`):

1. **feeds** — the registry's `feeds`, else the family's default feed paths (NDSoft
   `/rss/allArticle.xml`, gnuboard `/bbs/rss.php?bo_table=` of each listed board). One
   conditional GET per feed per tick: an idle tick costs one request (a 304).
2. **sitemaps** — only when there is no feed or the feed failed (not a feed, 4xx/5xx): the
   registry's `sitemaps`, else the `Sitemap:` lines of the outlet's robots.txt, which the robots
   middleware has already fetched and cached (no extra request). News sitemaps first; a sitemap
   index is followed to at most `MAX_CHILD_SITEMAPS` children.
3. **lists** — the registry's `lists`, else the family's default list pages, else the home
   page; paged with `page_param` until a page has nothing new. When the home page serves as the
   list and yields no article link, the feeds it announces (`<link rel="alternate">`) are read
   instead (`home_feeds`) — no request beyond the home page itself.

`newswatch outlets check --write` runs the same discovery once (robots.txt, feed autodiscovery on
the home page) so that what it found can be written into the registry.
"""

from __future__ import annotations

from crawler.families import ID_RULES, family
from crawler.families.navigator import Navigator
from crawler.registry import Outlet

__all__ = ["Navigator", "navigator_for"]


def navigator_for(outlet: Outlet) -> Navigator:
    """The navigator of the outlet's family (generic for an unknown one)."""
    return family(outlet.family).navigator(outlet, ID_RULES)
