"""Scrapy settings for newswatch (`[settings] default = settings` in scrapy.cfg).

Grouped by concern; each group says why it differs from Scrapy's defaults. Deployment-specific
values come from the process's settings object (crawler/config.py, NEWSWATCH_* variables); the
NEWSWATCH_* Scrapy settings are generated from it at the end (`-s NAME=…` still overrides them).
"""

from __future__ import annotations

from crawler import __version__
from crawler.config import settings as _settings

_env = _settings()

BOT_NAME = "newswatch"
SPIDER_LOADER_CLASS = "spiders.loader.RegistrySpiderLoader"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = _env.log_level
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19 starts an HTTP server that runs Python sent to it (token in a job file under the
# user's state directory): nothing in a crawl or worker may listen like that
REMOTE_CONTROL_ENABLED = False

# --- Politeness (DESIGN.md): robots obeyed (off in Scrapy by default) and cached between runs,
# AutoThrottle, 1-2 concurrent requests per outlet, an honest User-Agent, retries with backoff.
ROBOTSTXT_OBEY = True
USER_AGENT = f"newswatch/{__version__} (+{_env.contact or 'https://github.com/newswatch; set NEWSWATCH_CONTACT'})"
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 2  # applies per download slot, and every outlet has its own slot
DOWNLOAD_DELAY = 0.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024  # a page-size cap: no real article is near this
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False  # news pages need none; also keeps tldextract off the network
HTTPERROR_ALLOWED_CODES = [304]

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.crawl.middlewares.CachedRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.crawl.middlewares.BackoffRetryMiddleware": 550,
    "crawler.crawl.middlewares.OutletStatsMiddleware": 950,
}
EXTENSIONS = {
    "crawler.crawl.extensions.SentryErrors": 100,  # off without SENTRY_DSN
    "crawler.crawl.extensions.RunRecorder": 500,
    "crawler.crawl.progress.CrawlProgress": 900,  # only on a terminal (NEWSWATCH_PROGRESS)
}
ITEM_PIPELINES = {
    "pipelines.normalize.NormalizePipeline": 100,
    "pipelines.dedupe.DedupePipeline": 200,
    "pipelines.match.MatchPipeline": 300,
    "pipelines.store.StorePipeline": 400,
}

# --- newswatch behaviour: per-run switches (set by `newswatch crawl` flags); the configurable
# NEWSWATCH_* settings (list paging, robots cache, retry backoff, revisits, progress) come last
NEWSWATCH_SEED = False  # store and match without alerting (`newswatch crawl --seed`)
NEWSWATCH_RECRAWL = False  # fetch stored URLs again on purpose (`newswatch crawl --recrawl`)
NEWSWATCH_SINCE = ""  # backfill bound, ISO date

# JS rendering is switched on per outlet (render = "js") by the spider's own custom settings.
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": "/usr/bin/chromium",
    "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run"],
}

# Scrapy starts this many asyncio workers for every callback's output; an article callback
# yields one item, and parallelism comes from concurrent responses, not from one response.
CONCURRENT_ITEMS = 8

FEED_EXPORT_ENCODING = "utf-8"
# `scrapy crawl <outlet> -O items.jsonl|csv`: the extracted fields, one flat row per article
FEED_EXPORTERS = {"jsonlines": "crawler.feedexport.ArticleJsonLinesExporter",
                  "jsonl": "crawler.feedexport.ArticleJsonLinesExporter",
                  "csv": "crawler.feedexport.ArticleCsvExporter"}

# NEWSWATCH_MAX_LIST_PAGES, _ROBOTS_MAX_AGE_HOURS, _RETRY_BACKOFF_BASE, _REVISIT_MAX_AGE_HOURS,
# _REVISIT_EVERY_HOURS, _REVISITS_PER_OUTLET, _PROGRESS, _PROGRESS_INTERVAL (described in crawler/config.py)
globals().update(_env.scrapy_settings())
