"""Every family of the registry schema is one module with all its parts, and the parts agree:
its page object reads its sample pages, detection recognises them, its id rules name their
articles, its navigator drives its outlets, and the README lists it."""

from __future__ import annotations

import importlib
import json
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from parsel import Selector

from crawler.dedupe import urls
from crawler.demosites import content as demo
from crawler.demosites.render import TEMPLATES_DIR, SiteRenderer
from crawler.extract.core import not_html_reason
from crawler.extract.encoding import decode_html
from crawler.extract.page import ArticlePage, PageKind
from crawler.families import BY_NAME, RECORDS, Family, article_id, detect_family, readme_family_list
from crawler.families.navigator import Navigator
from crawler.registry import FAMILIES, Outlet
from spiders.navigators import navigator_for

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "tests" / "fixtures" / "pages"
PACKAGE = ROOT / "crawler" / "families"
SHARED_MODULES = {"__init__", "base", "navigator", "entry"}  # the machinery, not a family
NOW = datetime.fromisoformat("2026-01-02T12:00:00+09:00")


def record(name: str) -> Family:
    """The family's record as its own module declares it."""
    return importlib.import_module(f"crawler.families.{name}").FAMILY


def spec(case: str) -> dict[str, Any]:
    return json.loads((PAGES / case / "expected.json").read_text(encoding="utf-8"))


def page_text(case: str) -> str:
    return decode_html((PAGES / case / "page.html").read_bytes(), None)[0]


SAMPLES = [(f.name, case) for f in RECORDS for case in f.samples]
ARTICLE_SAMPLES = [(name, case) for name, case in SAMPLES if spec(case)["output"]["is_article"]]
# home and list pages (a sample that is no HTML at all is rejected before any page object)
OTHER_SAMPLES = [s for s in SAMPLES if s not in ARTICLE_SAMPLES and not_html_reason(page_text(s[1])) is None]


def test_the_registry_schema_and_the_family_modules_agree() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")} - SHARED_MODULES
    assert modules == set(FAMILIES)
    assert tuple(f.name for f in RECORDS) == FAMILIES  # the order detection and id rules rely on
    assert FAMILIES[-1] == "generic"  # the last resort, tried after every family


@pytest.mark.parametrize("name", FAMILIES)
def test_every_family_has_every_part(name: str) -> None:
    """A family without one of its parts would be crawled as generic in one place and as itself in
    another."""
    family = record(name)
    assert BY_NAME[name] is family and family.name == name
    assert issubclass(family.page, ArticlePage) and family.page.family == name
    assert issubclass(family.navigator, Navigator) and family.navigator.family == name
    assert family.description and "\n" not in family.description
    assert family.samples
    if name == "generic":  # fits any site: no URL shape of its own, and it claims no page
        assert family.id_rules == () and family.signature is None
    else:
        assert family.id_rules and family.signature is not None
        assert family.signature.urls and len(family.signature.markers) >= 2


@pytest.mark.parametrize("name", FAMILIES)
def test_the_samples_are_the_fixture_pages_the_family_reads(name: str) -> None:
    """Every fixture page of the family is a sample, except one that shows the fallback (a skin
    its page object does not know: extracted as generic)."""
    cases = {p.parent.relative_to(PAGES).as_posix() for p in PAGES.glob(f"{name}/*/expected.json")}
    own = {case for case in cases if spec(case)["output"]["family"] == name}
    assert set(record(name).samples) == own


@pytest.mark.parametrize(("name", "case"), ARTICLE_SAMPLES)
def test_the_page_object_reads_title_and_body_of_each_sample_article(name: str, case: str) -> None:
    url = spec(case)["input"]["url"]
    page = record(name).page(Selector(text=page_text(case)), url, html=page_text(case), now=NOW)
    assert page.kind() is PageKind.ARTICLE
    assert page.title and page.body
    assert page.title == spec(case)["output"]["title"]


@pytest.mark.parametrize(("name", "case"), OTHER_SAMPLES)
def test_the_page_object_knows_a_sample_home_or_list_is_no_article(name: str, case: str) -> None:
    url = spec(case)["input"]["url"]
    page = record(name).page(Selector(text=page_text(case)), url, html=page_text(case), now=NOW)
    assert page.kind() is not PageKind.ARTICLE


@pytest.mark.parametrize(("name", "case"), SAMPLES)
def test_detect_recognises_each_sample(name: str, case: str) -> None:
    """By its markup alone, and with its URL when the case does not force its family (a generic
    page's URL may have a family's shape: its markup must still claim none)."""
    html = page_text(case)
    assert detect_family(html, "") == name
    if spec(case)["input"]["family"] is None:
        assert detect_family(html, spec(case)["input"]["url"]) == name


@pytest.mark.parametrize(("name", "case"), [s for s in ARTICLE_SAMPLES if s[0] != "generic"])
def test_id_rules_name_each_sample_article(name: str, case: str) -> None:
    """The family's own rules give the id, and the whole table (every family's rules, in order)
    gives it under one of the family's shapes: no other rule shadows them."""
    family, url = record(name), spec(case)["input"]["url"]
    own = urls.article_id(url, name, rules=family.id_rules)
    assert own is not None
    assert article_id(url, name) == own


@pytest.mark.parametrize("name", FAMILIES)
def test_the_family_navigator_drives_its_outlets(name: str) -> None:
    outlet = Outlet(id="x", name="x", region="서울", home="https://news.example/", family=name)
    nav = navigator_for(outlet)
    assert type(nav) is record(name).navigator
    assert nav.outlet is outlet and nav.family == name


# --- demo templates ------------------------------------------------------------------------------


def test_the_demo_families_are_the_families_with_demo_templates() -> None:
    assert set(demo.FAMILIES) == {f.name for f in RECORDS if f.demo_templates}


@pytest.mark.parametrize("name", [f.name for f in RECORDS if f.demo_templates])
def test_demo_templates_are_the_family_templates_on_disk(name: str) -> None:
    on_disk = {p.name for p in TEMPLATES_DIR.glob(f"{name}_*")}
    assert set(record(name).demo_templates) == on_disk


@cache
def demo_articles(name: str) -> list[tuple[str, str]]:
    """(url, html) of the rendered articles of the demo's outlets of one family."""
    anchor = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    by_outlet = demo.articles_by_outlet(demo.demo_articles(anchor))
    base = "http://127.0.0.1:8000"
    found: list[tuple[str, str]] = []
    for outlet in (o for o in demo.demo_outlets() if o.family == name):
        articles = by_outlet.get(outlet.id, [])[:3]
        site = SiteRenderer(outlet, articles, base, anchor).render()
        found += [(demo.article_url(base, a), decode_html(site.articles[a.id].body, None)[0]) for a in articles]
    return found


@pytest.mark.parametrize("name", list(demo.FAMILIES))
def test_demo_article_pages_are_read_recognised_and_keyed_as_the_family(name: str) -> None:
    family = record(name)
    pages = demo_articles(name)
    assert pages, f"no demo outlet of {name}"
    for url, html in pages:
        page = family.page(Selector(text=html), url, html=html, now=NOW)
        assert page.kind() is PageKind.ARTICLE and page.title and page.body, url
        assert detect_family(html, url) == name and detect_family(html, "") == name, url
        assert urls.article_id(url, name, rules=family.id_rules) is not None, url


# --- README --------------------------------------------------------------------------------------

README = (ROOT / "README.md").read_text(encoding="utf-8")
LIST_BLOCK = re.compile(r"<!-- families: .*? -->\n(.*?)\n<!-- /families -->", re.S)


def test_the_readme_family_list_is_the_records() -> None:
    """The list is generated from the records: `python -c 'from crawler.families import
    readme_family_list; print(readme_family_list())'` prints it."""
    found = LIST_BLOCK.search(README)
    assert found, "README.md lost its family list markers"
    assert found.group(1) == readme_family_list()


def test_the_readme_registry_example_names_every_family() -> None:
    line = re.search(r'^family = "\w+" +# (.*)$', README, re.M)
    assert line, "README.md's registry example lost its family line"
    assert tuple(line.group(1).split(" | ")) == FAMILIES
