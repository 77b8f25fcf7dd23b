"""The medical-tourism watchlist on a second, independent held-out set (medical-tourism-fresh.jsonl).

The template set beside it (`make_set.py`) repeats 91 skeletons four times, so its held-out split
shares phrasing with the dev split.  This set was written by hand afterwards, item by item (no
templates, no generator, nothing copied from real articles): 178 short local-news texts from all
17 시·도 in many voices (press-release rewrites, 단독, 사설·칼럼·기고, 인터뷰, photo captions, 동정,
인사·부고, 주간 일정), labelled strictly by DOMAIN.md "What counts as a match".  Most positives tell
the subject without the five core terms, and most negatives share its vocabulary (foreign
residents' health care, export, outbound patients, sports medicine, tourism without treatment,
passing mentions in lists and résumés).  Every label was written before the matcher was run.

It was written after the watchlist had been tuned. Its misses then (precision 0.981, recall
0.662) led to six rules about the concept, not about these items: a foreigner who "came to be
treated"; Koreans treated abroad are the other direction; foreign customers of a clinic; a bare
코디네이터 only with something foreign near it; the short place names headlines use; a medical
device is not care. With them: precision 1.000, recall 0.787, and no decision on the template
set changed. Since the set informed those rules it is no longer unseen; the floors below (what
the watchlist reaches, rounded down) guard against regressions, they are not the target
(0.97 / 0.97 on unseen news).

Its remaining misses then showed two more shapes of the concept: a foreigner who came here and
was treated, told with 입국·귀국·체류·입원·"에서 온" rather than 치료받으러; and foreign travel
agents or hospital heads invited to tour local hospitals. With those two rules: precision 1.000,
recall 0.925 here, and 0.988 (from 0.964) on the template set at an unchanged precision. The
blind set (test_match_blind.py), written without sight of the watchlist, measures the result.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from crawler.match import Matcher, load_watchlist
from crawler.match.evaluate import Evaluation

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "relevance"
FRESH = DATA / "medical-tourism-fresh.jsonl"
TEMPLATED = DATA / "medical-tourism.jsonl"
BUNDLED = ROOT / "settings" / "watchlists" / "medical-tourism.toml"

SIZE, POSITIVES, NEGATIVES = 178, 80, 98
FLOOR = (1.0, 0.93)  # precision, recall: the committed watchlist reaches 1.000 / 0.938


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_watchlist(BUNDLED))


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    with FRESH.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_the_set_has_its_size_labels_and_fields(rows: list[dict[str, Any]]) -> None:
    labels = Counter(row["label"] for row in rows)
    assert (len(rows), labels[1], labels[0]) == (SIZE, POSITIVES, NEGATIVES)
    assert [row["id"] for row in rows] == [f"fr-{n:04d}" for n in range(1, SIZE + 1)]
    for row in rows:
        assert list(row) == ["id", "case", "label", "split", "title", "body"]
        assert row["split"] == "fresh" and row["label"] in (0, 1)
        assert row["case"] and row["title"].strip() and row["body"].strip()


def test_all_seventeen_regions_appear(rows: list[dict[str, Any]]) -> None:
    text = " ".join(row["title"] + " " + row["body"] for row in rows)
    for sido in ("서울", "부산", "대구", "인천", "광주", "대전", "울산", "세종", "경기", "강원",
                 "충북", "충남", "전북", "전남", "경북", "경남", "제주"):  # fmt: skip
        assert sido in text


def test_most_positives_do_without_the_core_terms(rows: list[dict[str, Any]]) -> None:
    core = re.compile("의료관광|외국인환자|해외환자|의료관광객|메디컬투어")
    with_core = [
        r for r in rows if r["label"] and core.search(re.sub(r"\s", "", r["title"] + r["body"]))
    ]
    assert len(with_core) <= POSITIVES // 4


def test_no_passage_comes_from_the_templated_set(rows: list[dict[str, Any]]) -> None:
    n = 25
    with TEMPLATED.open(encoding="utf-8") as f:
        old = [json.loads(line) for line in f if line.strip()]
    grams = {
        t[i : i + n] for r in old for t in (r["title"], r["body"]) for i in range(len(t) - n + 1)
    }
    shared = [
        r["id"]
        for r in rows
        if any(r["body"][i : i + n] in grams for i in range(len(r["body"]) - n + 1))
    ]
    assert not shared


def test_precision_and_recall_do_not_fall(matcher: Matcher, rows: list[dict[str, Any]]) -> None:
    e = Evaluation()
    for row in rows:
        e.add(row["id"], row["label"], matcher.match(row["title"], row["body"]))
    misses = [(m.id, m.label) for m in e.misses]
    assert e.precision >= FLOOR[0], f"precision {e.precision:.3f}; misses {misses}"
    assert e.recall >= FLOOR[1], f"recall {e.recall:.3f}; misses {misses}"
