"""The health rules as a table: runs in, verdict and evidence out; no crawl, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crawler.monitor.rules import RULES, OutletWindow, RunStats, evaluate

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
RULE = {r.name: r for r in RULES}


def runs(*specs: dict[str, Any], every: timedelta = timedelta(hours=1)) -> list[RunStats]:
    """Runs one `every` apart, the last one just before NOW."""
    start = NOW - every * len(specs)
    out = []
    for i, spec in enumerate(specs):
        spec = dict(spec)
        stats = spec.pop("stats", {})
        out.append(RunStats(started_at=start + every * i, stats=stats, **spec))
    return out


def window(rs: list[RunStats], *, family: str = "ndsoft", last_new_at: datetime | None = None,
           **overrides: float) -> OutletWindow:
    return OutletWindow("incheonilbo", family, NOW, rs, last_new_at, overrides)


BUSY = [{"new": 4, "requests": 6}] * 10
PAGES = {"articles/new": 8, "articles/updated": 1, "dropped/unchanged": 1}

CASES = [
    # rule, window, expected status, expected value
    ("no_new_articles", window(runs(*BUSY, *[{"new": 0, "requests": 1}] * 3)), "fail", 3),
    ("no_new_articles", window(runs(*BUSY, *[{"new": 0, "requests": 1}] * 2)), "pass", 2),
    ("no_new_articles", window(runs(*BUSY, *[{"new": 0}] * 2), runs_without_new=2), "fail", 2),
    ("no_new_articles", window(runs(*[{"new": 0}] * 8, {"new": 1}, *[{"new": 0}] * 5)), "skip", None),
    ("no_new_articles", window(runs(*BUSY, {"new": 0}, {"new": 0, "status": "running"})), "pass", 1),
    ("daily_volume", window(runs(*[{"new": 0}] * 30)), "skip", None),  # off unless min_new_per_day
    ("daily_volume", window(runs(*[{"new": 0}] * 30), min_new_per_day=1), "fail", 0),
    ("daily_volume", window(runs(*[{"new": 1}] * 30), min_new_per_day=5), "pass", 24),
    ("daily_volume", window(runs(*[{"new": 0}] * 3), min_new_per_day=1), "skip", None),
    ("missing_title", window(runs({"stats": {**PAGES, "dropped/no_title": 5}})), "fail", 5 / 15),
    ("missing_title", window(runs({"stats": {**PAGES, "dropped/no_title": 1}})), "pass", 1 / 11),
    ("missing_title", window(runs({"stats": {**PAGES, "dropped/no_title": 5}}), max_missing_field_ratio=0.5),
     "pass", 5 / 15),
    ("missing_title", window(runs({"stats": {"articles/new": 2, "dropped/no_title": 2}})), "skip", None),
    ("missing_body", window(runs({"stats": {**PAGES, "dropped/no_body": 10}})), "fail", 0.5),
    ("missing_date", window(runs({"stats": {**PAGES, "extract/pages": 10, "extract/no_date": 3}})), "fail", 0.3),
    ("missing_date", window(runs({"stats": {**PAGES, "extract/pages": 10, "extract/no_date": 0}})), "pass", 0),
    ("missing_date", window(runs({"stats": PAGES})), "skip", None),  # the stat is not recorded yet
    ("error_ratio", window(runs({"requests": 10, "errors": 5, "stats": {"errors/TimeoutError": 5}})), "fail", 0.5),
    ("error_ratio", window(runs({"requests": 10, "errors": 1})), "pass", 0.1),
    ("error_ratio", window(runs({"requests": 10, "errors": 5}), max_error_ratio=0.6), "pass", 0.5),
    ("error_ratio", window(runs({"requests": 2, "errors": 2})), "skip", None),
    ("empty_discovery", window(runs({"requests": 2, "stats": {"feed/entries": 0, "list/entries": 0}})), "fail", 0),
    ("empty_discovery", window(runs({"requests": 2, "stats": {"feed/entries": 0, "list/entries": 20}})), "pass", 20),
    ("empty_discovery", window(runs({"stats": {"list/entries": 5}}, {"stats": {"feed/not_modified": 1}})),
     "skip", None),
    ("empty_discovery", window(runs({"requests": 1, "errors": 1})), "skip", None),
    ("stale", window(runs({"new": 0}), last_new_at=NOW - timedelta(days=4)), "fail", 4),
    ("stale", window(runs({"new": 0}), last_new_at=NOW - timedelta(days=1)), "pass", 1),
    ("stale", window(runs({"new": 0}), last_new_at=NOW - timedelta(days=4), max_days_without_new=7), "pass", 4),
    ("stale", window([]), "skip", None),
    ("fallback", window(runs({"fallbacks": 2, "stats": {"extract/fallback": 2}})), "fail", 2),
    ("fallback", window(runs({"fallbacks": 0})), "pass", 0),
    # a redirect loop left an article unstored: the outlet's last run was incomplete
    ("incomplete", window(runs({"errors": 1, "stats": {"incomplete": 1, "errors/redirect_loop": 1}})), "fail", 1),
    ("incomplete", window(runs({"stats": {"incomplete": 1}}, {"new": 3})), "pass", 0),  # the next run caught up
    ("incomplete", window(runs({"stats": {"incomplete": 1}}, {"status": "running"})), "fail", 1),
    ("fallback", window(runs({"fallbacks": 2}), family="generic"), "skip", None),
]


@pytest.mark.parametrize(("rule", "win", "status", "value"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_table(rule: str, win: OutletWindow, status: str, value: float | None) -> None:
    check = RULE[rule].check(win)
    assert check.status == status, check
    assert check.outlet_id == "incheonilbo" and check.rule == rule
    if value is None:
        assert check.value is None and check.message  # a skip says why
    else:
        assert check.value == pytest.approx(value)


def test_a_violation_names_outlet_rule_and_evidence() -> None:
    rs = runs(*BUSY, *[{"new": 0, "requests": 1}] * 4)
    check = RULE["no_new_articles"].check(window(rs))
    assert check.failed
    assert check.evidence == {"runs_without_new": 4, "baseline_median_new_per_run": 4, "baseline_runs": 10,
                              "baseline_days": 14}
    assert "4 runs" in check.message and "< 3 runs" in check.message
    ratio = RULE["missing_body"].check(window(runs({"stats": {**PAGES, "dropped/no_body": 10}})))
    assert ratio.evidence["missing_body"] == 10 and ratio.evidence["pages"] == 20
    assert "50%" in ratio.message and "<= 20%" in ratio.message


def test_every_rule_runs_on_an_empty_window() -> None:
    checks = evaluate(window([]))
    assert [c.rule for c in checks] == [r.name for r in RULES]
    assert not any(c.failed for c in checks)
