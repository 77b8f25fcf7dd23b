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
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


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
