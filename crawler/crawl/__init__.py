"""The Scrapy-facing framework pieces: middlewares, extensions, the crawl runner."""
