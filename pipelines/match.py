"""Match: every watchlist against the article's own text (title, subtitle, body — never page chrome)."""

from __future__ import annotations

from crawler.types import ArticleRecord
from pipelines.base import Pipeline


class MatchPipeline(Pipeline):
    async def process_item(self, item: ArticleRecord) -> ArticleRecord:
        ex = item.extracted
        item.matches = await self.ctx.cpu.match(ex.title or "", ex.body, ex.subtitle or "")
        return item
