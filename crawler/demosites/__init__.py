"""Local news sites for the demo, the tests and the benchmarks.

`SiteServer` serves fictional outlets of the common Korean CMS families (NDSoft, gnuboard) on
127.0.0.1, one port per outlet; `content.demo_articles(anchor)` tells tests what each article
is (reference, relevant, hard negative, syndicated story) and `article_url` where it lives.
"""

from __future__ import annotations

from crawler.demosites.content import (
    DemoArticle,
    Outlet,
    article_url,
    demo_articles,
    demo_outlets,
    parse_anchor,
)
from crawler.demosites.faults import Fault, FaultKind, parse_fault
from crawler.demosites.scale import scale_outlets
from crawler.demosites.server import SiteServer

__all__ = [
    "DemoArticle",
    "Fault",
    "FaultKind",
    "Outlet",
    "SiteServer",
    "article_url",
    "demo_articles",
    "demo_outlets",
    "parse_anchor",
    "parse_fault",
    "scale_outlets",
]
