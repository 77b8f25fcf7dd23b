"""A spider loader that makes one named spider per registry outlet, when Scrapy asks (not at import)."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.settings import BaseSettings

from crawler.crawl.project import js_handlers
from crawler.registry import load_registry
from spiders.base import OutletSpider


class RegistrySpiderLoader:
    """`scrapy list` = the registry's outlet ids (plus `newswatch`, all outlets in one spider)."""

    def __init__(self, settings: BaseSettings) -> None:
        self._file = settings.get("NEWSWATCH_OUTLETS_FILE") or None
        self._outlets: dict[str, Any] | None = None

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RegistrySpiderLoader:
        return cls(settings)

    def _registry(self) -> dict[str, Any]:
        if self._outlets is None:
            self._outlets = load_registry(Path(self._file) if self._file else None).by_id()
        return self._outlets

    def load(self, spider_name: str) -> type[Spider]:
        if spider_name == OutletSpider.name:
            return OutletSpider
        outlet = self._registry().get(spider_name)
        if outlet is None:
            raise KeyError(f"Spider not found: {spider_name}")
        return type(f"{outlet.id.title().replace('-', '')}Spider", (OutletSpider,), {
            "name": outlet.id, "outlet_ids": (outlet.id,), "__module__": "spiders.base",
            "custom_settings": _render_settings(outlet.render),
        })

    def list(self) -> list[str]:
        return sorted(self._registry())

    def find_by_request(self, request: Request) -> builtins.list[str]:
        host = urlsplit(request.url).netloc
        return [o.id for o in self._registry().values() if urlsplit(o.home).netloc == host]


def _render_settings(render: str) -> dict[str, Any]:
    """Only JS outlets get scrapy-playwright's handler (it starts a browser driver per crawler)."""
    return js_handlers() if render == "js" else {}
