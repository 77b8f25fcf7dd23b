"""The medical-tourism watchlist on the sets written blind (medical-tourism-blind*.jsonl).

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

medical-tourism-blind2.jsonl (2026-11-23): 160 more (80 / 80), by two writers under the same rules
(neither saw the watchlist, the other sets or each other's part; 51 of the 80 positives avoid the
core terms). Before any change for it: 0.959 / 0.887; the core-term OR 0.806 / 0.362. Its misses
led to: 견학 as the invitation of a fam tour; hanbang/wellness care (체질 진단, 침 치료) sold to
foreign visitors; 환아 as a patient; 키르기스 as a short country name; "원정 치료" as the
outbound direction wherever it stands; tourists' accidents (부상, 골절, 구급대…) as an exclusion;
medical volunteering abroad as an exclusion. With them 1.000 / 0.925, the other three sets as before.

medical-tourism-blind3.jsonl (2026-11-23, a later session): 160 more (80 / 80) by two writers told to
make it hard: at least 24 of each 40 positives without the core terms, at least 15 of each 40
negatives using them. Before any change for it: 0.838 / 0.713; the core-term OR 0.410 / 0.312. Its
misses led to: a headline naming two of the fired rule's concepts is not a passing mention; "A, B, C
등" as a list; foreign visitors (방문객) with travel and care as a rule; check-up and healing
packages (검진·치유 상품) sold to foreigners; regulars and footfall (단골, 발길) as customers; 진료
통역 as coordination; treatment visas and unregistered agencies named as such; the headlines'
中·日·美·露; and as exclusions children's career days and rural outreach ("어린이 메디컬 투어",
순회 진료), Koreans setting off for care abroad, tourists collapsing or crashing, hospital-operation
contracts abroad, Goryeoin villages' free check-ups, job fairs (but not "코디네이터를 채용하고" in a
patient story). With them 0.960 / 0.900; blind 0.966 / 0.950 and blind2 1.000 / 0.938 (both up),
fresh and the template set unchanged.

medical-tourism-blind4.jsonl (2026-11-23, a later session): 160 more (80 / 80) by two writers under
the same blind rules, this time *full-length* articles as regional papers print them (bodies of 500
to 1,100 characters, median 618) in a realistic rather than adversarial mix: half the positives
without the core terms, 16 of them long stories whose subject fills only part of the text, and 33
negatives that name the subject in passing (new-year plans, budget reviews, candidates' profiles,
round-ups, tourism statistics, admissions, job ads). An optional "note" says why a borderline item
got its label. Before any change for it: 0.976 / 1.000 (two passing mentions got through: a
round-up's one item, and a five-year tourism plan lifted by "서울과 인천 사이에" in its closing
quote); the core-term OR 0.554 / 0.512, every passing mention counted. That led to one change: the
home boost counts only where the story is (headline, lead, near the subject). With it 0.988 / 1.000;
the round-up (b4b-042: "◇의료관광 협력기관 모집" as one of six items under a 外 headline) is still
matched, and is the kind of competitor's programme the office may well want to see.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crawler.match import Matcher, load_watchlist
from crawler.match.evaluate import Evaluation

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "relevance"
BUNDLED = ROOT / "settings" / "watchlists" / "medical-tourism.toml"


@dataclass(frozen=True)
class BlindSet:
    path: Path
    ids: list[str]
    positives: int
    negatives: int
    split: str
    floor: tuple[float, float]  # precision, recall the committed watchlist must keep
    others: tuple[str, ...]  # the sets no passage may come from


SETS = {
    # the committed watchlist reaches 0.950 / 0.950
    "blind": BlindSet(DATA / "medical-tourism-blind.jsonl", [f"bl-{n:04d}" for n in range(1, 121)], 60, 60,
                      "blind", (0.95, 0.95), ("medical-tourism.jsonl", "medical-tourism-fresh.jsonl")),
    # two writers of 80 each; before any change for it 0.959 / 0.887, now 1.000 / 0.938
    "blind2": BlindSet(DATA / "medical-tourism-blind2.jsonl",
                       [f"b2{part}-{n:03d}" for part in "ab" for n in range(1, 81)], 80, 80, "blind2", (0.98, 0.92),
                       ("medical-tourism.jsonl", "medical-tourism-fresh.jsonl", "medical-tourism-blind.jsonl")),
    # two writers of 80 each, told to make it hard; before any change for it 0.838 / 0.713, now 0.961 / 0.912
    "blind3": BlindSet(DATA / "medical-tourism-blind3.jsonl",
                       [f"b3{part}-{n:03d}" for part in "ab" for n in range(1, 81)], 80, 80, "blind3", (0.95, 0.89),
                       ("medical-tourism.jsonl", "medical-tourism-fresh.jsonl", "medical-tourism-blind.jsonl",
                        "medical-tourism-blind2.jsonl")),
    # two writers of 80 full-length articles each; before any change for it 0.976 / 1.000, now 0.988 / 1.000
    "blind4": BlindSet(DATA / "medical-tourism-blind4.jsonl",
                       [f"b4{part}-{n:03d}" for part in "ab" for n in range(1, 81)], 80, 80, "blind4", (0.98, 0.98),
                       ("medical-tourism.jsonl", "medical-tourism-fresh.jsonl", "medical-tourism-blind.jsonl",
                        "medical-tourism-blind2.jsonl", "medical-tourism-blind3.jsonl")),
}


def rows_of(name: str) -> list[dict[str, Any]]:
    with SETS[name].path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.mark.parametrize("name", SETS)
def test_the_set_has_its_size_labels_and_fields(name: str) -> None:
    spec, rows = SETS[name], rows_of(name)
    labels = Counter(row["label"] for row in rows)
    assert (labels[1], labels[0]) == (spec.positives, spec.negatives)
    assert [row["id"] for row in rows] == spec.ids
    for row in rows:
        assert list(row)[:6] == ["id", "case", "label", "split", "title", "body"]
        assert list(row)[6:] in ([], ["note"])  # why a borderline item got its label
        assert row["split"] == spec.split and row["case"] and row["title"].strip() and row["body"].strip()


@pytest.mark.parametrize("name", SETS)
def test_no_passage_comes_from_the_other_sets(name: str) -> None:
    # 40 characters: two 25-character phrases of local-news Korean ("…5성급 호텔이 문을") recur by chance
    n = 40
    grams = set()
    for other in SETS[name].others:
        with (DATA / other).open(encoding="utf-8") as f:
            for r in (json.loads(line) for line in f if line.strip()):
                grams.update(t[i : i + n] for t in (r["title"], r["body"]) for i in range(len(t) - n + 1))
    shared = [r["id"] for r in rows_of(name)
              if any(r["body"][i : i + n] in grams for i in range(len(r["body"]) - n + 1))]
    assert not shared


@pytest.mark.parametrize("name", SETS)
def test_precision_and_recall_do_not_fall(name: str) -> None:
    matcher = Matcher(load_watchlist(BUNDLED))
    e = Evaluation()
    for row in rows_of(name):
        e.add(row["id"], row["label"], matcher.match(row["title"], row["body"]))
    misses = [(m.id, m.label) for m in e.misses]
    floor = SETS[name].floor
    assert e.precision >= floor[0], f"precision {e.precision:.3f}; misses {misses}"
    assert e.recall >= floor[1], f"recall {e.recall:.3f}; misses {misses}"
