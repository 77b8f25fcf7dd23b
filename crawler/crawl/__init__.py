"""The Scrapy-facing framework pieces: discovery parsing, middlewares, extensions, the crawl runner."""
