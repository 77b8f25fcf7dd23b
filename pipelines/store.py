"""Store: article, story, matches and alerts in one transaction (crawler.store.ingest), in the
crawl's writer process (crawler/crawl/writer.py)."""

from __future__ import annotations

from crawler.crawl.writer import StoreFailed
from crawler.types import ArticleRecord
from pipelines.base import Pipeline


class StorePipeline(Pipeline):
    async def process_item(self, item: ArticleRecord) -> ArticleRecord:
        try:
            result = await self.ctx.writer.store(item)
        except StoreFailed as exc:
            # an outlet error: its feed validators are not saved, so the next run reads it again
            self.ctx.tally[item.outlet_id].errors += 1
            self.ctx.count(item.outlet_id, "errors/store")
            raise StoreFailed(f"{item.outlet_id}: {item.url}: not stored ({exc}); the next run fetches "
                              "it again") from exc
        item.outcome = {"status": result.status, "article_id": result.article_id, "story_id": result.story_id,
                        "matched": result.matched, "alerts": result.alerts}
        tally = self.ctx.tally[item.outlet_id]
        if result.status == "new":
            tally.new += 1
        elif result.status == "updated":
            tally.updated += 1
        tally.matches += len(result.matched)
        self.ctx.count(item.outlet_id, f"articles/{result.status}")
        if result.matched:
            self.ctx.count(item.outlet_id, "matches", len(result.matched))
        return item
