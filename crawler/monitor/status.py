"""`newswatch status`: outlet health, the outbox and the scheduler heartbeat, as a table or JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rich.table import Table
from sqlalchemy import func, inspect, select, text

from crawler.alert.outbox import OutboxSummary, summarize
from crawler.clock import seoul_text
from crawler.monitor.health import HeartbeatStatus, OutletHealth, heartbeat_status, outlet_health
from crawler.monitor.rules import RULES
from crawler.registry import Outlet
from crawler.store.crawlstate import process_alive
from crawler.store.models import Article, IncompleteOutlet, Run

SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[int]) -> str:
    """One block per value, scaled to the largest; zero is the lowest block."""
    top = max(values, default=0)
    if top <= 0:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[min(len(SPARKS) - 1, round(v / top * (len(SPARKS) - 1)))] for v in values)


@dataclass(frozen=True)
class LastRun:
    """The newest crawl run, whatever became of it (an aborted one shows here)."""

    id: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    finish_reason: str | None


@dataclass(frozen=True)
class StatusReport:
    now: datetime
    outlets: list[OutletHealth]
    outbox: OutboxSummary
    heartbeat: HeartbeatStatus
    last_run: LastRun | None
    next_runs: list[tuple[str, datetime]] = field(default_factory=list)  # the scheduler's jobs
    last_published: dict[str, datetime] = field(default_factory=dict)  # outlet -> newest publication date
    incomplete: list[tuple[str, datetime, str]] = field(default_factory=list)  # outlet, since, reason

    @property
    def problems(self) -> list[str]:
        """What needs a person, one line each (empty: all is well)."""
        out = [f"{c.outlet_id}: {c.rule}: {c.message}" for o in self.outlets for c in o.failing]
        if self.outbox.needs_a_person:
            out.append(f"outbox: {self.outbox.failed} failed, {self.outbox.stuck} stuck, "
                       f"{self.outbox.overdue} overdue (last error: {self.outbox.last_error or '-'})")
        out += [f"{oid}: incomplete since {since:%Y-%m-%d %H:%M} UTC: {why} (the next crawl reads it deep)"
                for oid, since, why in self.incomplete]
        if self.heartbeat.stale:
            out.append(f"scheduler: {self.heartbeat.check().message}")
        return out

    @property
    def needs_a_person(self) -> bool:
        return bool(self.problems)


def collect(db: Any, registry: Mapping[str, Outlet], now: datetime) -> StatusReport:
    """Read everything `newswatch status` shows, in one session."""
    with db.session() as s:
        outlets = outlet_health(s, registry, now)
        outbox = summarize(s, now)
        heartbeat = heartbeat_status(s, registry.values(), now)
        run = s.scalars(select(Run).where(Run.kind == "crawl").order_by(Run.started_at.desc(), Run.id.desc())
                        .limit(1)).first()
        last = LastRun(run.id, run.status, run.started_at, run.finished_at, run.finish_reason) if run else None
        incomplete = _incomplete(s)
        # when an outlet last *published* (a crawl finding old pages says nothing about a living site)
        published = dict(s.execute(select(Article.outlet_id, func.max(Article.published_at))
                                   .where(Article.published_at <= now).group_by(Article.outlet_id)).all())
    published = {k: (v if v.tzinfo else v.replace(tzinfo=UTC)) for k, v in published.items() if v is not None}
    return StatusReport(now, outlets, outbox, heartbeat, last, next_runs(db), published, incomplete)


def _incomplete(session: Any) -> list[tuple[str, datetime, str]]:
    """Outlets whose work a run left undone; not those of a crawl still running (a live process)."""
    out = []
    for row in session.scalars(select(IncompleteOutlet).order_by(IncompleteOutlet.outlet_id)):
        run = session.get(Run, row.run_id) if row.run_id is not None else None
        if run is not None and run.status == "running" and run.pid and process_alive(run.pid):
            continue
        out.append((row.outlet_id, row.since, row.reason))
    return out


def next_runs(db: Any) -> list[tuple[str, datetime]]:
    """The scheduler's persisted jobs and their next run times (none under cron)."""
    if not inspect(db.engine).has_table("apscheduler_jobs"):
        return []
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, next_run_time FROM apscheduler_jobs "
                                 "WHERE next_run_time IS NOT NULL ORDER BY next_run_time"))
        return [(job, datetime.fromtimestamp(float(ts), UTC)) for job, ts in rows]


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def to_json(report: StatusReport) -> dict[str, Any]:
    """The report as plain JSON values (times ISO 8601 UTC)."""
    ob, hb = report.outbox, report.heartbeat
    return {
        "now": _iso(report.now),
        "needs_a_person": report.needs_a_person,
        "problems": report.problems,
        "outlets": [{
            "id": o.outlet_id, "name": o.name, "state": o.state, "removed": o.removed,
            "last_run_at": _iso(o.last_run_at), "last_run_status": o.last_run_status,
            "last_new_at": _iso(o.last_new_at), "daily_new": o.daily_new,
            "last_published_at": _iso(report.last_published.get(o.outlet_id)),
            "failing": [{"rule": c.rule, "value": c.value, "threshold": c.threshold, "operator": c.operator,
                         "message": c.message, "evidence": c.evidence} for c in o.failing],
        } for o in report.outlets],
        "incomplete": [{"outlet": oid, "since": _iso(since), "reason": why} for oid, since, why in report.incomplete],
        "outbox": {"pending": ob.pending, "due": ob.due, "retrying": ob.retrying, "sending": ob.sending,
                   "stuck": ob.stuck, "overdue": ob.overdue, "failed": ob.failed, "sent": ob.sent,
                   "oldest_due_at": _iso(ob.oldest_due_at), "last_error": ob.last_error,
                   "needs_a_person": ob.needs_a_person},
        "scheduler": {"source": hb.source, "beat_at": _iso(hb.beat_at),
                      "age_seconds": hb.age.total_seconds() if hb.age is not None else None,
                      "limit_seconds": hb.limit.total_seconds() if hb.limit is not None else None,
                      "stale": hb.stale},
        "next_runs": [{"job": job, "at": _iso(at)} for job, at in report.next_runs],
        "last_run": None if report.last_run is None else {
            "id": report.last_run.id, "status": report.last_run.status,
            "started_at": _iso(report.last_run.started_at), "finished_at": _iso(report.last_run.finished_at),
            "finish_reason": report.last_run.finish_reason},
    }


def _age(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 120:
        return f"{minutes}m"
    return f"{minutes // 60}h" if minutes < 48 * 60 else f"{minutes // 1440}d"


def _describe(rule: Any) -> str:
    """'failed requests <= 20 %' (what `health` checks, said once under the table)."""
    if rule.threshold is None:
        return f"{rule.description} (when the outlet sets {rule.override})"
    value = f"{rule.threshold * 100:g} %" if rule.unit == "%" else f"{rule.threshold:g}{' ' + rule.unit if rule.unit else ''}"
    return f"{rule.description} {rule.operator} {value}"


def render(report: StatusReport, console: Any) -> None:
    """The terminal view: an outlet table, then the outbox, the scheduler and the problems."""
    table = Table(title=f"outlets ({seoul_text(report.now)})")
    for col in ("outlet", "last run", "last new article", "last published", "7 days", "health"):
        table.add_column(col)
    styles = {"ok": "green", "failing": "bold red", "removed": "dim", "no runs": "yellow"}
    for o in report.outlets:
        health = o.state if not o.failing else "failing: " + ", ".join(c.rule for c in o.failing)
        last_run = f"{seoul_text(o.last_run_at)} {o.last_run_status or ''}".strip() if o.last_run_at else "-"
        published = report.last_published.get(o.outlet_id)
        table.add_row(f"{o.outlet_id} {o.name}".strip(), last_run, seoul_text(o.last_new_at) if o.last_new_at else "-",
                      seoul_text(published) if published else "-",
                      f"{sparkline(o.daily_new)} {sum(o.daily_new)}", f"[{styles[o.state]}]{health}[/]")
    console.print(table)
    console.print("health checks per outlet: " + "; ".join(_describe(r) for r in RULES), markup=False)
    ob = report.outbox
    console.print(f"outbox: {ob.pending} pending ({ob.due} due, {ob.retrying} retrying), {ob.sending} sending, "
                  f"{ob.failed} failed, {ob.sent} sent" + (f"; last error: {ob.last_error}" if ob.last_error else ""),
                  markup=False)
    hb = report.heartbeat
    if hb.source == "none":
        console.print("scheduler: no scheduler has run (no heartbeat) and no crawl yet", markup=False)
    elif hb.source == "runs":
        console.print(f"scheduler: no scheduler (no heartbeat; cron or manual crawls) — last crawl run "
                      f"{_age(hb.age.total_seconds()) if hb.age is not None else '-'} ago"
                      + (" — STALE" if hb.stale else ""), markup=False)
    elif hb.age is None:
        console.print("scheduler: no tick recorded yet", markup=False)
    else:
        limit = f" (limit {_age(hb.limit.total_seconds())})" if hb.limit is not None else ""
        what = "heartbeat" if hb.source == "heartbeat" else "last crawl run"
        console.print(f"scheduler: {what} {_age(hb.age.total_seconds())} ago{limit}"
                      + (" — STALE" if hb.stale else ""), markup=False)
    if report.next_runs:
        console.print("next runs: " + ", ".join(f"{job} {seoul_text(at)}" for job, at in report.next_runs[:6]),
                      markup=False)
    if report.last_run is not None:
        r = report.last_run
        reason = f" ({r.finish_reason})" if r.finish_reason and r.status != "finished" else ""
        console.print(f"last crawl: #{r.id} {seoul_text(r.started_at)} {r.status}{reason}", markup=False)
    for line in report.problems:
        console.print(f"NEEDS A PERSON: {line}", markup=False, style="bold red")
