"""The recipients file: the bundled default loads; a bad entry names the file, the TOML path and the fix."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from crawler import paths
from crawler.alert.recipients import RecipientsError, load_recipients

GOOD = """
holidays = [2026-07-17]

[[recipient]]
address = "tourism@city.example"
name = "의료관광팀"
watchlists = ["medical-tourism"]
mode = "both"
immediate_min_score = 12.0
digest_times = ["17:00", "08:30"]
weekdays = ["mon", "tue", "wed", "thu", "fri"]
quiet_hours = "22:00-07:00"
skip_holidays = true
channel = "email"

[[recipient]]
address = "wellness@city.example"
watchlists = ["wellness"]
channel = "webhook"
webhook_url = "https://chat.example/hooks/abc"

[[maintainer]]
address = "ops@city.example"
name = "운영 담당"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipients.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_default_loads() -> None:
    r = load_recipients(paths.PROJECT_ROOT / "settings" / "recipients.toml")
    office = r.for_watchlist("medical-tourism")
    assert len(office) == 1 and office[0].address.endswith("@example.org")
    assert office[0].mode == "both" and office[0].digest_times == ("08:30",)
    assert office[0].weekdays == ("mon", "tue", "wed", "thu", "fri")
    assert [m.address for m in r.maintainers] == ["newswatch-ops@example.org"]


def test_default_path_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSWATCH_RECIPIENTS_FILE", str(write(tmp_path, GOOD)))
    assert len(load_recipients().recipient) == 2


def test_a_full_file(tmp_path: Path) -> None:
    r = load_recipients(write(tmp_path, GOOD))
    team = r.for_watchlist("medical-tourism")[0]
    assert team.digest_clock == [time(8, 30), time(17, 0)]
    assert team.quiet_window == (time(22, 0), time(7, 0))
    assert team.weekday_numbers == frozenset(range(5))
    assert [x.address for x in r.for_watchlist("wellness")] == ["wellness@city.example"]
    assert r.for_watchlist("nothing") == []
    assert r.holidays == (date(2026, 7, 17),)
    assert r.maintainers[0].name == "운영 담당"
    assert "ops@city.example" not in r.by_address()  # maintainers never get office mail


ENTRY = '[[recipient]]\naddress = "tourism@city.example"\nwatchlists = ["medical-tourism"]\n'

BAD = [
    (
        "unknown-key",
        ENTRY + 'modee = "digest"\n',
        r"recipient\[1\]\.modee \(tourism@city.example\): unknown key",
    ),
    (
        "bad-address",
        '[[recipient]]\naddress = "tourism at city"\nwatchlists = ["medical-tourism"]\n',
        r"recipient\[1\]\.address.*not an e-mail address",
    ),
    (
        "bad-mode",
        ENTRY + 'mode = "weekly"\n',
        r"recipient\[1\].*mode.*'immediate', 'digest' or 'both'.*weekly",
    ),
    ("bad-time", ENTRY + 'digest_times = ["8시 30분"]\n', r"digest_times.*HH:MM"),
    ("weekday-number", ENTRY + "weekdays = [1, 2]\n", r"weekdays\[1\]"),
    ("no-weekdays", ENTRY + "weekdays = []\n", r"weekdays.*at least one day"),
    ("bad-quiet-hours", ENTRY + 'quiet_hours = "22:00"\n', r"quiet_hours.*HH:MM-HH:MM"),
    ("webhook-without-url", ENTRY + 'channel = "webhook"\n', r'webhook_url = "https://'),
    (
        "no-watchlists",
        '[[recipient]]\naddress = "tourism@city.example"\n',
        r"watchlists.*required key is missing",
    ),
    (
        "bad-watchlist-id",
        '[[recipient]]\naddress = "a@city.example"\nwatchlists = ["Medical Tourism"]\n',
        r"not a watchlist id",
    ),
    ("maintainer-bad", '[[maintainer]]\naddress = "ops"\n', r"maintainer\[1\]\.address"),
    ("duplicate", ENTRY + ENTRY, r"recipient\[2\].*appears twice"),
    ("not-toml", "[[recipient]\n", r"not valid UTF-8 TOML"),
    ("top-level-typo", "recipients = []\n", r"recipients.*unknown key"),
]


@pytest.mark.parametrize(("text", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_file_says_where_and_how(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RecipientsError, match=message) as info:
        load_recipients(path)
    assert str(path) in str(info.value)


def test_a_missing_file_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(RecipientsError, match="NEWSWATCH_RECIPIENTS_FILE"):
        load_recipients(tmp_path / "nope.toml")
