"""Normalize: clean text, URL keys; drop non-articles with the reason."""

from __future__ import annotations

from crawler.extract.cleanup import Rejected
from crawler.types import ArticleRecord
from pipelines.base import Pipeline


class NormalizePipeline(Pipeline):
    async def process_item(self, item: ArticleRecord) -> ArticleRecord:
        outlet = self.ctx.registry.get(item.outlet_id)
        try:
            return await self.ctx.cpu.clean(item, outlet.home if outlet else None)
        except Rejected as exc:
            key = str(exc).split(" (")[0].replace(" ", "_")
            raise self.drop(item, str(exc), key) from None
