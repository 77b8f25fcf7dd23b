"""Extraction benchmark over the shared corpus (`../shared/corpus`), side by side with trafilatura.

- `extract.mk_title_exact`, `extract.mk_date_exact`: share of mk pages whose title is exact and
  whose published date is exact to the minute with its offset (1.0 = every page);
- `extract.mk_body_f1`, `extract.zyte_body_f1`: mean whitespace-token body F1 against the
  ground-truth paragraphs (`crawler.extract.evaluate`);
- `extract.zyte_body_f1_trafilatura`: trafilatura alone on the same bytes;
- `extract.euckr_replacement_chars`: U+FFFD characters in the decoded euc-kr pages and their
  extracted fields (0 = every page decoded cleanly).

Without the corpus (a fresh clone) it prints why and returns no figures.
"""

from __future__ import annotations

import csv
import gzip
import json
import statistics
from datetime import datetime
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
TARGETS = {
    "extract.mk_title_exact": "= 1.0",
    "extract.mk_date_exact": "= 1.0",
    "extract.mk_body_f1": "≥ 0.97",
    "extract.zyte_body_f1": "≥ trafilatura",
    "extract.euckr_replacement_chars": "= 0",
}


def _manifest_urls(corpus: Path) -> dict[str, str]:
    """Page URLs from the corpus manifest (`url=` in its notes column), by local path."""
    urls: dict[str, str] = {}
    manifest = corpus / "MANIFEST.tsv"
    if not manifest.is_file():
        return urls
    with manifest.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            notes = row.get("notes") or ""
            if "url=" in notes:
                urls[row["local_path"]] = notes.split("url=", 1)[1].split(";")[0].strip()
    return urls


def _minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def mk(corpus: Path) -> dict[str, float]:
    from crawler.extract.evaluate import token_f1
    from crawler.families import extract

    pages = sorted((corpus / "mk").glob("*.html.gz"))
    if not pages:
        return {}
    urls = _manifest_urls(corpus)
    titles = dates = 0
    f1s: list[float] = []
    for page in pages:
        versions = json.loads(page.with_name(page.name.replace(".html.gz", ".groundtruth.json")).read_text())
        truth: dict[str, Any] = next(iter(versions.values()))
        result = extract(gzip.decompress(page.read_bytes()), urls.get(f"mk/{page.name}", "https://www.mk.co.kr/news/"))
        titles += result.title == truth["title"]
        expected = datetime.fromisoformat(truth["publishing_date"])
        got = result.published_at
        dates += got is not None and _minute(got) == _minute(expected) and got.utcoffset() == expected.utcoffset()
        paragraphs = [p for section in truth["body"]["sections"] for p in section["paragraphs"]]
        f1s.append(token_f1(result.body, "\n".join(paragraphs)))
    return {
        "extract.mk_title_exact": titles / len(pages),
        "extract.mk_date_exact": dates / len(pages),
        "extract.mk_body_f1": statistics.mean(f1s),
    }


def zyte(corpus: Path) -> dict[str, float]:
    import trafilatura

    from crawler.extract.evaluate import token_f1
    from crawler.families import extract

    truth_file = corpus / "zyte-benchmark" / "ground-truth.json"
    if not truth_file.is_file():
        return {}
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    ours: list[float] = []
    alone: list[float] = []
    for item_id, item in sorted(truth.items()):
        body = gzip.decompress((corpus / "zyte-benchmark" / "html" / f"{item_id}.html.gz").read_bytes())
        try:
            found = extract(body, item.get("url") or "").body
        except Exception:  # noqa: BLE001 - a crash scores 0, as an empty body would
            found = ""
        ours.append(token_f1(found, item["articleBody"]))
        baseline = trafilatura.extract(body, include_comments=False, favor_precision=True) or ""
        alone.append(token_f1(baseline, item["articleBody"]))
    return {
        "extract.zyte_body_f1": statistics.mean(ours),
        "extract.zyte_body_f1_trafilatura": statistics.mean(alone),
    }


def euckr(corpus: Path) -> dict[str, int]:
    from crawler.extract import decode_html
    from crawler.families import extract

    pages = sorted((corpus / "euc-kr").glob("*.html"))
    if not pages:
        return {}
    bad = 0
    for page in pages:
        body = page.read_bytes()
        text, _ = decode_html(body, None)
        result = extract(body, "http://www.mediagaon.or.kr/archive/popup.html")
        bad += text.count("\ufffd") + sum(
            (value or "").count("\ufffd") for value in (result.title, result.subtitle, result.body)
        )
    return {"extract.euckr_replacement_chars": bad}


def run(corpus: Path = CORPUS) -> dict[str, Any]:
    if not corpus.is_dir():
        print(f"extract: skipped, {corpus} is absent (the shared corpus is not part of a fresh clone)")
        return {}
    return {**mk(corpus), **zyte(corpus), **euckr(corpus)}


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}\t{value}")
