"""Store: article, story, matches and alerts in one transaction (crawler.store.ingest)."""

from __future__ import annotations

from crawler.crawl.context import CrawlContext
from crawler.store.ingest import StoryCache, ingest
from crawler.types import ArticleRecord
from pipelines.base import Pipeline


class StorePipeline(Pipeline):
    def __init__(self, ctx: CrawlContext) -> None:
        super().__init__(ctx)
        self.stories = StoryCache()

    def process_item(self, item: ArticleRecord) -> ArticleRecord:
        with self.ctx.db.session() as s:
            result = ingest(s, item, recipients=self.ctx.recipients, seed=self.ctx.seed, cache=self.stories)
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
