"""The Scrapy project as newswatch runs it: the `settings` package with per-run overrides, the
download handlers that render JS outlets, and a garbage collector that does not stall the reactor."""

from __future__ import annotations

import gc
import os
from typing import Any

from scrapy.utils.project import get_project_settings


def project_settings(overrides: dict[str, Any] | None = None) -> Any:
    """The Scrapy settings of the `settings` package, with per-run overrides."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "settings")
    settings = get_project_settings()
    _compress_waits(settings)
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


# the politeness waits between requests to one outlet (AutoThrottle's first delay is 1 s each crawl)
WAITS = ("DOWNLOAD_DELAY", "AUTOTHROTTLE_START_DELAY", "AUTOTHROTTLE_MAX_DELAY")


def _compress_waits(settings: Any) -> None:
    """Under the freshness bench's compressed time (NEWSWATCH_SCHEDULE_TIME_SCALE=F) a wait between
    requests is time like any other: F times shorter, so that a 1-s politeness delay counts one
    simulated second, not F. The crawl's own work is not compressed (it cannot be)."""
    # start-up time: the settings are read when a crawl starts, not when the module is imported
    from crawler.schedule.simclock import from_env

    clock = from_env()
    if clock is None:
        return
    for key in WAITS:
        settings.set(key, settings.getfloat(key) / clock.scale, priority=settings.getpriority(key) or "project")


# a full collection after this many middle-generation ones (Python's default: 10)
FULL_GC_EVERY = 100


def quiet_collector() -> None:
    """Keep the cyclic garbage collector from stalling the reactor's process.

    A crawl holds ~200k long-lived objects that every full collection walks (~120 ms each) to free
    almost nothing; what exists at start is frozen out of collection, and a full collection waits
    for 100 middle ones instead of 10. Young garbage is collected as before.
    """
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_GC_EVERY)


PLAYWRIGHT_HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"


def js_handlers() -> dict[str, Any]:
    """The DOWNLOAD_HANDLERS that render JS; requests without `meta["playwright"]` stay plain HTTP."""
    return {"DOWNLOAD_HANDLERS": {"http": PLAYWRIGHT_HANDLER, "https": PLAYWRIGHT_HANDLER}}
