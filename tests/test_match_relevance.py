"""The medical-tourism watchlist on the team's labelled set (tests/data/relevance).

The set is written by the team (`make_set.py` beside it): every case of DOMAIN.md "What counts
as a match", positives and hard negatives, all 17 시·도.  The dev split was used for tuning; the
held-out split (every third story skeleton of each case) was written at the same time and only
scored as a whole, after tuning.  Issue 4 targets 0.97 precision and recall on unseen news; the
held-out floors below are the figures honest tuning reached (see the report), kept as a guard
against regressions rather than raised by tuning on the held-out stories.
"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import crawler.demosites as sites
from crawler.match import Matcher, WatchlistError, load_watchlist
from crawler.match.evaluate import Evaluation

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "relevance"
LABELLED = DATA / "medical-tourism.jsonl"
BUNDLED = ROOT / "settings" / "watchlists" / "medical-tourism.toml"

POSITIVE_CASES = {
    "foreign_patient", "medical_tourism", "famtour", "briefing", "mou", "people", "stats_policy",
    "old_terms", "cosmetic", "derm_return", "health_authority", "broker", "dispute", "kmedical",
}  # fmt: skip
NEGATIVE_CASES = {
    "hospital_news", "checkup_campaign", "festival", "foreign_tourists_general", "worker_clinic",
    "multicultural", "export", "list_mention", "resume", "job_ad", "famtour_other",
    "briefing_other", "kindergarten", "investment", "infection_research",
}  # fmt: skip
DEV_FLOOR = (0.97, 0.97)  # precision, recall
HELDOUT_FLOOR = (0.92, 0.89)  # reached 0.926 / 0.893; the target is 0.97 / 0.97


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_watchlist(BUNDLED))


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    with LABELLED.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def evaluate(matcher: Matcher, rows: list[dict[str, Any]], split: str) -> Evaluation:
    evaluation = Evaluation()
    for row in rows:
        if row["split"] == split:
            result = matcher.match(row["title"], row["body"])
            evaluation.add(row["id"], row["label"], result)
    return evaluation


# --- the labelled set itself -------------------------------------------------------------


def test_the_set_has_the_size_and_shape_issue_4_asks_for(rows: list[dict[str, Any]]) -> None:
    labels = Counter(row["label"] for row in rows)
    assert len(rows) >= 300 and labels[1] >= 100 and labels[0] >= 150
    assert len({row["id"] for row in rows}) == len(rows)
    for row in rows:
        assert set(row) == {"id", "title", "body", "label", "case", "split"}
        assert row["title"] and row["body"] and row["label"] in (0, 1)
    held = sum(row["split"] == "heldout" for row in rows)
    assert 0.28 <= held / len(rows) <= 0.38


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_every_domain_case_is_in_both_splits(rows: list[dict[str, Any]], split: str) -> None:
    cases = {(row["case"], row["label"]) for row in rows if row["split"] == split}
    assert {c for c, label in cases if label} == POSITIVE_CASES
    assert {c for c, label in cases if not label} == NEGATIVE_CASES


def test_all_seventeen_regions_appear(rows: list[dict[str, Any]]) -> None:
    text = " ".join(row["body"] for row in rows)
    for sido in ("서울", "부산", "대구", "인천", "광주", "대전", "울산", "세종", "경기", "강원",
                 "충북", "충남", "전북", "전남", "경북", "경남", "제주"):  # fmt: skip
        assert sido in text


def test_the_file_is_what_make_set_writes(rows: list[dict[str, Any]]) -> None:
    spec = importlib.util.spec_from_file_location("make_set", DATA / "make_set.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build() == rows


# --- the watchlist on it -----------------------------------------------------------------


def test_dev_precision_and_recall(matcher: Matcher, rows: list[dict[str, Any]]) -> None:
    e = evaluate(matcher, rows, "dev")
    assert e.precision >= DEV_FLOOR[0] and e.recall >= DEV_FLOOR[1], [m.id for m in e.misses]


def test_heldout_precision_and_recall(matcher: Matcher, rows: list[dict[str, Any]]) -> None:
    e = evaluate(matcher, rows, "heldout")
    assert e.precision >= HELDOUT_FLOOR[0], f"precision {e.precision:.3f}"
    assert e.recall >= HELDOUT_FLOOR[1], f"recall {e.recall:.3f}"


def test_demo_site_articles_stay_classified_right(matcher: Matcher) -> None:
    wrong = []
    for article in sites.demo_articles(sites.parse_anchor()):
        subtitle = getattr(article, "subtitle", "") or ""
        result = matcher.match(article.title, article.body, subtitle)
        if result.relevant != article.expect_relevant:
            wrong.append((article.title, result.score, result.rule))
    assert not wrong


def test_a_resume_line_in_a_long_article_is_not_a_match(matcher: Matcher) -> None:
    body = (
        "신임 부시장이 취임했다. 그는 예산과장, 의료관광팀장, 도시재생국장 등을 지냈다. "
        + "취임식에는 직원 200여명이 참석했고 그는 민생 현안을 챙기겠다고 말했다. " * 6
    )
    assert not matcher.match("신임 부시장 취임", body).relevant


def test_stories_told_without_the_usual_words(matcher: Matcher) -> None:
    assert matcher.match(
        "몽골 관광객, 쇼핑 대신 피부 시술",
        "몽골 관광객들이 관광 일정 중 하루를 피부과 예약에 쓴다.",
    ).relevant
    assert matcher.match(
        "대만 여성 성형수술 부작용…병원과 분쟁",
        "성형외과에서 수술받은 대만 여성이 피해 구제를 요청했다.",
    ).relevant


# --- bad input (issue 4's list; the rest is in test_match_engine and test_watchlist_load) --


def test_an_enormous_text_without_terms_is_empty(matcher: Matcher) -> None:
    body = "시는 이날 도로 포장 공사를 마쳤다고 밝혔다. " * 40_000  # about 2.6 MB
    result = matcher.match("도로 포장", body)
    assert not result.relevant and result.score == 0


def test_escaped_markup_is_decoded_once_and_the_term_still_found(matcher: Matcher) -> None:
    result = matcher.match("", "&lt;b&gt;의료관광&lt;/b&gt; 설명회에 몽골 환자 30명이 왔다.")
    assert "의료관광" in result.terms


def test_hanja_inside_a_korean_word_is_not_read_as_hangul(matcher: Matcher) -> None:
    result = matcher.match("醫療관광 소식", "外國人환자 關聯 記事")
    assert "의료관광" not in result.terms and "외국인 환자" not in result.terms


def test_cyrillic_names_next_to_korean_terms(matcher: Matcher) -> None:
    result = matcher.match("Иванова 씨, 의료관광 왔다", "Иванова씨는 러시아 환자 모임을 이끈다.")
    assert result.relevant and {"의료관광", "러시아", "환자"} <= set(result.terms)


def test_an_unknown_field_in_a_rule_names_the_place(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'name = "x"\nthreshold = 1\n[groups.a]\nweight = 1\nterms = ["의료관광"]\n'
        '[[rules]]\nrequire = ["a"]\nwithn = 10\n',
        encoding="utf-8",
    )
    with pytest.raises(WatchlistError, match=r"rules\[0\]\.withn.*did you mean 'within'"):
        load_watchlist(path)
