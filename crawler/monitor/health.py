"""Evaluating the health rules over stored runs: one `OutletHealth` per outlet, and the heartbeat."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.clock import SEOUL
from crawler.monitor.rules import (
    BASELINE_DAYS,
    RULES,
    Check,
    OutletWindow,
    Rule,
    RunStats,
    evaluate,
)
from crawler.registry import Outlet
from crawler.store.models import Article, Heartbeat, OutletRun, Run

VOLUME_DAYS = 7
SCHEDULER = "scheduler"


@dataclass(frozen=True)
class OutletHealth:
    """One outlet as `newswatch status` shows it; `removed` when the registry no longer has it."""

    outlet_id: str
    name: str
    family: str
    removed: bool
    last_run_at: datetime | None
    last_run_status: str | None
    last_new_at: datetime | None
    daily_new: list[int]  # the last VOLUME_DAYS Seoul days, oldest first
    checks: list[Check] = field(default_factory=list)

    @property
    def failing(self) -> list[Check]:
        return [c for c in self.checks if c.failed]

    @property
    def state(self) -> str:
        if self.removed:
            return "removed"
        if self.last_run_at is None:
            return "no runs"
        return "failing" if self.failing else "ok"


@dataclass(frozen=True)
class HeartbeatStatus:
    """The scheduler's last sign of life (its heartbeat, or the newest crawl run under cron)."""

    source: str  # heartbeat | runs | none
    beat_at: datetime | None
    age: timedelta | None
    limit: timedelta | None  # twice the shortest outlet interval
    stale: bool

    def check(self) -> Check:
        """The heartbeat as a rule check, outlet 'scheduler', for notices and Sentry."""
        age_min = self.age.total_seconds() / 60 if self.age is not None else None
        limit_min = self.limit.total_seconds() / 60 if self.limit is not None else None
        if not self.stale:
            return Check(SCHEDULER, "heartbeat", "pass" if age_min is not None else "skip", age_min,
                         limit_min, "<=", "scheduler alive" if age_min is not None else "no tick recorded yet")
        return Check(SCHEDULER, "heartbeat", "fail", age_min, limit_min, "<=",
                     f"no scheduler tick for {age_min:.0f} minutes (should be <= {limit_min:.0f}, "
                     "twice the shortest outlet interval); is `newswatch schedule` (or cron) running?",
                     {"source": self.source, "beat_at": self.beat_at.isoformat() if self.beat_at else None,
                      "age_minutes": round(age_min or 0, 1), "limit_minutes": limit_min})


def shortest_interval(outlets: Iterable[Outlet]) -> timedelta | None:
    """The shortest gap between two crawls of any outlet (`every`, or the tightest cron gap)."""
    gaps = [o.interval if o.interval is not None else _cron_gap(o.cron or "") for o in outlets]
    known = [g for g in gaps if g is not None]
    return min(known) if known else None


def _cron_gap(expr: str) -> timedelta | None:
    # start-up time: apscheduler is loaded only when this runs
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(expr, timezone=SEOUL)
    start = datetime(2026, 1, 5, tzinfo=SEOUL)  # a Monday: one week of fires covers every weekday
    fires: list[datetime] = []
    previous: datetime | None = None
    now = start
    while len(fires) < 500:
        nxt = trigger.get_next_fire_time(previous, now)
        if nxt is None or nxt > start + timedelta(days=7):
            break
        fires.append(nxt)
        previous, now = nxt, nxt + timedelta(seconds=1)
    gaps = [b - a for a, b in zip(fires, fires[1:], strict=False)]
    return min(gaps) if gaps else None


def heartbeat_status(session: Session, outlets: Iterable[Outlet], now: datetime) -> HeartbeatStatus:
    """The scheduler heartbeat's age against twice the shortest interval (cron: the newest run)."""
    limit = shortest_interval(outlets)
    limit = 2 * limit if limit is not None else None
    beat = session.get(Heartbeat, SCHEDULER)
    at: datetime | None
    if beat is not None:
        source, at = "heartbeat", beat.beat_at
    else:
        started = session.scalar(select(func.max(Run.started_at)).where(Run.kind == "crawl"))
        at = _aware(started) if started is not None else None
        source = "runs" if at is not None else "none"
    age = now - at if at is not None else None
    stale = age is not None and limit is not None and age > limit
    return HeartbeatStatus(source, at, age, limit, stale)


def _aware(at: datetime) -> datetime:
    """max() may bypass the column type on SQLite: naive values there are UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _runs(session: Session, now: datetime) -> dict[str, list[RunStats]]:
    """Each outlet's runs over the baseline, oldest first. Plain columns, not ORM objects: at 3,000
    outlets the health check runs over tens of thousands of rows in the scheduler's own process,
    and an OutletRun object with its identity-map state cost ~2 KB each (a 30-s health check in
    the freshness bench lifted the daemon from 189 to 325 MB)."""
    since = now - timedelta(days=BASELINE_DAYS)
    rows = session.execute(
        select(OutletRun.outlet_id, OutletRun.started_at, Run.status, OutletRun.requests, OutletRun.new_articles,
               OutletRun.errors, OutletRun.fallbacks, OutletRun.stats)
        .join(Run, Run.id == OutletRun.run_id)
        .where(OutletRun.started_at >= since).order_by(OutletRun.started_at, OutletRun.id)
    )
    out: dict[str, list[RunStats]] = {}
    for outlet_id, started_at, status, requests, new, errors, fallbacks, stats in rows:
        out.setdefault(outlet_id, []).append(RunStats(started_at=started_at, status=status, requests=requests, new=new,
                                                      errors=errors, fallbacks=fallbacks, stats=stats or {}))
    return out


def _last_new(session: Session) -> dict[str, datetime]:
    rows = session.execute(select(Article.outlet_id, func.max(Article.first_seen_at)).group_by(Article.outlet_id))
    out: dict[str, datetime] = {}
    for outlet_id, at in rows:
        if at is not None:
            out[outlet_id] = _aware(at)
    return out


def daily_volume(runs: Iterable[RunStats], now: datetime, days: int = VOLUME_DAYS) -> list[int]:
    """New articles per Seoul day over the last `days` days, oldest first (today last)."""
    today = now.astimezone(SEOUL).date()
    counts = [0] * days
    for r in runs:
        back = (today - r.started_at.astimezone(SEOUL).date()).days
        if 0 <= back < days:
            counts[days - 1 - back] += r.new
    return counts


def outlet_health(session: Session, registry: Mapping[str, Outlet], now: datetime,
                  rules: Iterable[Rule] = RULES) -> list[OutletHealth]:
    """Every registry outlet with its checks, then outlets seen in runs but removed from the registry."""
    runs = _runs(session, now)
    last_new = _last_new(session)
    rules = tuple(rules)
    result: list[OutletHealth] = []
    for outlet in registry.values():
        mine = runs.get(outlet.id, [])
        window = OutletWindow(outlet.id, outlet.family, now, mine, last_new.get(outlet.id),
                              outlet.health.model_dump())
        last = mine[-1] if mine else None
        result.append(OutletHealth(
            outlet.id, outlet.name, outlet.family, False,
            last.started_at if last else None, last.status if last else None,
            last_new.get(outlet.id), daily_volume(mine, now), evaluate(window, rules) if mine else []))
    for outlet_id in sorted(set(runs) - set(registry)):
        mine = runs[outlet_id]
        result.append(OutletHealth(outlet_id, "", "", True, mine[-1].started_at, mine[-1].status,
                                   last_new.get(outlet_id), daily_volume(mine, now)))
    return result
