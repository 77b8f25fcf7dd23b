"""Korean text normalisation: what matching sees, and the map back to the original text."""

from __future__ import annotations

import pytest

from crawler.korean import normalize, normalize_term, strip_markup


def key(text: str) -> str:
    """The normalised text without the spaces the matcher skips."""
    return normalize(text).text.replace(" ", "")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("의료 관광", "의료관광", id="spacing"),
        pytest.param("외국인환자", "외국인 환자", id="spacing-compound"),
        pytest.param("의료·관광", "의료관광", id="middle-dot"),
        pytest.param("의료ㆍ관광", "의료관광", id="hangul-araea-as-dot"),
        pytest.param("K-의료", "k의료", id="hyphen-and-latin-case"),
        pytest.param("ＫＨＩＤＩ", "khidi", id="fullwidth-latin"),
        pytest.param("의료\u3000관광", "의료관광", id="ideographic-space"),
        pytest.param("의료\u00a0관광", "의료관광", id="no-break-space"),
        pytest.param("의료\u200b관광", "의료관광", id="zero-width-space"),
        pytest.param("\u1112\u1161\u11ab\u1100\u116e\u11a8", "한국", id="decomposed-hangul"),
        pytest.param("㈜인천", "주인천", id="parenthesised-compatibility"),
        pytest.param("'의료관광'", "의료관광", id="quotes"),
        pytest.param("(의료)관광", "의료관광", id="brackets"),
        pytest.param("의료&nbsp;관광", "의료관광", id="entity-nbsp"),
        pytest.param("의료<br>관광", "의료|관광", id="br-is-a-line-break"),
        pytest.param("<b>의료</b>관광", "의료관광", id="inline-tag"),
        pytest.param("MOU", "mou", id="latin-upper"),
    ],
)
def test_equivalent_spellings_normalise_alike(a: str, b: str) -> None:
    assert key(a) == key(b)


@pytest.mark.parametrize(
    "text",
    ["의료관광객들은", "의료관광을", "의료관광에서의", "의료관광과"],
)
def test_particles_stay_attached_so_the_term_is_a_substring(text: str) -> None:
    assert "의료관광" in key(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("의료. 관광", "의료.관광", id="full-stop"),
        pytest.param("의료, 관광", "의료,관광", id="comma"),
        pytest.param("의료\n관광", "의료|관광", id="line-break"),
        pytest.param("▲의료 ▲관광", "▲의료▲관광", id="bullets"),
        pytest.param("의료…관광", "의료...관광", id="ellipsis-nfkc"),
    ],
)
def test_sentence_and_list_boundaries_are_kept(text: str, expected: str) -> None:
    assert key(text) == expected


def test_normalised_text_keeps_the_length_of_the_nfkc_text() -> None:
    norm = normalize("인천시·관광공사, 의료관광 팸투어")
    assert len(norm.text) == len(norm.spaced) == len(norm.display)


@pytest.mark.parametrize(
    ("text", "needle", "expected"),
    [
        pytest.param("인천시, 의료 관광 활성화", "의료관광", "의료 관광", id="plain"),
        pytest.param("ＫＨＩＤＩ와 협약", "khidi", "ＫＨＩＤＩ", id="fullwidth"),
        pytest.param("의료&nbsp;관광 상품", "의료관광", "의료&nbsp;관광", id="entity-inside"),
        pytest.param("<p>의료<b>관광</b></p>", "의료관광", "의료<b>관광", id="tag-inside"),
        pytest.param("… 의료관광", "의료관광", "의료관광", id="after-expanded-ellipsis"),
    ],
)
def test_spans_map_back_to_the_original_text(text: str, needle: str, expected: str) -> None:
    norm = normalize(text)
    compact = norm.text.replace(" ", "")
    i = compact.index(needle)
    positions = [p for p, ch in enumerate(norm.text) if ch != " "]
    start, end = norm.to_source(positions[i], positions[i + len(needle) - 1] + 1)
    assert text[start:end] == expected


def test_splits_report_where_the_original_had_spaces() -> None:
    norm = normalize("의료비 자부담")
    assert norm.splits(0, len(norm.text)) == [3]
    assert normalize_term("의료 비자") == ("의료비자", frozenset({2}))
    assert normalize_term("의료관광") == ("의료관광", frozenset())


def test_hanja_cyrillic_and_empty_text_pass_through() -> None:
    assert key("醫療觀光") == "醫療觀光"
    assert key("Иван ПЕТРОВ") == "иванпетров"
    assert key("") == ""


def test_angle_brackets_around_korean_are_text_not_tags() -> None:
    assert strip_markup("<매일노동뉴스>는 5 < 6") == "<매일노동뉴스>는 5 < 6"
    assert strip_markup("A<br/>B &amp; C<!-- x -->") == "A\nB & C"
