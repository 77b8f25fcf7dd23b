"""How the matcher looks terms up gives the results of the plain definitions.

The matcher does not run its automaton over `Normalized.text` but over a text of its own,
made in one numpy step (letters of the terms as codes, everything else one filler), with
an article's fields joined; texts it cannot make that way (characters outside the BMP, İ,
Σ) take the plain way.  Its results leave hits and snippets to be made when first read.
These tests hold each shortcut to the plain behaviour.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import random
from pathlib import Path

import pytest

from crawler.korean import (
    _MARKUP_RE,
    _split_markup,
    context_cased,
    match_chars,
    match_text,
    normalize,
    strip_markup,
)
from crawler.match import Matcher, load_watchlist
from crawler.types import MatchResult, TermHit

BUNDLED = Path(__file__).resolve().parents[1] / "settings" / "watchlists" / "medical-tourism.toml"

ARTICLE = (
    "인천시, 러시아어권 의료 코디네이터 초청 의료관광 팸투어",
    "인천시와 인천관광공사는 러시아·몽골 의료 코디네이터 28명을 초청해 의료관광&nbsp;팸투어를 "
    "열었다. 참가자들은 <b>병원</b> 3곳을 둘러보고 외국인 환자 유치 설명회에 참석했다.\n"
    "시는 MOU를 맺은 현지 에이전시와 함께 환자 송출을 늘릴 계획이다.",
)


@pytest.fixture(scope="module")
def bundled() -> Matcher:
    return Matcher(load_watchlist(BUNDLED))


def matcher_for(tmp_path: Path, toml: str, name: str = "test") -> Matcher:
    path = tmp_path / f"{name}.toml"
    path.write_text(toml, encoding="utf-8")
    return Matcher(load_watchlist(path))


def essentials(result: MatchResult) -> tuple[object, ...]:
    return (result.score, result.rule, result.groups, result.terms, result.hits, result.excluded_by)


# --- the result ----------------------------------------------------------------------------


def test_result_reads_like_a_match_result(bundled: Matcher) -> None:
    result = bundled.match(*ARTICLE)
    assert result.relevant and result.hits and result.snippet_body
    plain = MatchResult(
        **{f.name: getattr(result, f.name) for f in dataclasses.fields(MatchResult)}
    )
    assert result == plain and plain == result
    assert result.explanation() == plain.explanation()
    assert repr(result) == repr(plain)
    for copied in (pickle.loads(pickle.dumps(result)), copy.copy(result), copy.deepcopy(result)):
        assert type(copied) is MatchResult and copied == plain
    assert dataclasses.replace(result, score=1.0) == dataclasses.replace(plain, score=1.0)
    assert all(isinstance(hit, TermHit) for hit in result.hits)


def test_result_pickles_with_its_hits_before_they_are_read(bundled: Matcher) -> None:
    result = bundled.match(*ARTICLE)
    copied = pickle.loads(pickle.dumps(result))
    assert copied.hits == result.hits and copied.snippet_title == result.snippet_title


def test_a_field_set_before_it_is_read_stays(bundled: Matcher) -> None:
    result = bundled.match(*ARTICLE)
    result.snippet_body = "edited"
    assert result.snippet_body == "edited"
    assert result.snippet_title.startswith("\x02인천\x03")  # the others are still made
    assert result.explanation()["snippet_body"] == "edited"


# --- the lookup text -----------------------------------------------------------------------


def test_match_chars_are_match_text_character_by_character() -> None:
    chars, special = match_chars(), set(context_cased())
    assert len(chars) == 0x10000 and {"\u0130", "\u03a3"} <= special
    for cp in range(0x10000):
        ch = chr(cp)
        if not (0xD800 <= cp <= 0xDFFF or ch in special):
            assert match_text(ch) == chars[cp], hex(cp)
    for text in ARTICLE + ("ＫＨＩＤＩ·MOU\u00a0체결…", "Иван Петров\tБОЛЬНИЦА\r\n"):
        spaced = normalize(text).spaced
        assert match_text(spaced) == "".join(chars[ord(ch)] for ch in spaced)


@pytest.mark.parametrize(
    "odd",
    [
        pytest.param("\U0001f600", id="emoji"),
        pytest.param("\U0001d400\U0001d401", id="mathematical-letters"),
        pytest.param("İstanbul", id="dotted-capital-I"),
        pytest.param("ΑΣ ΚΑΙ Σ.", id="capital-sigma"),
        pytest.param("\U00020000", id="ideograph-outside-the-BMP"),
    ],
)
def test_characters_the_fast_lookup_cannot_take_change_no_hit(bundled: Matcher, odd: str) -> None:
    title, body = ARTICLE
    before = bundled.match(title, body)
    for after in (bundled.match(title, body + "\n" + odd), bundled.match(title, body, odd)):
        assert essentials(after) == essentials(before)


MANY_LETTERS = """
name = "많은 글자"
threshold = 4

[groups.core]
weight = 3
terms = ["의료관광", { text = "유치", not_in = ["유치원"] }, { text = "비자", word_start = true }, "MOU"]

[groups.place]
weight = 1
terms = ["몽골", { text = "외국", word_start = true }]

[[rules]]
require = ["core"]

[[rules]]
require = ["place", "core"]
within = 10
bonus = 1
"""


HANJA_PAIRS = [chr(0x4E00 + 2 * i) + chr(0x4E01 + 2 * i) for i in range(150)]


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param(HANJA_PAIRS, id="letters-beyond-byte-codes"),
        pytest.param(["\U00020000\U00020001", "醫療"], id="letter-outside-the-BMP"),
    ],
)
def test_terms_with_other_letters_change_no_hit(tmp_path: Path, extra: list[str]) -> None:
    plain = matcher_for(tmp_path, MANY_LETTERS, "plain")
    group = f"[groups.hanja]\nweight = 1\nterms = [{', '.join(map(repr, extra))}]\n\n"
    more = matcher_for(tmp_path, MANY_LETTERS.replace("[[rules]]", group + "[[rules]]", 1), "more")
    texts = [
        ARTICLE,
        ("소비자 유치원", "외국 비자 MOU 몽골 유치원 의료 관광\n유치"),
        ("", "famous MOUs, 입국 비자, 재외국민 외국인 유치 \U0001f600"),
    ]
    for title, body in texts:
        assert essentials(more.match(title, body)) == essentials(plain.match(title, body))
    found = more.match("", f"{extra[-1]} 의료관광 {extra[0]}")
    assert found.groups == ["hanja", "core"] and found.terms == [extra[-1], "의료관광", extra[0]]


LINE_BREAK = """
name = "줄"
threshold = 1

[groups.core]
weight = 2
terms = [{ text = "유치", not_in = ["유치|원"] }]

[[rules]]
require = ["core"]
"""


def test_a_not_in_word_across_a_line_break_never_joins_fields(tmp_path: Path) -> None:
    matcher = matcher_for(tmp_path, LINE_BREAK)
    assert [h.field for h in matcher.match("관광객 유치", "원아 모집").hits] == ["title"]
    assert [h.field for h in matcher.match("관광객 유치", "", "원아 모집").hits] == ["title"]
    assert matcher.match("", "관광객 유치\n원아 모집").hits == []  # within a field it applies


# --- markup --------------------------------------------------------------------------------


def test_markup_is_split_as_by_one_pattern() -> None:
    atoms = [
        "<", ">", "&", ";", "#", "x", "X", "a", "b1", "amp", "nbsp", "<!--", "-->", "<br>", "</p>",
        "<b class='&amp;'>", "&#12;", "&#x1F;", "&amp;", " ", "\n", "가", "<매일>", '"', "<a\nhref=x>",
        "&lt;", "&#99999999;", "<" + "a" * 20 + ">",
    ]  # fmt: skip
    rng = random.Random(5)
    for _ in range(20000):
        text = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 12)))
        assert _split_markup(text) == _MARKUP_RE.split(text), repr(text)
    assert strip_markup("<p>의료&amp;관광<br/>팸투어</p>") == "\n의료&관광\n팸투어\n"


def test_a_term_spaced_out_longer_than_a_rule_window_is_no_crash(bundled: Matcher) -> None:
    """Spacing-insensitive matching finds a place name typed letter by letter; spread wider
    than a rule's `within`, it simply cannot be in that rule's window (it once raised IndexError)."""
    result = bundled.match("", "환자 블 라 디 보 스 토 크")
    assert not result.relevant
    near = bundled.match("블라디보스토크 환자 유치 설명회", "블라디보스토크에서 온 환자들이 인천의 병원을 찾았다.")
    assert near.score > result.score
