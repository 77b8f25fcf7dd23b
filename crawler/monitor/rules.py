"""Health rules in the spirit of Spidermon: a derived value, a threshold, an operator.

Pure functions over plain run stats; no database, no Scrapy. Each rule reads a value from an
`OutletWindow` (None = not applicable, with the reason), compares it with its threshold (the
default, or the outlet's `[outlet.health]` override) and yields a `Check` with the evidence.
"""

from __future__ import annotations

import operator
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

BASELINE_DAYS = 14
RECENT_RUNS = 3  # ratio rules look at the newest few runs: a breakage shows at once, noise less
MIN_ITEMS = 5  # fewer extracted pages than this say nothing about field coverage
MIN_REQUESTS = 5  # fewer requests than this say nothing about an error ratio
FAMILY_GENERIC = "generic"

Status = Literal["pass", "fail", "skip"]
Operator = Literal["<", "<=", ">", ">="]
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


@dataclass(frozen=True)
class RunStats:
    """One outlet's share of one run: the OutletRun columns that matter and its raw stats."""

    started_at: datetime
    status: str = "finished"  # of the run: finished | aborted | failed | running
    requests: int = 0
    new: int = 0
    errors: int = 0
    fallbacks: int = 0
    stats: Mapping[str, Any] = field(default_factory=dict)

    def stat(self, key: str) -> int:
        value = self.stats.get(key, 0)
        return int(value) if isinstance(value, int | float) else 0

    def total(self, prefix: str) -> int:
        """The sum of every stat under `prefix` (e.g. 'dropped/')."""
        return sum(int(v) for k, v in self.stats.items() if k.startswith(prefix) and isinstance(v, int | float))


@dataclass(frozen=True)
class OutletWindow:
    """What the rules see of one outlet: its runs (oldest first) and its newest stored article."""

    outlet_id: str
    family: str
    now: datetime
    runs: Sequence[RunStats]
    last_new_at: datetime | None = None
    overrides: Mapping[str, float | None] = field(default_factory=dict)

    @property
    def done(self) -> list[RunStats]:
        """Runs that ended (finished or aborted), oldest first; a running one is not evidence yet."""
        return [r for r in self.runs if r.status != "running"]


@dataclass(frozen=True)
class Check:
    """One rule's verdict on one outlet, with the numbers behind it."""

    outlet_id: str
    rule: str
    status: Status
    value: float | None
    threshold: float | None
    operator: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status == "fail"


@dataclass(frozen=True)
class Measure:
    """A rule's value with its evidence, or None and why the rule does not apply."""

    value: float | None
    evidence: dict[str, Any] = field(default_factory=dict)
    skip: str = ""


@dataclass(frozen=True)
class Rule:
    """A declarative health rule: passes when `measure(window) <operator> threshold`."""

    name: str
    description: str
    measure: Callable[[OutletWindow], Measure]
    threshold: float | None  # None: off unless the outlet sets `override`
    operator: Operator
    override: str | None = None  # the [outlet.health] key
    unit: str = ""

    def threshold_for(self, window: OutletWindow) -> float | None:
        if self.override and window.overrides.get(self.override) is not None:
            return float(window.overrides[self.override])  # type: ignore[arg-type]
        return self.threshold

    def check(self, window: OutletWindow) -> Check:
        """Evaluate this rule on one outlet."""
        threshold = self.threshold_for(window)
        base: dict[str, Any] = {"outlet_id": window.outlet_id, "rule": self.name, "operator": self.operator, "threshold": threshold}
        if threshold is None:
            return Check(status="skip", value=None, message=f"off (set {self.override} to enable)", **base)
        m = self.measure(window)
        if m.value is None:
            return Check(status="skip", value=None, message=m.skip, evidence=m.evidence, **base)
        ok = _OPERATORS[self.operator](m.value, threshold)
        shown = _fmt(m.value, self.unit)
        message = (f"{self.description}: {shown} (should be {self.operator} {_fmt(threshold, self.unit)})")
        return Check(status="pass" if ok else "fail", value=m.value, message=message, evidence=m.evidence, **base)


def _fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value * 100:.0f}%"
    text = f"{value:g}" if value != int(value) else str(int(value))
    return f"{text} {unit}".strip()


# --- measures -------------------------------------------------------------------------------


def _no_new(window: OutletWindow) -> Measure:
    """Runs in a row without a new article, where the outlet's own baseline expects some."""
    runs = window.done
    if not runs:
        return Measure(None, skip="no run yet")
    streak = 0
    for r in reversed(runs):
        if r.new:
            break
        streak += 1
    since = window.now - timedelta(days=BASELINE_DAYS)
    before = [r.new for r in runs[: len(runs) - streak] if r.started_at >= since]
    median = statistics.median(before) if before else 0.0
    evidence = {"runs_without_new": streak, "baseline_median_new_per_run": median,
                "baseline_runs": len(before), "baseline_days": BASELINE_DAYS}
    if median < 1:  # a quiet outlet: `stale` and `daily_volume` watch it instead
        return Measure(None, evidence, skip=f"baseline expects no new article per run (median {median:g})")
    return Measure(float(streak), evidence)


def _new_last_day(window: OutletWindow) -> Measure:
    """New articles in the last 24 hours (only once the runs cover a whole day)."""
    runs = window.done
    day_ago = window.now - timedelta(days=1)
    if not runs or runs[0].started_at > day_ago:
        return Measure(None, skip="runs do not cover a whole day yet")
    recent = [r for r in runs if r.started_at >= day_ago]
    if not recent:
        return Measure(None, skip="no run in the last 24 hours")
    new = sum(r.new for r in recent)
    return Measure(float(new), {"new_last_24h": new, "runs_last_24h": len(recent)})


def _recent(window: OutletWindow) -> list[RunStats]:
    return window.done[-RECENT_RUNS:]


def extracted_pages(run: RunStats) -> int:
    """Article pages that reached extraction: `extract/pages` if recorded, else what left it."""
    if "extract/pages" in run.stats:
        return run.stat("extract/pages")
    return run.total("articles/") + run.total("dropped/") - run.stat("dropped/no_discovery")


def _missing(stat: str, field_name: str) -> Callable[[OutletWindow], Measure]:
    def measure(window: OutletWindow) -> Measure:
        runs = _recent(window)
        pages = sum(extracted_pages(r) for r in runs)
        if stat.startswith("extract/") and runs and not any(stat in r.stats for r in runs) and pages:
            return Measure(None, {"pages": pages}, skip=f"the crawl does not record {stat!r} yet")
        if pages < MIN_ITEMS:
            return Measure(None, {"pages": pages}, skip=f"only {pages} article pages in the last {len(runs)} runs")
        missing = sum(r.stat(stat) for r in runs)
        return Measure(missing / pages, {f"missing_{field_name}": missing, "pages": pages, "runs": len(runs), "stat": stat})

    measure.__doc__ = f"Share of article pages without a {field_name} in the newest runs."
    return measure


def _error_ratio(window: OutletWindow) -> Measure:
    """Failed requests over requests in the newest runs."""
    runs = _recent(window)
    requests = sum(r.requests for r in runs)
    if requests < MIN_REQUESTS:
        return Measure(None, {"requests": requests}, skip=f"only {requests} requests in the last {len(runs)} runs")
    errors = sum(r.errors for r in runs)
    kinds: dict[str, int] = {}
    for r in runs:
        for k, v in r.stats.items():
            if k.startswith(("errors/", "responses/4", "responses/5")) and isinstance(v, int):
                kinds[k] = kinds.get(k, 0) + v
    return Measure(errors / requests, {"errors": errors, "requests": requests, "runs": len(runs), **kinds})


def _discovery_entries(window: OutletWindow) -> Measure:
    """Entries found on feeds and lists in the newest run whose feeds or lists were read."""
    for r in reversed(window.done):
        read = [k for k in ("feed/entries", "list/entries") if k in r.stats]
        if read:
            entries = sum(r.stat(k) for k in read)
            return Measure(float(entries), {k: r.stat(k) for k in read} | {
                "requests": r.requests, "run_started_at": r.started_at.isoformat()})
        if r.stat("feed/not_modified") or r.stat("list/not_modified"):
            return Measure(None, skip="feeds and lists unchanged (304) in the newest run")
    return Measure(None, skip="no feed or list was read successfully")


def _days_since_new(window: OutletWindow) -> Measure:
    """Days since the newest stored article of the outlet was first seen."""
    if not window.done:
        return Measure(None, skip="no run yet")
    since = window.last_new_at or window.done[0].started_at
    days = (window.now - since).total_seconds() / 86400
    evidence = {"last_new_at": window.last_new_at.isoformat() if window.last_new_at else None,
                "days": round(days, 2)}
    return Measure(round(days, 2), evidence)


def _fallbacks(window: OutletWindow) -> Measure:
    """Pages of a CMS-family outlet that needed the generic extractor, in the newest run."""
    if window.family == FAMILY_GENERIC:
        return Measure(None, skip="a generic outlet has no family extractor to fall back from")
    if not window.done:
        return Measure(None, skip="no run yet")
    r = window.done[-1]
    n = max(r.fallbacks, r.stat("extract/fallback"))
    return Measure(float(n), {"extract/fallback": n, "pages": extracted_pages(r), "family": window.family})


def _incomplete(window: OutletWindow) -> Measure:
    """Whether the newest ended run left the outlet's work undone (lost work: errors with a reason,
    articles discovered and not stored, an interrupted run); the next run reads it deep."""
    done = window.done
    if not done:
        return Measure(None, skip="no finished run yet")
    last = done[-1]
    lost = {k: v for k, v in last.stats.items() if k.startswith("errors/") and isinstance(v, int | float)}
    return Measure(float(last.stat("incomplete")), {"run_status": last.status, "errors": lost,
                                                     "started_at": last.started_at.isoformat()})


RULES: tuple[Rule, ...] = (
    Rule("no_new_articles", "runs in a row without a new article", _no_new, 3, "<", "runs_without_new", "runs"),
    Rule("daily_volume", "new articles in the last 24 hours", _new_last_day, None, ">=", "min_new_per_day"),
    Rule("missing_title", "pages without a title", _missing("dropped/no_title", "title"), 0.2, "<=",
         "max_missing_field_ratio", "%"),
    Rule("missing_body", "pages without a body", _missing("dropped/no_body", "body"), 0.2, "<=",
         "max_missing_field_ratio", "%"),
    Rule("missing_date", "pages without a date", _missing("extract/no_date", "date"), 0.2, "<=",
         "max_missing_field_ratio", "%"),
    Rule("error_ratio", "failed requests", _error_ratio, 0.2, "<=", "max_error_ratio", "%"),
    Rule("empty_discovery", "entries on feeds and lists", _discovery_entries, 1, ">="),
    Rule("stale", "days since the last new article", _days_since_new, 3, "<=", "max_days_without_new", "days"),
    Rule("fallback", "pages extracted by the generic fallback", _fallbacks, 0, "<="),
    Rule("incomplete", "the last run left work undone (see its errors; the next run reads it deep)",
         _incomplete, 0, "<="),
)


def evaluate(window: OutletWindow, rules: Sequence[Rule] = RULES) -> list[Check]:
    """Every rule's check on one outlet."""
    return [rule.check(window) for rule in rules]
