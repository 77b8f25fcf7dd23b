"""Per-family navigators: feeds, sitemaps, lists, in the documented order."""

from __future__ import annotations

from crawler.families import ID_RULES
from crawler.families.articleno import ArticleNoNavigator
from crawler.families.mcode import McodeNavigator
from crawler.families.ndsoft import NdsoftNavigator
from crawler.registry import Outlet
from spiders.navigators import navigator_for


def outlet(**extra: object) -> Outlet:
    values: dict[str, object] = {"id": "x", "name": "x", "region": "서울", "home": "https://news.example/",
                                 "family": "generic"}
    values.update(extra)
    return Outlet(**values)


ROBOTS = b"User-agent: *\nSitemap: https://news.example/sitemap.xml\nSitemap: https://news.example/news_sitemap.xml\n"


def test_registry_sitemaps_win_over_robots() -> None:
    nav = navigator_for(outlet(sitemaps=["https://news.example/my.xml"]))
    assert nav.sitemaps(ROBOTS) == ["https://news.example/my.xml"]


def test_robots_sitemaps_news_first_and_none_without_robots() -> None:
    nav = navigator_for(outlet())
    assert nav.sitemaps(ROBOTS) == ["https://news.example/news_sitemap.xml", "https://news.example/sitemap.xml"]
    assert nav.sitemaps(None) == []


def test_strategies_in_order() -> None:
    assert navigator_for(outlet(family="ndsoft")).strategies() == ["feeds", "sitemaps", "lists"]
    assert navigator_for(outlet()).strategies() == ["sitemaps", "lists"]


def test_home_feeds_only_without_registry_feeds() -> None:
    html = '<html><head><link rel="alternate" type="application/rss+xml" href="/rss/all.xml"></head></html>'
    assert navigator_for(outlet()).home_feeds(html, "https://news.example/") == ["https://news.example/rss/all.xml"]
    assert navigator_for(outlet(feeds=["https://news.example/f.xml"])).home_feeds(html, "https://news.example/") == []


def test_family_navigators() -> None:
    assert isinstance(navigator_for(outlet(family="ndsoft")), NdsoftNavigator)
    assert isinstance(navigator_for(outlet(family="mcode")), McodeNavigator)
    nav = ArticleNoNavigator(outlet(), ID_RULES)
    assert nav.lists() == ["https://news.example/news/article_list_all.html"]
    assert nav.is_article_url("https://news.example/news/article.html?no=402117")


def test_mcode_lists_read_article_links_only() -> None:
    nav = navigator_for(outlet(family="mcode", lists=["https://news.example/news/list.php?mcode=m1"]))
    html = """<ul><li><a href="/news/view.php?idx=58211&amp;mcode=m1">의료관광</a></li>
      <li><a href="/news/list.php?mcode=m1&amp;page=2">2</a></li></ul>"""
    entries = nav.list_entries(html, "https://news.example/news/list.php?mcode=m1")
    assert [e.url for e in entries] == ["https://news.example/news/view.php?idx=58211&mcode=m1"]
    assert nav.page_url(nav.lists()[0], 2).endswith("mcode=m1&page=2")
