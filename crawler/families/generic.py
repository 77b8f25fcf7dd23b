"""The generic family: any site no other family fits.

Its page object (`crawler/extract/generic.py`) is also every family's fallback, and its navigator
is the base `Navigator`: registry URLs, links read by shape. It has no id rules of its own (the
shapes of CMSs without a family apply to every outlet: `crawler.dedupe.urls.OTHER_ID_RULES`) and
no detection signature: a page is generic when no family claims it.
"""

from __future__ import annotations

from crawler.extract.generic import GenericPage
from crawler.families.base import Family
from crawler.families.navigator import Navigator

FAMILY = Family(
    name="generic",
    description=(
        "everything else: the page's own data (JSON-LD, hydration islands), trafilatura, labelled "
        "dates, htmldate; lists read by the shape of their links"
    ),
    page=GenericPage,
    navigator=Navigator,
    id_rules=(),
    signature=None,
    samples=("generic/future_date", "generic/no_date", "generic/not_html", "generic/truncated"),
)
