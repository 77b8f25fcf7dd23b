"""Why a story is shown, in the office's words: reason, key terms, level, excerpt, representative."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.alert.explain import (
    Carrier,
    excerpt,
    explain,
    highlight_terms,
    level,
    pick_representative,
    score_text,
)
from crawler.match import Matcher
from crawler.match.watchlist import Watchlist, load_watchlist

WATCHLIST = """
name = "의료관광"
threshold = 6

[groups.foreign_patient]
label = "외국인 환자"
weight = 4
terms = ["외국인 환자", "해외 환자"]

[groups.foreign]
label = "외국"
weight = 1
terms = ["몽골", "러시아", "외국인"]

[groups.patient]
label = "환자"
weight = 0.5
terms = ["환자"]

[groups.arrival]
label = "건너와 머묾"
weight = 1
terms = ["에서 온"]

[groups.briefing]
label = "해외 설명회"
weight = 2
terms = ["설명회", "로드쇼"]

[groups.medical]
label = "의료"
weight = 1
terms = ["의료", "병원"]

[[rules]]
name = "외국인 환자 유치"
require = ["foreign_patient"]

[[rules]]
name = "외국 + 환자"
require = ["foreign", "patient"]
within = 10

[[rules]]
require = ["briefing", "foreign"]
within = 30

[home]
name = "인천"
terms = ["인천"]
boost = 1.5
"""


@pytest.fixture
def watchlist(tmp_path: Path) -> Watchlist:
    path = tmp_path / "medical-tourism.toml"
    path.write_text(WATCHLIST, encoding="utf-8")
    return load_watchlist(path)


def test_reason_names_the_fired_rules_in_korean_and_the_headline(watchlist: Watchlist) -> None:
    result = Matcher(watchlist).match("인천시, 외국인 환자 유치 설명회 몽골서 열어",
                                      "인천시는 몽골에서 온 환자 가족을 위한 설명회를 열었다.")
    why = explain(watchlist, result.rule, result.terms, title="인천시, 외국인 환자 유치 설명회 몽골서 열어")
    assert why.reason.startswith("외국인 환자 유치")
    assert why.reason.endswith("(제목)")
    assert "required" not in why.reason and "bonus" not in why.reason


def test_the_rule_the_headline_names_comes_first(watchlist: Watchlist) -> None:
    title = "몽골 환자 가족, 인천서 건강검진"
    result = Matcher(watchlist).match(title, "인천의 병원은 외국인 환자 유치 실적을 발표했다. 몽골 환자 가족이 검진을 받았다.")
    why = explain(watchlist, result.rule, result.terms, title=title)
    assert why.reason.startswith("외국 + 환자") and why.reason.endswith("(제목)")
    untitled = explain(watchlist, result.rule, result.terms, title="건강검진 소식")
    assert untitled.reason.startswith("외국인 환자 유치") and "(제목)" not in untitled.reason


def test_a_rule_without_a_name_is_told_by_its_concepts(watchlist: Watchlist) -> None:
    result = Matcher(watchlist).match("봄 행사", "몽골 로드쇼에서 인천 병원들이 상담을 했다. 몽골 설명회는 이틀 열렸다.")
    why = explain(watchlist, result.rule, result.terms)
    assert "해외 설명회 + 외국" in why.reason


def test_key_terms_are_few_distinct_concepts_never_generic_words_alone(watchlist: Watchlist) -> None:
    terms = ["환자", "의료", "외국인 환자", "해외 환자", "몽골", "에서 온", "병원", "러시아", "설명회"]
    rule = "; ".join(r.describe() for r in watchlist.rules)
    why = explain(watchlist, rule, terms)
    assert why.key_terms == ("외국인 환자", "몽골", "설명회")  # one per concept, in the rules' order
    assert len(why.key_terms) <= 5
    for generic in ("환자", "의료", "병원", "에서 온"):
        assert generic not in why.key_terms


def test_excerpt_prefers_the_lead_and_marks_only_key_terms(watchlist: Watchlist) -> None:
    why = explain(watchlist, watchlist.rules[0].describe(), ["외국인 환자", "환자", "병원"])
    spell = highlight_terms(watchlist, why)
    body = ("인천시가 올해 외국인 환자 3만 명을 유치했다고 7일 밝혔다. 병원 23곳이 참여했다. "
            "환자 대부분은 몽골과 러시아에서 왔다.")
    got = excerpt(body, "", spell)
    assert got.startswith("인천시가")  # the lead, from its first word
    assert "\x02외국인 환자\x03" in got
    assert "\x02병원\x03" not in got and "\x02환자\x03" not in got


def test_excerpt_starts_at_the_sentence_that_names_the_subject(watchlist: Watchlist) -> None:
    why = explain(watchlist, watchlist.rules[0].describe(), ["해외 환자"])
    spell = highlight_terms(watchlist, why)
    body = "시의회가 개원했다. 예산안이 올라왔다. 의원들은 공원 조성을 논의했다. 해외 환자 유치 예산도 늘었다. 끝."
    got = excerpt(body, "", spell)
    assert got.startswith("해외 환자") or got.startswith("\x02해외 환자")


def test_a_pruned_body_falls_back_to_the_snippet_from_a_sentence_start(watchlist: Watchlist) -> None:
    why = explain(watchlist, watchlist.rules[0].describe(), ["외국인 환자"])
    spell = highlight_terms(watchlist, why)
    stored = "…합\x02건강검진\x03을 받고 돌아갔다. 시는 \x02외국인 환자\x03를 더 늘린다. \x02병원\x03도 돕는다."
    got = excerpt(None, stored, spell)
    assert got.startswith("시는")  # not mid-word
    assert "\x02외국인 환자\x03" in got and "\x02병원\x03" not in got


def test_level_and_one_rounding() -> None:
    assert level(12.0, 6) == "높음" and level(11.9, 6) == "보통" and level(30, None) == "보통"
    assert score_text(17.08) == "17.1" == score_text(17.1)


def test_representative_is_the_home_regions_outlet_then_the_earliest() -> None:
    t0 = datetime(2026, 12, 7, tzinfo=UTC)
    ministry = Carrier("korea-gov", 1, t0, t0)
    busan = Carrier("busanilbo", 2, t0 + timedelta(hours=1), t0)
    incheon = Carrier("incheonilbo", 3, t0 + timedelta(hours=3), t0)
    regions = {"korea-gov": "서울", "busanilbo": "부산", "incheonilbo": "인천"}
    assert pick_representative([ministry, busan, incheon], regions, "인천") == incheon
    assert pick_representative([busan, ministry], regions, "인천") == ministry  # no home outlet: earliest
    assert pick_representative([busan, ministry], regions, None) == ministry
    assert pick_representative([], regions, "인천") is None
