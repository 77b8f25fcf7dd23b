"""`newswatch classify --explain`: why each article got its score, in words a person can check.

Per article: every rule that fired in words (its groups with the terms that hit), the sentence
that carried it with those terms in [brackets], and the exclusions considered — applied, too far
from the subject, or overruled by an `unless` group close by.  The articles are written here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.match import Matcher, load_watchlist
from crawler.match.explain import explain
from tests.support.cli import cli_env, newswatch
from tests.support.env import ROOT
from tests.support.watchlists import FOREIGN_PATIENT_GROUPS, foreign_patient_rule

BUNDLED = ROOT / "settings" / "watchlists" / "medical-tourism.toml"

SMALL = """
name = "시험"
threshold = 5

[groups.core]
label = "의료관광"
weight = 4
terms = ["의료관광"]
""" + FOREIGN_PATIENT_GROUPS + """
[groups.clinic]
weight = 0.5
terms = ["성형외과"]

[[rules]]
name = "의료관광"
require = ["core"]
""" + foreign_patient_rule(bonus=3) + """
[[exclude]]
name = "사고"
terms = ["사망"]
within = 20
penalty = 4
unless = ["clinic"]

[[exclude]]
name = "근로자"
terms = ["근로자"]
within = 15
penalty = 3
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Matcher:
    path = tmp_path_factory.mktemp("wl") / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    return Matcher(load_watchlist(path))


def test_each_fired_rule_in_words_with_its_sentence(small: Matcher) -> None:
    e = explain(
        small,
        "구청, 의료관광 설명회",
        "구는 울란바토르에서 설명회를 열었다. 몽골 환자 40명이 상담했다.",
    )
    assert e.relevant
    words = {r.name: r for r in e.rules}
    assert words["의료관광"].words == "의료관광: 의료관광 (의료관광)"
    assert words["의료관광"].field == "title"
    assert words["의료관광"].sentence == "구청, [의료관광] 설명회"
    assert (
        words["외국 + 환자"].words == "외국 + 환자: 외국 (몽골) + 환자 (환자), within 10 characters"
    )
    assert words["외국 + 환자"].sentence == "[몽골] [환자] 40명이 상담했다"


def test_exclusions_say_why_they_did_or_did_not_apply(small: Matcher) -> None:
    e = explain(
        small,
        "",
        "몽골 환자가 교통사고로 사망했다. 의료관광 홍보 영상은 지난해 처음 나왔고, 올해는 그 영상을 "
        "본 외국인 근로자들이 병원 견학을 왔다는 소식이다.",
    )
    notes = {n.name: n for n in e.exclusions}
    assert notes["사고"].applied and "사망 near the subject" in notes["사고"].why
    assert not notes["근로자"].applied and "farther than 15 characters" in notes["근로자"].why
    clinic = explain(small, "", "몽골 환자가 성형외과 수술 뒤 사망했다.")
    note = {n.name: n for n in clinic.exclusions}["사고"]
    assert not note.applied and "성형외과 close to it" in note.why


def test_nothing_fired_says_so(small: Matcher) -> None:
    e = explain(small, "날씨", "맑음")
    assert not e.relevant and e.rules == [] and e.exclusions == []
    assert e.lines()[-1] == "  no rule fired; exclusions not considered"


def test_the_explanation_agrees_with_the_match(small: Matcher) -> None:
    title, body = "구청, 의료관광 설명회", "몽골 환자 40명이 상담했다. 근로자 무료 진료도 했다."
    result, e = small.match(title, body), explain(small, title, body)
    assert (e.score, e.relevant, e.summary) == (result.score, result.relevant, result.rule)
    assert [n.name for n in e.exclusions if n.applied] == result.excluded_by


def test_classify_explain_on_the_command_line(home: Path) -> None:
    path = home / "in.jsonl"
    lines = [
        {
            "id": "a",
            "title": "연수구, 몽골 현지 의료관광 설명회",
            "body": "구는 병원 3곳과 몽골 환자 상담회를 열었다.",
        },
        {"id": "b", "title": "송도 벚꽃축제", "body": "가족 관광객으로 붐볐다."},
    ]
    path.write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8"
    )
    text = newswatch(
        "classify", "--watchlist", "medical-tourism", "--explain", str(path), env=cli_env(home)
    )
    assert text.returncode == 0, text.stderr
    assert "a: 연수구, 몽골 현지 의료관광 설명회" in text.stdout
    assert "carried by (title): 연수구, 몽골 현지 [의료관광] 설명회" in text.stdout
    assert "b: 송도 벚꽃축제" in text.stdout
    js = newswatch(
        "classify", "--watchlist", "medical-tourism", "--explain-json", str(path), env=cli_env(home)
    )
    out = [json.loads(x) for x in js.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b"] and out[0]["relevant"] is True
    assert out[0]["explain"]["rules"][0]["sentence"] == "연수구, 몽골 현지 [의료관광] 설명회"
    assert out[1]["explain"]["rules"] == []


def test_bundled_watchlist_explains_every_rule_it_fires() -> None:
    matcher = Matcher(load_watchlist(BUNDLED))
    title, body = (
        "영등포구 의료기관, 몽골 현지 의료관광 설명회",
        "구는 관내 병원 3곳과 몽골 환자 1:1 상담을 했다.",
    )
    e = explain(matcher, title, body)
    assert len(e.rules) == len(matcher.verdict(title, body).fired) >= 2
    assert all("[" in r.sentence for r in e.rules)
