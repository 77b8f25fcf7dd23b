"""The matcher: word boundaries, scoring parts, explanations, snippets, odd input, classify."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from crawler.match import Matcher, classify_line, load_watchlist
from crawler.match.snippet import MARK_END, MARK_START
from crawler.types import MatchResult

BUNDLED = Path(__file__).resolve().parents[1] / "settings" / "watchlists" / "medical-tourism.toml"

# A small watchlist whose numbers are easy to follow in assertions.
SMALL = """
name = "시험"
threshold = 5

[score]
title_boost = 3
subtitle_boost = 1
context_within = 20
repeat_bonus = 1
repeat_cap = 2
list_factor = 0.5

[groups.core]
weight = 4
terms = ["의료관광", "의료 비자", { text = "비자", word_start = true }, "MOU",
         { text = "메디컬", not_in = ["메디컬센터"] }, "방한"]

[groups.support]
weight = 1
terms = ["팸투어", { text = "유치", not_in = ["유치원"] }]

[groups.foreign]
weight = 0.5
terms = ["몽골", { text = "외국", word_start = true }]

[groups.patient]
weight = 0.5
terms = ["환자"]

[groups.shape]
weight = 2
terms = [{ regex = "[0-9]+개국" }]

[[rules]]
require = ["core"]

[[rules]]
require = ["foreign", "patient"]
within = 6
bonus = 2

[[rules]]
require = ["shape"]

[[exclude]]
name = "근로자"
terms = ["근로자"]
within = 10
penalty = 2

[[exclude]]
name = "anywhere"
terms = ["복권"]
penalty = 1

[home]
name = "인천"
terms = ["인천"]
boost = 1.5
districts = ["부평구"]
district_boost = 0.5
"""


@pytest.fixture(scope="module")
def bundled() -> Matcher:
    return Matcher(load_watchlist(BUNDLED))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Matcher:
    path = tmp_path_factory.mktemp("wl") / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    return Matcher(load_watchlist(path))


def hit_texts(result: MatchResult, title: str, body: str, group: str | None = None) -> list[str]:
    """The original substrings of the hits (optionally of one group)."""
    texts = {"title": title, "body": body}
    return [texts[h.field][h.start : h.end] for h in result.hits if group in (None, h.group)]


# --- word boundaries ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "found"),
    [
        pytest.param("의료 관광객들이 늘었다", ["의료 관광"], id="spaced-term-with-particles"),
        pytest.param("의료비자 발급", ["의료비자"], id="written-split-absent"),
        pytest.param("의료 비자 발급", ["의료 비자"], id="written-split-present"),
        pytest.param("의료비 자부담 경감", [], id="split-elsewhere-rejected"),
        pytest.param("지방 한의원", [], id="two-char-term-never-across-a-space"),
        pytest.param("대통령 방한 일정", ["방한"], id="two-char-term-whole"),
        pytest.param("소비자 보호", [], id="word-start-inside-a-word"),
        pytest.param("입국 비자 발급", ["비자"], id="word-start-at-a-word"),
        pytest.param("famous MOUs", [], id="latin-inside-a-word"),
        pytest.param("MOU를 맺었다", ["MOU"], id="latin-followed-by-a-particle"),
        pytest.param("mou 체결", ["mou"], id="latin-case"),
        pytest.param("러시 메디컬센터 연구", [], id="not-in-hospital-name"),
        pytest.param("메디컬 관광", ["메디컬"], id="not-in-elsewhere"),
        pytest.param("유치원 원아 모집", [], id="kindergarten-is-not-attraction"),
        pytest.param("환자 유치 경쟁", ["환자", "유치"], id="attraction"),
        pytest.param("재외국민 투표", [], id="word-start-외국"),
    ],
)
def test_word_boundaries(small: Matcher, body: str, found: list[str]) -> None:
    result = small.match("", body)
    assert hit_texts(result, "", body) == found


def test_longest_term_wins(bundled: Matcher) -> None:
    result = bundled.match("", "의료관광이 늘었다")
    assert [(h.term, h.group) for h in result.hits] == [("의료관광", "medical_tourism")]


def test_partly_overlapping_terms_both_count(bundled: Matcher) -> None:
    result = bundled.match("", "한방의료관광 체험")
    assert [h.term for h in result.hits] == ["한방 의료", "의료관광"]


def test_regex_terms_map_back_to_the_original(small: Matcher) -> None:
    body = "설명회에는 12 개국이 참가했다"
    result = small.match("", body)
    assert hit_texts(result, "", body, "shape") == ["12 개국"]
    assert result.rule == "required: shape"


# --- scoring -----------------------------------------------------------------------------


def test_score_parts_add_up(small: Matcher) -> None:
    result = small.match("인천 의료관광", "의료관광 팸투어. 의료관광. 부평구")
    # core 4 + support (context) 1 + title 3 + one more body hit log2(1+1)=1 + home 1.5
    assert result.score == pytest.approx(4 + 1 + 3 + 1 + 1.5)
    assert "context: support" in result.rule
    assert "title +3" in result.rule
    assert "home 인천 +1.5" in result.rule
    assert result.relevant


def test_repetition_has_diminishing_returns_and_a_cap(small: Matcher) -> None:
    scores = [small.match("", ". ".join(["의료관광"] * n)).score for n in (1, 2, 3, 50)]
    assert scores[0] == 4
    assert scores[1] - scores[0] == pytest.approx(1.0)
    assert scores[2] - scores[1] < scores[1] - scores[0]
    assert scores[3] == 4 + 2  # capped at repeat_cap


def test_subtitle_boost_applies_when_the_title_has_no_rule_hit(small: Matcher) -> None:
    result = small.match("구청장 동정", "의료관광", subtitle="의료관광 설명회")
    assert "subtitle +1" in result.rule
    assert result.score == pytest.approx(4 + 1)


def test_district_alone_counts_weakly(small: Matcher) -> None:
    assert small.match("", "부평구 의료관광").score == 4.5
    assert small.match("", "인천 부평구 의료관광").score == 5.5


def test_the_region_alone_never_makes_a_match(small: Matcher) -> None:
    result = small.match("인천 부평구 소식", "인천 부평구")
    assert result.score == 0
    assert result.rule == "no rule fired"


def test_the_home_boost_needs_the_story_to_be_there(small: Matcher) -> None:
    # context_within is 20: the lead is the body's first 40 characters.
    filler = "가" * 50
    in_lead = small.match("", "인천시는 " + filler + " 의료관광 소식을 전했다.")
    near_subject = small.match("", filler + " 인천 의료관광 소식")
    aside = small.match("", "의료관광 소식. " + filler + " 서울과 인천 사이에")
    in_title = small.match("인천 소식", "의료관광 소식. " + filler)
    district_aside = small.match("", "의료관광 소식. " + filler + " 부평구")
    assert "home 인천 +1.5" in near_subject.rule
    assert "home 인천 +1.5" in in_title.rule
    assert "home" not in aside.rule and aside.score == 4
    assert "district" not in district_aside.rule
    assert "home 인천 +1.5" in in_lead.rule


def test_proximity_rule(small: Matcher) -> None:
    near = small.match("", "몽골 환자 진료")
    far = small.match("", "몽골에서 온 가족이 병원에서 환자 진료를")
    assert near.rule == "required: foreign+patient within 6 chars; rule bonus +2"
    assert near.score == 3
    assert far.score == 0


def test_exclusion_near_a_hit_and_anywhere(small: Matcher) -> None:
    near = small.match("", "이주 근로자 의료관광")
    far = small.match("", "의료관광. " + "가" * 40 + " 근로자")
    anywhere = small.match("", "의료관광. " + "가" * 40 + " 복권")
    assert near.excluded_by == ["근로자"] and near.score == 2
    assert far.excluded_by == [] and far.score == 4
    assert anywhere.excluded_by == ["anywhere"] and anywhere.score == 3


def test_exclusion_in_the_title_applies_to_the_body(small: Matcher) -> None:
    result = small.match("근로자 소식", "의료관광")
    assert result.excluded_by == ["근로자"]


def test_a_body_exclusion_counts_when_the_rule_fired_only_in_the_headline(small: Matcher) -> None:
    # The body never names the subject again: it is all about the headline, so the context applies.
    bare = small.match("몽골 환자 소식", "지난달 이주 근로자들이 모였다. " + "가" * 40)
    assert bare.excluded_by == ["근로자"]
    # The body names the rule's groups (no rule fires there): the context must be near them.
    spread = "몽골에서 " + "가" * 20 + " 온 환자들"
    near = small.match("몽골 환자 소식", spread + " 근로자")
    far = small.match("몽골 환자 소식", spread + ". " + "나" * 40 + " 근로자")
    assert near.excluded_by == ["근로자"]
    assert far.excluded_by == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            "시는 ▲원도심 재생 ▲의료관광 활성화 ▲청년 창업 ▲교통망 확충을 추진한다.", id="bullets"
        ),
        pytest.param("예산은 교통·환경·의료관광·복지·문화 분야에 쓰인다.", id="middle-dots"),
        pytest.param(
            "주요 사업\n- 원도심 재생\n- 의료관광 활성화\n- 청년 창업", id="bulleted-lines"
        ),
    ],
)
def test_only_in_a_list_is_discounted(small: Matcher, body: str) -> None:
    result = small.match("", body)
    assert "only in a list ×0.5" in result.rule
    assert result.score == 2


def test_a_long_item_or_a_sentence_is_not_a_list(small: Matcher) -> None:
    body = "시는 몽골, 러시아, 카자흐스탄, 우즈베키스탄 출신 코디네이터를 초청해 의료관광 팸투어를 열었다."
    assert "only in a list" not in small.match("", body).rule


def test_a_term_written_across_a_separator_is_one_word_not_list_items(small: Matcher) -> None:
    # "의료·관광 협력" in a headline line: the term spans the dot, so its line is not a list
    assert "only in a list" not in small.match("", "충남·베트남 성, 의료·관광 협력 논의").rule
    # a true list still is one, whatever its items' spelling
    listed = small.match("", "예산은 교통·환경·의료·관광·복지·문화 분야에 쓰인다.")
    assert "only in a list" in listed.rule


UNLESS_TABLES = """
[groups.clinic]
weight = 0.5
terms = ["성형외과"]

[[exclude]]
name = "사고"
terms = ["사망"]
within = 20
penalty = 4
unless = ["clinic"]
"""


def test_an_unless_group_close_to_an_exclusion_overrules_it(tmp_path: Path) -> None:
    path = tmp_path / "unless.toml"
    path.write_text(SMALL + UNLESS_TABLES, encoding="utf-8")
    matcher = Matcher(load_watchlist(path))
    crash = matcher.match("의료관광 중 사고", "의료관광 온 몽골인이 교통 사고로 사망했다.")
    clinic = matcher.match("의료관광 중 사고", "의료관광 온 몽골인이 성형외과 수술 뒤 사망했다.")
    assert crash.excluded_by == ["사고"]
    assert clinic.excluded_by == []
    assert clinic.relevant and not crash.relevant, (clinic.rule, crash.rule)


def test_a_list_hit_in_the_title_is_not_discounted(small: Matcher) -> None:
    result = small.match("의료관광 과제", "▲원도심 재생 ▲의료관광 ▲청년 창업 ▲교통")
    assert "only in a list" not in result.rule


# --- explanation and positions -----------------------------------------------------------


def test_explanation_names_rule_groups_terms_and_positions(bundled: Matcher) -> None:
    title = "인천시, 러시아어권 의료 코디네이터 초청 의료 관광 팸투어"
    body = "인천시와 인천관광공사는 코디네이터 28명을 초청해 의료관광&nbsp;팸투어를 열었다."
    result = bundled.match(title, body)
    assert result.relevant
    assert "required: medical_tourism" in result.rule
    assert {"medical_tourism", "coordinator", "marketing"} <= set(result.groups)
    assert {"의료관광", "의료 코디네이터", "팸투어"} <= set(result.terms)
    texts = {"title": title, "body": body}
    for hit in result.hits:
        original = texts[hit.field][hit.start : hit.end]
        if hit.term == "의료관광":
            assert original in ("의료 관광", "의료관광")
    assert "의료 관광" in hit_texts(result, title, body, "medical_tourism")
    assert hit_texts(result, title, body, "home")[0] == "인천"
    explanation = result.explanation()
    assert explanation["relevant"] is True and explanation["watchlist"] == "medical-tourism"
    # the stored explanation is the whole result: every field (a new one too) and every hit
    assert explanation == {**dataclasses.asdict(result), "relevant": True}
    assert len(explanation["hits"]) == len(result.hits) >= 2


def test_positions_skip_markup_and_entities(bundled: Matcher) -> None:
    body = "<p>시는&nbsp;<b>의료</b>&nbsp;관광 팸투어를 열었다.</p>"
    result = bundled.match("", body)
    assert hit_texts(result, "", body) == ["의료</b>&nbsp;관광", "팸투어"]


def test_no_match_says_why(bundled: Matcher) -> None:
    result = bundled.match("인천 OO병원 암센터 개원", "병원은 진료를 시작했다.")
    assert result.score == 0 and not result.relevant
    assert result.rule == "no rule fired; matched groups: medical"


def test_statistics_that_leave_residents_out_are_not_about_residents(bundled: Matcher) -> None:
    title = "작년 대구 병원 찾은 외국인 방문객 2만3천명"
    stats = "대구시는 지난해 지역 병·의원에서 진료를 받은 외국인 방문객(국내 거주 외국인 제외)이 2만3천명이라고 밝혔다."
    residents = "대구시는 국내 거주 외국인 300명이 지역 병·의원에서 진료를 받았다고 밝혔다."
    counted = bundled.match(title, stats)
    assert counted.excluded_by == []
    assert bundled.match(title, residents).excluded_by == ["국내 거주 외국인 의료지원"]

# --- snippets ----------------------------------------------------------------------------


def unmark(text: str) -> str:
    return text.replace(MARK_START, "[").replace(MARK_END, "]")


def test_title_snippet_marks_every_hit(bundled: Matcher) -> None:
    result = bundled.match("인천시, 의료 관광 팸투어", "의료관광 팸투어를 열었다.")
    assert unmark(result.snippet_title) == "[인천]시, [의료 관광] [팸투어]"


def test_body_snippet_is_the_densest_passage_cut_at_sentences(bundled: Matcher) -> None:
    filler = "구는 이날 도로 포장 공사 일정을 안내했다. " * 8
    core = "몽골 울란바토르에서 열린 의료관광 설명회에서 병원 3곳이 현지 환자와 1대1 상담을 했다."
    body = filler + core + " " + filler
    result = bundled.match("구 소식", body)
    snippet = unmark(result.snippet_body)
    assert "[의료관광] [설명회]" in snippet
    assert snippet.startswith("[몽골]") or snippet.startswith("…")
    assert len(result.snippet_body) <= 200
    assert snippet.rstrip("…").endswith(".")


def test_body_snippet_without_hits_is_the_lead(bundled: Matcher) -> None:
    body = "구는 이날 도로 포장 공사 일정을 안내했다. " * 20
    snippet = bundled.match("", body).snippet_body
    assert snippet.startswith("구는 이날") and MARK_START not in snippet
    assert len(snippet) <= 170


def test_snippets_drop_markup_and_stray_markers(bundled: Matcher) -> None:
    body = "<p>의료관광&amp;팸투어\x02 소식</p>"
    snippet = bundled.match("", body).snippet_body
    assert unmark(snippet) == "[의료관광]&[팸투어] 소식"


# --- odd input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "body"),
    [
        pytest.param("", "", id="empty"),
        pytest.param("   ", "\n\n", id="blank"),
        pytest.param("醫療觀光 中國 患者", "中國人 患者 誘致", id="hanja-only"),
        pytest.param("Иван Петров", "Медицинский туризм в Корее", id="cyrillic"),
        pytest.param("&nbsp;&lt;&gt;&amp;", "<br><br/><div></div>&#x27;&#39;", id="only-markup"),
        pytest.param("\x00\x01\ufeff", "\ud7a3\U0001f600" * 10, id="controls-and-emoji"),
    ],
)
def test_odd_input_gives_an_empty_match(bundled: Matcher, title: str, body: str) -> None:
    result = bundled.match(title, body)
    assert result.score == 0 and not result.relevant and result.hits == []


def test_hanja_and_cyrillic_do_not_hide_korean_terms(bundled: Matcher) -> None:
    result = bundled.match(
        "中 의료관광객 급증", "Иван Петров 씨 등 러시아 환자 20명이 인천을 찾았다."
    )
    assert result.relevant
    assert {"의료관광", "러시아", "환자"} <= set(result.terms)


def test_html_leftovers_are_decoded_before_matching(bundled: Matcher) -> None:
    result = bundled.match("의료&nbsp;관광 특구&#44; 지정", "<b>외국인</b>&nbsp;환자 유치</p>")
    assert {"의료관광", "외국인 환자"} <= set(result.terms)


def test_a_line_break_tag_separates_like_a_line_break(bundled: Matcher) -> None:
    result = bundled.match("", "외국인<br>환자")
    assert "외국인 환자" not in result.terms


def test_one_megabyte_body(bundled: Matcher) -> None:
    sentence = "구는 이날 몽골 의료관광 설명회에서 병원 3곳이 현지 환자와 상담을 했다. "
    body = sentence * (1_000_000 // len(sentence.encode()))
    result = bundled.match("의료관광 설명회", body)
    assert result.relevant and len(result.snippet_body) <= 200


# --- only the article text decides -------------------------------------------------------

CHROME = (
    "가장 많이 본 뉴스 1 어린이집 보육료 지원 확대 2 교통문화 우수 자치구 선정 3 전통시장 "
    "상권 살리기 4 통신 서비스 품질 평가 관련기사 최신뉴스 기사 메일전송 인쇄 목록 바로가기 "
    "서울 12℃ 인천 11℃ 수원 13℃ 기상청 제공 2026년 01월 02일 (금)"
)


def test_page_chrome_alone_does_not_match(bundled: Matcher) -> None:
    assert bundled.match("", CHROME).score == 0


def test_the_article_text_decides(bundled: Matcher) -> None:
    title = "영등포구, 몽골 의료관광 설명회 참가"
    body = "구는 울란바토르에서 지역 병원 3곳과 함께 현지 환자 상담을 진행했다."
    alone = bundled.match(title, body)
    assert alone.relevant
    unrelated = bundled.match("전통시장 상권 살리기", "구는 전통시장 상인회와 간담회를 열었다.")
    assert not unrelated.relevant


# --- classify ----------------------------------------------------------------------------


def test_classify_line(bundled: Matcher) -> None:
    out = classify_line(
        bundled, {"id": 7, "title": "외국인 환자 유치 실적 역대 최고", "body": "", "extra": 1}
    )
    assert set(out) == {"id", "relevant", "score", "matched"}
    assert out["id"] == 7 and out["relevant"] is True
    assert isinstance(out["score"], float) and out["matched"] == ["외국인 환자", "유치"]


def test_classify_line_missing_text_is_empty(bundled: Matcher) -> None:
    out = classify_line(bundled, {"id": "a", "title": None})
    assert out == {"id": "a", "relevant": False, "score": 0.0, "matched": []}


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        pytest.param([1, 2], "JSON object", id="not-an-object"),
        pytest.param({"title": "x"}, "missing 'id'", id="no-id"),
        pytest.param({"id": 1, "body": 3}, "'body' must be a string", id="body-not-text"),
    ],
)
def test_classify_line_rejects_bad_lines(bundled: Matcher, obj: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        classify_line(bundled, obj)  # type: ignore[arg-type]
