"""Extraction measured on real pages of the shared corpus (../shared/corpus).

- mk: a Korean daily's in-house CMS with JSON-LD and ground truth (title, authors, date, body
  paragraphs): every title exact, every date exact to the minute with its offset, every author
  found, body whitespace-token F1 ≥ 0.97.
- zyte-benchmark: 181 article pages of many sites and languages with body ground truth: no page
  crashes `extract`, mean body F1 ≥ 0.85; the figure and trafilatura's alone are printed.
"""

from __future__ import annotations

import csv
import gzip
import json
import statistics
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import trafilatura

from crawler.extract.evaluate import token_f1
from crawler.families import extract
from tests.support.env import CORPUS, need_shared

MK_PAGES = sorted((CORPUS / "mk").glob("*.html.gz"))
ZYTE = CORPUS / "zyte-benchmark"
MIN_MK_F1 = 0.97
MIN_ZYTE_MEAN_F1 = 0.85

pytestmark = pytest.mark.corpus


def manifest_urls() -> dict[str, str]:
    """Page URLs from the corpus manifest (`url=` in its notes column), by local path."""
    urls: dict[str, str] = {}
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            notes = row.get("notes") or ""
            if "url=" in notes:
                urls[row["local_path"]] = notes.split("url=", 1)[1].split(";")[0].strip()
    return urls


def mk_truth(page: Path) -> dict[str, Any]:
    """The ground truth of one mk page (the only parser-version key, "V1")."""
    versions = json.loads(
        page.with_name(page.name.replace(".html.gz", ".groundtruth.json")).read_text()
    )
    return next(iter(versions.values()))


@pytest.fixture(scope="module")
def mk_results() -> dict[str, tuple[Any, dict[str, Any]]]:
    need_shared(CORPUS / "mk")
    urls = manifest_urls()
    results = {}
    for page in MK_PAGES:
        url = urls.get(f"mk/{page.name}", "https://www.mk.co.kr/news/")
        results[page.name] = (extract(gzip.decompress(page.read_bytes()), url), mk_truth(page))
    return results


@pytest.mark.parametrize("name", [p.name for p in MK_PAGES] or ["(corpus absent)"])
def test_mk_title(mk_results: dict, name: str) -> None:
    result, truth = mk_results[name]
    assert result.title == truth["title"]


@pytest.mark.parametrize("name", [p.name for p in MK_PAGES] or ["(corpus absent)"])
def test_mk_published_to_the_minute(mk_results: dict, name: str) -> None:
    result, truth = mk_results[name]
    expected = datetime.fromisoformat(truth["publishing_date"])
    assert result.published_at is not None
    assert result.published_at.replace(second=0, microsecond=0) == expected.replace(
        second=0, microsecond=0
    )
    assert result.published_at.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("name", [p.name for p in MK_PAGES] or ["(corpus absent)"])
def test_mk_authors(mk_results: dict, name: str) -> None:
    result, truth = mk_results[name]
    assert set(truth["authors"]) <= set(result.authors)


@pytest.mark.parametrize("name", [p.name for p in MK_PAGES] or ["(corpus absent)"])
def test_mk_body_f1(mk_results: dict, name: str) -> None:
    result, truth = mk_results[name]
    paragraphs = [p for section in truth["body"]["sections"] for p in section["paragraphs"]]
    f1 = token_f1(result.body, "\n".join(paragraphs))
    assert f1 >= MIN_MK_F1, f"body F1 {f1:.3f}"


def test_zyte_benchmark() -> None:
    need_shared(ZYTE / "ground-truth.json")
    truth = json.loads((ZYTE / "ground-truth.json").read_text(encoding="utf-8"))
    ours, alone, crashed = [], [], []
    for item_id, item in sorted(truth.items()):
        body = gzip.decompress((ZYTE / "html" / f"{item_id}.html.gz").read_bytes())
        try:
            result = extract(body, item.get("url") or "")
        except Exception as error:  # noqa: BLE001 - every crash is collected and reported below
            crashed.append(f"{item_id}: {error!r}")
            continue
        ours.append(token_f1(result.body, item["articleBody"]))
        baseline = trafilatura.extract(body, include_comments=False, favor_precision=True) or ""
        alone.append(token_f1(baseline, item["articleBody"]))
    assert not crashed, crashed
    mean, baseline_mean = statistics.mean(ours), statistics.mean(alone)
    print(
        f"\nzyte-benchmark ({len(ours)} pages): body F1 {mean:.4f} "
        f"(trafilatura alone on the same bytes: {baseline_mean:.4f})"
    )
    assert mean >= MIN_ZYTE_MEAN_F1
