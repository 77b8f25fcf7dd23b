"""The record of one CMS family: every part the crawl, extraction, dedupe and detection need."""

from __future__ import annotations

from dataclasses import dataclass

from crawler.dedupe.urls import IdRule
from crawler.extract.detect import Signature
from crawler.extract.page import ArticlePage
from crawler.families.navigator import Navigator


@dataclass(frozen=True)
class Family:
    """One CMS family, declared in one module of this package (see `crawler/families/__init__.py`)."""

    name: str  # as the registry's `family` field spells it
    description: str  # one line for the README's family list
    page: type[ArticlePage]  # reads its article pages
    navigator: type[Navigator]  # finds its feeds, lists and the article links of a list page
    id_rules: tuple[IdRule, ...]  # its article-id URL shapes: stored keys and registry evidence
    signature: Signature | None  # how `detect` recognises its pages; None: it never claims one
    # pages written for this project in its style: cases under tests/fixtures/pages/
    samples: tuple[str, ...]
    # templates of the demo's invented outlets of this family (crawler/demosites/templates/)
    demo_templates: tuple[str, ...] = ()

    @property
    def shapes(self) -> frozenset[str]:
        """The names of its id rules: an evidence URL of the family must have one of them."""
        return frozenset(rule.name for rule in self.id_rules)
