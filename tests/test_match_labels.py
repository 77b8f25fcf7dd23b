"""The office's labels close the loop: `watchlist test ID --labels` and `watchlist suggest ID`.

Stories are stored and labelled as the mail links and `newswatch label` do; the watchlist is
then scored on those labels, every labelled story it gets wrong is listed with its explanation,
and `suggest` proposes (never applies) the one-line edit that fixes the most of them.
"""

from __future__ import annotations

import difflib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.cli import main
from crawler.match import load_watchlist
from crawler.match.suggest import _add_term, _new_exclusion, _set_group_weight, _set_rule_within
from crawler.ops.feedback import record_label
from crawler.store import Database
from tests.support.ops import add_article, write_watchlist
from tests.support.watchlists import FOREIGN_PATIENT_GROUPS, foreign_patient_rule

WL = "label-loop"
WATCHLIST = """
name = "의료관광 시험"
threshold = 5

[groups.mt]
label = "의료관광"
weight = 5
terms = ["의료관광"]
""" + FOREIGN_PATIENT_GROUPS + """
[[rules]]
name = "의료관광"
require = ["mt"]
""" + foreign_patient_rule(bonus=2) + """
[[exclude]]
name = "채용"
terms = [
  "채용 공고",
]
within = 60
penalty = 5
"""


@pytest.fixture
def wl_path(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = home / "watchlists"
    path = write_watchlist(d, WATCHLIST, name=WL)
    monkeypatch.setenv("NEWSWATCH_WATCHLISTS_DIR", str(d))
    return path


def label(db: Database, story_id: int, verdict: str, now: datetime | None = None) -> None:
    with db.session() as s:
        record_label(s, watchlist_id=WL, story_id=story_id, verdict=verdict, recipient="team@example.org",
                     source="mail", now=now)  # fmt: skip


@pytest.fixture
def labelled(db: Database, wl_path: Path) -> dict[str, int]:
    """Two wanted stories, two unwanted ones about trainee doctors, and one missed story."""
    stories = {
        "briefing": add_article(db, title="연수구, 몽골 의료관광 설명회", body="구는 울란바토르에서 의료관광 설명회를 열었다."),
        "patients": add_article(db, title="몽골 환자 40명 수술", body="몽골 환자 40명이 인천의 병원에서 수술을 받았다."),
        "trainees": add_article(db, title="몽골 의사 연수생 입교", body="몽골 의사 연수생 6명이 의료관광 특구 병원에서 연수를 시작했다."),
        "trainees2": add_article(db, title="러시아 의사 연수생 수료", body="러시아 의사 연수생들이 의료관광 도시의 병원에서 과정을 마쳤다."),
        "missed": add_article(db, title="카자흐 환자 치료", body="카자흐스탄에서 온 어린이가 심장 수술을 받았다."),
    }  # fmt: skip
    verdicts = {"briefing": "relevant", "patients": "relevant", "trainees": "irrelevant",
                "trainees2": "irrelevant", "missed": "relevant"}  # fmt: skip
    for key, stored in stories.items():
        label(db, stored.story_id, verdicts[key])
    return {key: stored.story_id for key, stored in stories.items()}


def test_watchlist_test_scores_the_stored_labels_and_explains_each_miss(
    labelled: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["watchlist", "test", WL, "--labels"]) == 0
    out = capsys.readouterr().out
    assert f"watchlist {WL}: 5 stories the office labelled" in out
    assert "precision 0.500  recall 0.667" in out
    assert (
        f"labelled not relevant, matched: story {labelled['trainees']}  몽골 의사 연수생 입교"
        in out
    )
    assert f"labelled relevant, not matched: story {labelled['missed']}  카자흐 환자 치료" in out
    assert (
        "carried by (body): 몽골 의사 연수생 6명이 [의료관광] 특구 병원에서 연수를 시작했다" in out
    )
    assert f"story {labelled['briefing']}" not in out  # right answers are not listed


def test_the_newest_label_counts_and_since_picks_by_date(
    db: Database, labelled: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    label(db, labelled["trainees2"], "relevant")  # the office changed its mind
    old = datetime.now(UTC) - timedelta(days=30)
    older = add_article(db, title="의료관광 옛 기사", body="의료관광 옛 기사.")
    label(db, older.story_id, "irrelevant", now=old)
    since = (datetime.now(UTC) - timedelta(days=7)).date().isoformat()
    assert main(["watchlist", "test", WL, "--labels", "--since", since]) == 0
    out = capsys.readouterr().out
    assert f"5 stories the office labelled since {since}" in out
    assert f"story {labelled['trainees2']}" not in out and "의료관광 옛 기사" not in out
    assert main(["watchlist", "test", WL, "--labels"]) == 0
    assert "6 stories the office labelled" in capsys.readouterr().out


def test_no_labels_says_where_they_come_from(
    db: Database, wl_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["watchlist", "test", WL, "--labels"]) == 0
    assert "no labels yet" in capsys.readouterr().out


def test_file_or_labels_not_both(wl_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watchlist", "test", WL]) == 2
    assert "either FILE.jsonl or --labels" in capsys.readouterr().err


def test_suggest_proposes_an_exclusion_as_a_toml_diff_and_applies_nothing(
    labelled: dict[str, int], wl_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = wl_path.read_text(encoding="utf-8")
    assert main(["watchlist", "suggest", WL, "--no-dev"]) == 0
    out = capsys.readouterr().out
    assert (
        "3 now wrong (2 matched but labelled not relevant, 1 labelled relevant but not matched)"
        in out
    )
    assert "proposed (exclusion): add '연수생' to the exclusion '채용'" in out
    assert "labels:  precision 0.500 -> 1.000, recall 0.667 -> 0.667 (2 fixed, 0 broken)" in out
    assert '+  "연수생",   # proposed by `watchlist suggest`' in out
    assert f"--- {wl_path}" in out
    assert wl_path.read_text(encoding="utf-8") == before  # proposed, never applied


def test_suggest_with_nothing_to_fix(
    db: Database, wl_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stored = add_article(db, title="몽골 의료관광 설명회", body="의료관광 설명회가 열렸다.")
    label(db, stored.story_id, "relevant")
    assert main(["watchlist", "suggest", WL, "--no-dev"]) == 0
    assert "nothing to fix" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("edit", "check"),
    [
        (
            lambda t: _add_term(t, 0, "연수생"),
            lambda w: [x.text for x in w.exclude[0].terms][-1] == "연수생",
        ),
        (
            lambda t: _set_group_weight(t, "patient", 1.5),
            lambda w: w.groups["patient"].weight == 1.5,
        ),
        (lambda t: _set_rule_within(t, 1, 15), lambda w: w.rules[1].within == 15),
    ],
    ids=["exclusion-term", "group-weight", "rule-within"],
)
def test_each_edit_changes_one_line_and_stays_valid(tmp_path: Path, edit, check) -> None:  # type: ignore[no-untyped-def]
    text = edit(WATCHLIST)
    diff = list(difflib.ndiff(WATCHLIST.splitlines(), text.splitlines()))
    added, removed = sum(x.startswith("+ ") for x in diff), sum(x.startswith("- ") for x in diff)
    assert added == 1 and removed <= 1
    path = tmp_path / "edited.toml"
    path.write_text(text, encoding="utf-8")
    assert check(load_watchlist(path))


def test_a_new_exclusion_context_goes_after_the_last_exclusion(tmp_path: Path) -> None:
    text = _new_exclusion(WATCHLIST + "\n# --- home ---\n", "선원", 60, 6.5)
    assert text is not None
    assert text.index('name = "선원 (제안)"') > text.index('name = "채용"')
    assert text.index('name = "선원 (제안)"') < text.index("# --- home ---")
    path = tmp_path / "edited.toml"
    path.write_text(text, encoding="utf-8")
    excl = load_watchlist(path).exclude[-1]
    assert ([t.text for t in excl.terms], excl.within, excl.penalty) == (["선원"], 60, 6.5)
