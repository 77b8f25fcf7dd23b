"""Loading watchlists: the bundled one, and errors that name the file, the place and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.match import WatchlistError, load_watchlist, load_watchlists

WATCHLISTS = Path(__file__).resolve().parents[1] / "settings" / "watchlists"

VALID = """
name = "시험"
threshold = 5

[groups.medical]
weight = 4
terms = ["의료관광", "외국인 환자"]

[groups.place]
weight = 1
terms = ["병원"]

[[rules]]
require = ["medical"]
"""


def write(tmp_path: Path, text: str, name: str = "test-list.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str, name: str = "test-list.toml") -> str:
    with pytest.raises(WatchlistError) as info:
        load_watchlist(write(tmp_path, text, name))
    return str(info.value)


def test_bundled_watchlist_loads() -> None:
    watchlist = load_watchlist(WATCHLISTS / "medical-tourism.toml")
    assert watchlist.id == "medical-tourism"
    assert watchlist.name == "의료관광"
    assert watchlist.threshold == 6
    assert watchlist.home is not None and watchlist.home.name == "인천"
    districts = {t.text for t in watchlist.home.districts}
    assert (
        set("중구 동구 미추홀구 연수구 남동구 부평구 계양구 서구 강화군 옹진군".split())
        <= districts
    )


def test_load_watchlists_keys_by_file_name(tmp_path: Path) -> None:
    write(tmp_path, VALID, "a-list.toml")
    write(tmp_path, VALID, "b-list.toml")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    assert sorted(load_watchlists(tmp_path)) == ["a-list", "b-list"]
    assert "medical-tourism" in load_watchlists(WATCHLISTS)


def test_a_valid_small_watchlist_has_defaults(tmp_path: Path) -> None:
    watchlist = load_watchlist(write(tmp_path, VALID))
    assert watchlist.score.title_boost == 3 and watchlist.exclude == [] and watchlist.home is None


def test_watchlist_error_is_a_value_error() -> None:
    assert issubclass(WatchlistError, ValueError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            VALID.replace("weight = 4", "wieght = 4"),
            ["groups.medical.wieght", "unknown key", "did you mean 'weight'", "(line 6)"],
            id="unknown-key-in-group",
        ),
        pytest.param(
            VALID.replace('"외국인 환자"]', '{ text = "외국인 환자", wordstart = true }]'),
            ["groups.medical.terms[1].wordstart", "unknown key", "word_start"],
            id="unknown-key-in-term",
        ),
        pytest.param(
            VALID + "\n[scoring]\ntitle_boost = 2\n",
            ["scoring", "unknown key", "did you mean 'score'"],
            id="unknown-table",
        ),
        pytest.param(
            VALID.replace('terms = ["병원"]', "terms = []"),
            ["groups.place.terms", "empty", "add at least one term"],
            id="empty-group",
        ),
        pytest.param(
            VALID.replace('"병원"', '{ regex = "(몽골|러시아" }'),
            ["groups.place.terms[0].regex", "bad regular expression", "fix the pattern"],
            id="bad-regex",
        ),
        pytest.param(
            VALID.replace('"병원"', '{ regex = "환자?" }').replace('"환자?"', '"(환자)?"'),
            ["groups.place.terms[0].regex", "can match empty text"],
            id="regex-matching-nothing",
        ),
        pytest.param(
            VALID.replace('"병원"', '{ regex = "외국 환자" }'),
            ["groups.place.terms[0].regex", "contains a space"],
            id="regex-with-space",
        ),
        pytest.param(
            VALID.replace('"병원"', '{ text = "병원", regex = "병원" }'),
            ["groups.place.terms[0]", "exactly one"],
            id="text-and-regex",
        ),
        pytest.param(
            VALID.replace("threshold = 5", "threshold = 50"),
            [
                "threshold",
                "50 cannot be reached",
                "highest possible score is 11",
                "lower the threshold",
            ],
            id="unreachable-threshold",
        ),
        pytest.param(
            VALID.replace("threshold = 5", "threshold = 0"),
            ["threshold", "greater than 0"],
            id="zero-threshold",
        ),
        pytest.param(
            VALID.replace("threshold = 5\n", ""),
            ["threshold", "missing", "threshold = 6"],
            id="missing-threshold",
        ),
        pytest.param(
            VALID.replace("weight = 4", 'weight = "heavy"'),
            ["groups.medical.weight", "a number"],
            id="weight-not-a-number",
        ),
        pytest.param(
            VALID.replace('require = ["medical"]', 'require = ["medicl"]'),
            ["rules[0].require[0]", "no group named 'medicl'", "medical, place"],
            id="rule-names-unknown-group",
        ),
        pytest.param(
            VALID
            + '\n[[exclude]]\nname = "사고"\nterms = ["사망"]\npenalty = 3\nunless = ["plac"]\n',
            ["exclude[0].unless[0]", "no group named 'plac'", "medical, place"],
            id="unless-names-unknown-group",
        ),
        pytest.param(
            VALID.replace('require = ["medical"]', 'require = ["medical", "place | medical"]'),
            ["rules[0].require[1]", "named twice"],
            id="rule-names-a-group-twice",
        ),
        pytest.param(
            VALID.replace('require = ["medical"]', "require = []"),
            ["rules[0].require", "empty"],
            id="rule-requires-nothing",
        ),
        pytest.param(
            VALID.replace('terms = ["병원"]', 'terms = ["의료 관광"]'),
            ["groups.place.terms[0]", "already a term at groups.medical.terms[0]"],
            id="term-in-two-groups",
        ),
        pytest.param(
            VALID.replace('"병원"', '{ text = "유치", not_in = ["어린이집"] }'),
            ["groups.place.terms[0].not_in[0]", "does not contain", "can never apply"],
            id="not-in-without-the-term",
        ),
        pytest.param(
            VALID.replace('"병원"', '"병원, 의원"'),
            ["groups.place.terms[0].text", "split it into separate terms"],
            id="term-with-a-separator",
        ),
        pytest.param(
            VALID.replace('"병원"', '"·"'),
            ["groups.place.terms[0].text", "no letters"],
            id="term-without-letters",
        ),
        pytest.param(
            VALID.replace('"병원"', "3"),
            ["groups.place.terms[0]", "a string or a table"],
            id="term-of-wrong-type",
        ),
        pytest.param(
            'id = "other"\n' + VALID,
            ["id", "its file name", "remove the line", "(line 1)"],
            id="id-in-the-file",
        ),
        pytest.param(
            VALID.replace("[groups.place]", "[groups.home]"),
            ["groups.home", "rename the group"],
            id="reserved-group-name",
        ),
        pytest.param(
            VALID + '\n[[exclude]]\nname = "x"\nterms = ["다문화"]\n',
            ["exclude[0].penalty", "missing"],
            id="exclusion-without-penalty",
        ),
        pytest.param(
            VALID.replace("name = ", "name = = "),
            ["not valid TOML", "line 2", "fix the syntax"],
            id="toml-syntax",
        ),
    ],
)
def test_errors_name_the_place_and_the_fix(tmp_path: Path, text: str, expected: list[str]) -> None:
    message = error_of(tmp_path, text)
    assert "test-list.toml" in message
    for part in expected:
        assert part in message


def test_the_id_comes_from_the_file_name(tmp_path: Path) -> None:
    message = error_of(tmp_path, VALID, name="Medical_Tourism.toml")
    assert "'Medical_Tourism'" in message and "rename the file" in message


def test_a_missing_directory_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(WatchlistError, match="NEWSWATCH_WATCHLISTS_DIR"):
        load_watchlists(tmp_path / "nowhere")


def test_a_missing_file_is_a_watchlist_error(tmp_path: Path) -> None:
    with pytest.raises(WatchlistError, match="cannot read"):
        load_watchlist(tmp_path / "absent.toml")
