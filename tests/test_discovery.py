"""Discovery: feeds (RSS 2.0, Atom, autodiscovery) and list pages, parsed before any article is fetched."""

from __future__ import annotations

import pytest

from crawler.extract.discovery import (
    NotAFeed,
    autodiscover_feeds,
    feed_date,
    list_links,
    parse_feed,
)

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>시민일보</title>
<item><title>구, 의료관광 설명회 참가</title><link>https://news.example/news/articleView.html?idxno=12</link>
<pubDate>Fri, 02 Jan 2026 11:10:00 +0900</pubDate></item>
<item><title>guid only</title><guid>https://news.example/news/articleView.html?idxno=11</guid></item>
<item><title>relative</title><link>/news/articleView.html?idxno=10</link></item>
</channel></rss>""".encode()

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><title>A</title><link rel="alternate" href="https://a.example/1"/><updated>2026-01-02T02:10:00Z</updated></entry>
</feed>"""


def test_rss_entries_in_order_with_dates_and_relative_links() -> None:
    entries = parse_feed(RSS, "https://news.example/rss/allArticle.xml")
    assert [e.url.rsplit("=", 1)[1] for e in entries] == ["12", "11", "10"]
    assert entries[0].title == "구, 의료관광 설명회 참가"
    assert feed_date(entries[0].modified).isoformat() == "2026-01-02T11:10:00+09:00"


def test_atom() -> None:
    (entry,) = parse_feed(ATOM, "https://a.example/feed")
    assert entry.url == "https://a.example/1" and feed_date(entry.modified).utcoffset().total_seconds() == 0


@pytest.mark.parametrize("body", [b"", b"<html><body>Not found</body></html>", b"\x00\x01garbage"])
def test_not_a_feed(body: bytes) -> None:
    with pytest.raises(NotAFeed):
        parse_feed(body, "https://x/")


def test_autodiscovery() -> None:
    html = '<html><head><link rel="alternate" type="application/rss+xml" href="/rss/allArticle.xml"></head></html>'
    assert autodiscover_feeds(html, "https://x.example/") == ["https://x.example/rss/allArticle.xml"]


def test_list_links_one_per_item() -> None:
    html = """<div id="section-list"><ul>
      <li><h4 class="titles"><a href="/news/articleView.html?idxno=5">의료관광 팸투어</a></h4><span class="byline"><em>2026.01.02 11:10</em></span></li>
      <li><h4 class="titles"><a href="/news/articleView.html?idxno=4">축제</a></h4></li>
    </ul></div>"""
    entries = list_links(html, "https://x.example/news/articleList.html", "#section-list > ul > li", ".titles a", ".byline em")
    assert [(e.url[-1], e.title, e.modified) for e in entries] == [("5", "의료관광 팸투어", "2026.01.02 11:10"), ("4", "축제", "")]
