"""The item that travels from a spider through the pipelines (a plain dataclass, see crawler.types)."""

from __future__ import annotations

from crawler.types import ArticleRecord as ArticleItem

__all__ = ["ArticleItem"]
