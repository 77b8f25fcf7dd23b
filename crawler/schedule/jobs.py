"""The scheduler's jobs: what they are (specs derived from the registry) and what they call.

A persistent job store keeps jobs by a textual reference to a module-level function, so the job
functions here reach the running daemon through `current()`, set once by the daemon.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.clock import SEOUL
from crawler.registry import DEFAULT_EVERY, Registry, RegistryError
from crawler.releases import import_folder
from crawler.schedule.cadence import tick_for
from crawler.schedule.config import ScheduleConfig, in_window
from crawler.schedule.simclock import from_env as sim_clock

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

    from crawler.schedule.cadence import CadenceConfig
    from crawler.schedule.runtime import Runtime

log = logging.getLogger(__name__)

PERSISTENT, VOLATILE = "default", "volatile"
# crawl ticks run on their own executor: a tick waiting on a long crawl never holds a thread the
# sender, heartbeat or health check need
CRAWL_EXECUTOR = "crawl"
_HERE = __name__


@dataclass(frozen=True)
class JobSpec:
    """One job as the registry and settings want it."""

    id: str
    func: str
    trigger: BaseTrigger
    store: str = PERSISTENT
    kwargs: dict[str, Any] = field(default_factory=dict)
    run_now: bool = False  # a new job's first run right away (not after one interval)
    executor: str = "default"


def interval(every: timedelta) -> IntervalTrigger:
    return IntervalTrigger(seconds=int(every.total_seconds()), timezone=SEOUL)


def tick_interval(registry: Registry, config: ScheduleConfig, cadence: CadenceConfig | None = None) -> timedelta:
    """NEWSWATCH_SCHEDULE_TICK, else the shortest outlet interval (30 minutes with none); with adaptive
    cadence an outlet without `every`/`cron` counts with an eighth of its min_every (cadence.tick_for)."""
    if config.tick is not None:
        return config.tick

    clock = sim_clock()
    if clock is not None:  # the freshness bench's compressed time: a simulated tick in wall time
        return max(timedelta(seconds=1), clock.wall_span(_tick_interval(registry, cadence, tick_for)))
    return _tick_interval(registry, cadence, tick_for)


def _tick_interval(registry: Registry, cadence: CadenceConfig | None, tick_for: Any) -> timedelta:

    adaptive = cadence is not None and cadence.mode == "adaptive"
    intervals = [(tick_for(cadence, cadence.bounds(o)[0]) if adaptive and cadence and not o.fixed else o.interval)
                 for o in registry.outlet]
    known: list[timedelta] = [i for i in intervals if i is not None]
    return min(known) if known else DEFAULT_EVERY


def cron_trigger(expr: str, outlets: Iterable[str], source: str, now: datetime | None = None) -> CronTrigger:
    """A Seoul cron trigger for an outlet cron expression; RegistryError if it never fires."""
    names = ", ".join(repr(o) for o in outlets)
    try:
        trigger = CronTrigger.from_crontab(expr, timezone=SEOUL)
    except ValueError as exc:
        raise RegistryError(f"{source}: outlet {names}: cron {expr!r} is not valid: {exc}") from None
    if trigger.get_next_fire_time(None, now or datetime.now(SEOUL)) is None:
        raise RegistryError(
            f"{source}: outlet {names}: cron {expr!r} never fires (a date that does not exist, such as 30 Feb); "
            "fix the day/month fields"
        )
    return trigger


def registry_jobs(registry: Registry, config: ScheduleConfig, source: str,
                  cadence: CadenceConfig | None = None) -> list[JobSpec]:
    """The crawl jobs: one interval tick in the window, plus one job per distinct outlet cron."""
    specs = [JobSpec("crawl-tick", f"{_HERE}:crawl_tick", interval(tick_interval(registry, config, cadence)),
                     kwargs={"reason": "tick", "windowed": True}, run_now=True, executor=CRAWL_EXECUTOR)]
    by_cron: dict[str, list[str]] = {}
    for o in registry.outlet:
        if o.cron:
            by_cron.setdefault(" ".join(o.cron.split()), []).append(o.id)
    for expr, ids in sorted(by_cron.items()):
        specs.append(JobSpec(f"crawl-cron:{expr}", f"{_HERE}:crawl_tick", cron_trigger(expr, ids, source),
                             kwargs={"reason": f"cron {expr}", "windowed": False}, executor=CRAWL_EXECUTOR))
    return specs


def fixed_jobs(config: ScheduleConfig, health: bool) -> list[JobSpec]:
    """The sender, the heartbeat, the file watch and (when available) the health check."""
    specs = [
        JobSpec("send-outbox", f"{_HERE}:send_outbox", interval(config.send_every), run_now=True),
        JobSpec("heartbeat", f"{_HERE}:heartbeat", interval(config.heartbeat_every), VOLATILE, run_now=True),
        JobSpec("reload-check", f"{_HERE}:check_files", interval(config.reload_every), VOLATILE),
    ]
    if health:
        specs.append(JobSpec("health-check", f"{_HERE}:health_check", interval(config.health_every)))
    return specs


def sync_jobs(scheduler: BaseScheduler, specs: list[JobSpec]) -> list[str]:
    """Add or replace jobs whose definition changed, keep unchanged ones (and their next run), drop stale ones."""
    changed: list[str] = []
    wanted = {s.id for s in specs}
    for spec in specs:
        job = scheduler.get_job(spec.id, jobstore=spec.store)
        if job is not None and job.func_ref == spec.func and str(job.trigger) == str(spec.trigger) \
                and job.kwargs == spec.kwargs and job.executor == spec.executor:
            continue
        extra: dict[str, Any] = {"next_run_time": datetime.now(SEOUL)} if spec.run_now and job is None else {}
        scheduler.add_job(spec.func, trigger=spec.trigger, id=spec.id, name=spec.id, kwargs=spec.kwargs,
                          jobstore=spec.store, executor=spec.executor, replace_existing=True, **extra)
        changed.append(spec.id)
    for job in scheduler.get_jobs():
        if job.id not in wanted and str(job.func_ref).startswith(f"{_HERE}:"):
            job.remove()
            changed.append(f"-{job.id}")
    return changed


# --- the job functions (module-level: the persistent store keeps them as "module:function") -------

_runtime: list[Runtime] = []  # the daemon of this process, set by install(); empty elsewhere


def install(runtime: Runtime | None) -> None:
    """Make a daemon the target of the job functions (None: none)."""
    _runtime.clear()
    if runtime is not None:
        _runtime.append(runtime)


def current() -> Runtime:
    if not _runtime:
        raise RuntimeError("no scheduler runs in this process; jobs run only inside `newswatch schedule`")
    return _runtime[0]


def crawl_tick(reason: str = "tick", windowed: bool = True) -> None:
    """Crawl the due outlets in one crawl (interval ticks only inside the window); with none due,
    start nothing."""
    rt = current()
    if windowed and not in_window(rt.config.window, datetime.now(SEOUL).time()):
        log.debug("crawl tick skipped: outside NEWSWATCH_SCHEDULE_WINDOW")
        return
    started, t0 = datetime.now(UTC), time.monotonic()
    due = rt.due_ids()
    if due == []:
        rt.ticks.nothing_due(reason, started, time.monotonic() - t0)
        return
    result = rt.ticks.run(reason, due)
    if result.outcome in ("ok", "failed", "timeout"):
        rt.wake_sender()


def send_outbox() -> None:
    current().send()


def heartbeat() -> None:
    current().beat()


def check_files() -> None:
    current().reload_if_changed()
    import_releases()


def import_releases() -> None:
    """Register the press releases dropped into $NEWSWATCH_HOME/releases/ (crawler.releases)."""
    for name, outcome in import_folder(current().db):
        if outcome.startswith("refused"):
            log.error("releases/%s %s (moved to releases/refused/)", name, outcome)
        else:
            log.info("releases/%s: %s", name, outcome)


def health_check() -> None:
    # start-up time: the health job's mail and Sentry stack loads at its first run, not with the daemon
    from crawler.monitor.checks import scheduled_check

    scheduled_check()
