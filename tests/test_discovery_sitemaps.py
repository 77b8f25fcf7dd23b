"""News sitemaps found through robots.txt, and feed autodiscovery for outlets without feeds."""

from __future__ import annotations

import gzip

import pytest

from crawler.extract.discovery import (
    NotASitemap,
    autodiscover_feeds,
    feed_date,
    parse_sitemap,
    robots_sitemaps,
)

ROBOTS = b"""User-agent: *
Disallow: /admin/
# the site's maps
Sitemap: https://news.example/sitemap.xml
sitemap: /sitemap_news.xml
Sitemap: https://news.example/sitemap.xml
"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://news.example/sitemap_pages.xml</loc></sitemap>
  <sitemap><loc>https://news.example/sitemap_news_2026.xml</loc><lastmod>2026-01-02</lastmod></sitemap>
</sitemapindex>"""

NEWS = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://news.example/news/articleView.html?idxno=11</loc>
    <news:news><news:publication><news:name>새인천</news:name><news:language>ko</news:language></news:publication>
      <news:publication_date>2026-01-02T09:00:00+09:00</news:publication_date>
      <news:title>구, 의료관광 설명회 참가</news:title></news:news></url>
  <url><loc>/news/articleView.html?idxno=12</loc>
    <news:news><news:publication><news:name>새인천</news:name><news:language>ko</news:language></news:publication>
      <news:publication_date>2026-01-02T11:10:00+09:00</news:publication_date>
      <news:title>러시아어권 코디네이터 팸투어</news:title></news:news></url>
</urlset>""".encode()

PLAIN = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://news.example/news/view.php?idx=3&amp;mcode=m1</loc></url>
  <url><loc>https://news.example/news/view.php?idx=4&amp;mcode=m1</loc></url>
</urlset>"""


def test_robots_sitemap_lines_news_first_deduplicated_and_absolute() -> None:
    assert robots_sitemaps(ROBOTS, "https://news.example/") == [
        "https://news.example/sitemap_news.xml",
        "https://news.example/sitemap.xml",
    ]
    assert robots_sitemaps("User-agent: *\nDisallow:\n", "https://x/") == []


def test_sitemap_index_lists_children_news_first() -> None:
    found = parse_sitemap(INDEX, "https://news.example/sitemap.xml")
    assert found.entries == [] and found.sitemaps[0].endswith("sitemap_news_2026.xml")


def test_news_sitemap_entries_newest_first_with_titles_and_dates() -> None:
    found = parse_sitemap(NEWS, "https://news.example/sitemap_news.xml")
    assert found.is_news and found.sitemaps == []
    assert [e.url.rsplit("=", 1)[1] for e in found.entries] == ["12", "11"]
    assert found.entries[0].title == "러시아어권 코디네이터 팸투어"
    assert feed_date(found.entries[0].modified).isoformat() == "2026-01-02T11:10:00+09:00"


def test_plain_urlset_keeps_document_order_and_gzip_is_read() -> None:
    found = parse_sitemap(gzip.compress(PLAIN), "https://news.example/sitemap.xml.gz")
    assert not found.is_news
    assert [e.url for e in found.entries] == [
        "https://news.example/news/view.php?idx=3&mcode=m1",
        "https://news.example/news/view.php?idx=4&mcode=m1",
    ]


@pytest.mark.parametrize("body", [b"", b"<html><body>404</body></html>", b"\x1f\x8bnot gzip", b"<rss/>"])
def test_not_a_sitemap(body: bytes) -> None:
    with pytest.raises(NotASitemap):
        parse_sitemap(body, "https://x/sitemap.xml")


def test_autodiscovery_takes_rss_and_atom_but_not_other_alternates() -> None:
    html = """<html><head>
      <link rel="alternate" hreflang="en" href="/en/">
      <link rel="alternate" type="application/atom+xml" href="https://x.example/atom.xml">
      <link rel="Alternate  home" type="application/rss+xml" href="/rss/all.xml">
    </head><body></body></html>"""
    assert autodiscover_feeds(html, "https://x.example/") == [
        "https://x.example/atom.xml", "https://x.example/rss/all.xml"]
