"""Recorded pages and their expected fields, web-poet style: one test per case and field.

Each case is a folder `tests/fixtures/pages/<family>/<case>/` with `page.html` (the bytes as
served) and `expected.json`: `input` (url, family, charset, a frozen `now`), `output` (every
field of `Extracted` that callers read), `problems` (exactly), and `absent` (page chrome that
must appear in no output field: captions, copyright lines, share widgets, most-read lists…).
The pages were written for this project in the style of each CMS family.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from crawler.families import extract
from crawler.types import Extracted

PAGES = Path(__file__).parent / "fixtures" / "pages"
CASES = sorted(p.parent.relative_to(PAGES).as_posix() for p in PAGES.glob("*/*/expected.json"))
FIELDS = (
    "title",
    "subtitle",
    "authors",
    "published_at",
    "modified_at",
    "section",
    "body",
    "canonical_url",
    "family",
    "fallback",
    "is_article",
)


def expected(case: str) -> dict[str, Any]:
    """The case's expected.json."""
    return json.loads((PAGES / case / "expected.json").read_text(encoding="utf-8"))


@cache
def extracted(case: str) -> Extracted:
    """The case's page extracted once, with the case's frozen time."""
    spec = expected(case)["input"]
    return extract(
        (PAGES / case / "page.html").read_bytes(),
        spec["url"],
        family=spec["family"],
        charset=spec["charset"],
        now=datetime.fromisoformat(spec["now"]),
    )


def actual(result: Extracted, name: str) -> Any:
    """A field as it appears in expected.json (dates as ISO 8601 with offset)."""
    value = getattr(result, name)
    return value.isoformat() if isinstance(value, datetime) else value


def test_every_family_has_cases() -> None:
    assert {case.split("/")[0] for case in CASES} >= {"ndsoft", "gnuboard", "generic", "encoding"}


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("case", CASES)
def test_field(case: str, name: str) -> None:
    assert actual(extracted(case), name) == expected(case)["output"][name]


@pytest.mark.parametrize("case", CASES)
def test_problems(case: str) -> None:
    assert extracted(case).problems == expected(case)["problems"]


@pytest.mark.parametrize("case", CASES)
def test_chrome_absent(case: str) -> None:
    text = json.dumps(extracted(case).to_json(), ensure_ascii=False)
    leaked = [chrome for chrome in expected(case)["absent"] if chrome in text]
    assert not leaked, f"page chrome in the output: {leaked}"


@pytest.mark.parametrize("case", CASES)
def test_dates_are_aware(case: str) -> None:
    result = extracted(case)
    for value in (result.published_at, result.modified_at):
        assert value is None or value.utcoffset() is not None
