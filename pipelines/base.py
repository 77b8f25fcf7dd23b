"""What every newswatch pipeline shares: the crawl context and per-outlet drop accounting."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem

from crawler.crawl.context import CrawlContext
from crawler.types import ArticleRecord


class Pipeline:
    def __init__(self, ctx: CrawlContext) -> None:
        self.ctx = ctx

    @classmethod
    def from_crawler(cls, crawler: Any) -> Pipeline:
        return cls(CrawlContext.of(crawler))

    def drop(self, item: ArticleRecord, reason: str, key: str) -> DropItem:
        """A DropItem carrying its reason, counted per outlet under dropped/<key>."""
        self.ctx.tally[item.outlet_id].dropped[key] += 1
        self.ctx.count(item.outlet_id, f"dropped/{key}")
        return DropItem(f"{item.outlet_id}: {item.url}: {reason}")
