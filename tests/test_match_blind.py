"""The medical-tourism watchlist on a third set, written blind (medical-tourism-blind.jsonl).

120 short local-news texts (60 relevant, 60 hard negatives), labelled by DOMAIN.md "What counts as
a match" by a writer who never saw the watchlist, its rules or the other two sets: about half of
the positives tell the subject without the core terms; the negatives cover every hard-negative
kind DOMAIN.md lists (residents' care, export, Koreans treated abroad, volunteer trips, passing
mentions, leisure fam tours, accidents, foreign doctors and students).

Measured on it before anything was changed for it (2026-11-23): the watchlist of the previous
session 0.926 / 0.833 (precision / recall), with the two rules the fresh set had suggested
0.914 / 0.883; a plain OR of the five core terms 0.824 / 0.467. Its misses then led to five
changes about the concept, not the items: brokers named 알선업자·알선책·무등록 알선; ships'
passengers (입항·기항) as arrivals; check-up or care packages sold abroad together with a trip;
"원정 치료·임플란트·시술" as Koreans going abroad (a stronger discount: the direction is the
opposite of the subject); export talks (수출 상담, 제조업체) as export. With them: 0.950 / 0.950,
the template set unchanged, the fresh set 1.000 / 0.938. The set is seen now: the floors below
guard what the watchlist reaches; the target stays 0.97 / 0.97 on unseen news.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from crawler.match import Matcher, load_watchlist
from crawler.match.evaluate import Evaluation

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "relevance"
BLIND = DATA / "medical-tourism-blind.jsonl"
OTHERS = (DATA / "medical-tourism.jsonl", DATA / "medical-tourism-fresh.jsonl")
BUNDLED = ROOT / "settings" / "watchlists" / "medical-tourism.toml"

SIZE, POSITIVES, NEGATIVES = 120, 60, 60
FLOOR = (0.95, 0.95)  # precision, recall: the committed watchlist reaches 0.950 / 0.950


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    with BLIND.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_the_set_has_its_size_labels_and_fields(rows: list[dict[str, Any]]) -> None:
    labels = Counter(row["label"] for row in rows)
    assert (len(rows), labels[1], labels[0]) == (SIZE, POSITIVES, NEGATIVES)
    assert [row["id"] for row in rows] == [f"bl-{n:04d}" for n in range(1, SIZE + 1)]
    for row in rows:
        assert list(row) == ["id", "case", "label", "split", "title", "body"]
        assert row["split"] == "blind" and row["case"] and row["title"].strip() and row["body"].strip()


def test_no_passage_comes_from_the_other_sets(rows: list[dict[str, Any]]) -> None:
    # 40 characters: two 25-character phrases of local-news Korean ("…5성급 호텔이 문을") recur by chance
    n = 40
    grams = set()
    for path in OTHERS:
        with path.open(encoding="utf-8") as f:
            for r in (json.loads(line) for line in f if line.strip()):
                grams.update(t[i : i + n] for t in (r["title"], r["body"]) for i in range(len(t) - n + 1))
    shared = [r["id"] for r in rows if any(r["body"][i : i + n] in grams for i in range(len(r["body"]) - n + 1))]
    assert not shared


def test_precision_and_recall_do_not_fall(rows: list[dict[str, Any]]) -> None:
    matcher = Matcher(load_watchlist(BUNDLED))
    e = Evaluation()
    for row in rows:
        e.add(row["id"], row["label"], matcher.match(row["title"], row["body"]))
    misses = [(m.id, m.label) for m in e.misses]
    assert e.precision >= FLOOR[0], f"precision {e.precision:.3f}; misses {misses}"
    assert e.recall >= FLOOR[1], f"recall {e.recall:.3f}; misses {misses}"
