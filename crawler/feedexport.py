"""`scrapy crawl <outlet> -O items.jsonl|csv`: one flat row of extracted fields per article.

The pipelines' item (`ArticleRecord`) carries internals — story features, match hit lists — that
are neither JSON nor a CSV cell. These exporters write what a Scrapy user expects instead: the
outlet, the URL, the page's fields (as `newswatch extract` prints them) and the watchlists it
matched, with their scores.
"""

from __future__ import annotations

from typing import Any

from scrapy.exporters import CsvItemExporter, JsonLinesItemExporter

from crawler.types import ArticleRecord


def article_row(item: Any) -> Any:
    """An ArticleRecord as a flat dict (other items pass through unchanged)."""
    if not isinstance(item, ArticleRecord):
        return item
    relevant = [m for m in item.matches if m.relevant]
    return {
        "outlet": item.outlet_id,
        "url": item.canonical_url or item.url,
        **item.extracted.to_json(),
        "matched": ", ".join(m.watchlist for m in relevant),
        "score": max((float(m.score) for m in relevant), default=None),
        "fetched_at": item.fetched_at.isoformat() if item.fetched_at else None,
    }


class ArticleJsonLinesExporter(JsonLinesItemExporter):
    def export_item(self, item: Any) -> None:
        super().export_item(article_row(item))


class ArticleCsvExporter(CsvItemExporter):
    def export_item(self, item: Any) -> None:
        super().export_item(article_row(item))
