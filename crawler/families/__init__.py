"""CMS families: one module each (`ndsoft.py` … `generic.py`), declaring its `Family` record.

Adding a family is adding its module and its name to `crawler.registry.FAMILIES`, whose order
`RECORDS` keeps (tests/test_families.py checks that every part is there). The order matters:
detection tries URL shapes family by family (mcode's before partidx's), and the article-id table
keeps the families' rules in this order, ahead of the shapes of CMSs that have no family.

The lower layers (extract, dedupe, registry) hold the shared machinery and take the family data
as arguments; the functions here pass it for the rest of the code.
"""

from __future__ import annotations

import importlib
from datetime import datetime

from crawler.dedupe import urls
from crawler.dedupe.urls import OTHER_ID_RULES, IdRule
from crawler.extract import core, detect
from crawler.extract.detect import Signature
from crawler.extract.page import ArticlePage
from crawler.families.base import Family
from crawler.registry import FAMILIES, Registry
from crawler.types import Extracted

RECORDS: tuple[Family, ...] = tuple(
    importlib.import_module(f"{__name__}.{name}").FAMILY for name in FAMILIES
)
BY_NAME: dict[str, Family] = {f.name: f for f in RECORDS}
PAGE_OBJECTS: dict[str, type[ArticlePage]] = {f.name: f.page for f in RECORDS}
SIGNATURES: dict[str, Signature] = {f.name: f.signature for f in RECORDS if f.signature is not None}
# every family's rules (one copy of a rule two families share), then other CMSs' shapes
ID_RULES: tuple[IdRule, ...] = (
    *dict.fromkeys(rule for f in RECORDS for rule in f.id_rules),
    *OTHER_ID_RULES,
)


def family(name: str) -> Family:
    """The record of a family; unknown names get the generic one."""
    return BY_NAME.get(name, BY_NAME["generic"])


def page_object(name: str) -> type[ArticlePage]:
    """The page-object class of a family; unknown families get the generic one."""
    return family(name).page


def detect_family(html: str, url: str) -> str:
    """The family of a page and its URL ("generic" when no family's signature fits)."""
    return detect.detect_family(html, url, SIGNATURES)


def extract(
    html: bytes | str,
    url: str,
    *,
    family: str | None = None,
    charset: str | None = None,
    now: datetime | None = None,
) -> Extracted:
    """Extract one page (`crawler.extract.core.extract`); `family` None → detected."""
    return core.extract(
        html, url, page_objects=PAGE_OBJECTS, signatures=SIGNATURES,
        family=family, charset=charset, now=now,
    )  # fmt: skip


def article_id(url: str, family: str | None = None) -> tuple[str, str] | None:
    """(shape name, id) when the URL names an article id by any family's or known CMS's rule."""
    return urls.article_id(url, family, rules=ID_RULES)


def article_key(url: str, family: str | None = None) -> str:
    """The "already stored?" identity of a URL (`crawler.dedupe.urls.article_key`)."""
    return urls.article_key(url, family, rules=ID_RULES)


def evidence_problem(name: str, url: str) -> str | None:
    """Why an evidence URL does not fit an outlet's family, or None; a family without id rules
    (generic) fits any article URL."""
    rules = family(name).id_rules
    if not rules:
        return None
    found = article_id(url, name)
    if found is not None and found[0] in family(name).shapes:
        return None
    shape = found[0] if found else "no known article-id shape"
    return (
        f"evidence {url} ({shape}) does not match family {name!r}: "
        f"fix the family (e.g. 'generic') or give an article URL of that family"
    )


def registry_warnings(registry: Registry) -> list[str]:
    """Every entry's warnings (`Registry.warnings`), evidence checked against the families."""
    return registry.warnings(evidence_problem)


def readme_family_list() -> str:
    """The README's family list (between its `families:` markers), one line per record."""
    return "\n".join(f"- `{f.name}`: {f.description}" for f in RECORDS)


__all__ = [
    "BY_NAME",
    "ID_RULES",
    "PAGE_OBJECTS",
    "RECORDS",
    "SIGNATURES",
    "Family",
    "article_id",
    "article_key",
    "detect_family",
    "evidence_problem",
    "extract",
    "family",
    "page_object",
    "readme_family_list",
    "registry_warnings",
]
