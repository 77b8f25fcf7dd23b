"""Adaptive crawl cadence: poll busy outlets often and quiet ones rarely, within a request budget.

Fixed cadence (the default) polls every outlet at its registry `every` (30m when unset). Adaptive
cadence (NEWSWATCH_SCHEDULE_CADENCE=adaptive) learns from the store how often each outlet publishes
(articles first seen in the last 14 days, backlog from a first crawl left out) and when in the day
outlets publish (an hour-of-day profile pooled over all outlets: one outlet's few articles a day are
too few to learn its own hours). It then spreads a day's polls, NEWSWATCH_SCHEDULE_BUDGET polls per
hour on average (default: what fixed polling at NEWSWATCH_SCHEDULE_BASE_EVERY would cost), so the
expected publication → detection delay is smallest: with Poisson publishing at rate λ and a poll
every I, an article waits I/2 on average, and minimising Σ λ·I/2 under Σ 1/I = budget gives
I ∝ 1/√λ (the square-root rule). Every interval is then clamped to the outlet's `min_every`
(politeness) and `max_every` (a quiet outlet is still looked at), and the budget is re-solved
around the clamped ones. An outlet with `every` or `cron` in the registry keeps that schedule.

What is learned counts stories, not copies: of one story carried by several outlets only the
first copy counts (`first_copies`), so an outlet that rewrites others' reports does not draw polls
for stories already found. Outlets with one interval poll at different moments of it (each its own
phase, `is_due_every`): a tick crawls its share of them, not all at once.
"""

from __future__ import annotations

import logging
import math
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.triggers.cron import CronTrigger

from crawler import config
from crawler.clock import SEOUL
from crawler.registry import DEFAULT_EVERY, Outlet
from crawler.schedule.simclock import from_env as sim_clock
from crawler.store.crawlstate import crawl_span, first_copies_by_hour, interrupted_outlets

DUE_TOLERANCE = timedelta(minutes=2)  # a tick a little early still counts as due

if TYPE_CHECKING:
    from crawler.schedule.simclock import SimClock
    from crawler.store import Database

log = logging.getLogger(__name__)

MODES = ("fixed", "adaptive")
OBJECTIVES = ("p95", "mean")
QUANTILE = 0.95
# the articles left at max_every that wait longer than x may be nine tenths of the 5% above p95: the
# head's own waits never pass x, so the last tenth is for what a poll adds (the crawl, the sender)
TAIL_SHARE = 0.9
HOURS = 24
PRIOR_HOURS = 24.0  # the prior weighs as much as a day of watching
PRIOR_PER_DAY = 4.0  # an outlet never watched is taken to publish a few times a day


@dataclass(frozen=True)
class CadenceConfig:
    """NEWSWATCH_SCHEDULE_CADENCE/BUDGET/BASE_EVERY/MIN_EVERY/MAX_EVERY/LOOKBACK."""

    mode: str = "fixed"
    budget: float | None = None  # polls per hour over the adaptive outlets; None: as fixed at base_every
    base_every: timedelta = DEFAULT_EVERY
    min_every: timedelta = timedelta(minutes=2)
    max_every: timedelta = timedelta(hours=1)
    lookback: timedelta = timedelta(days=14)
    objective: str = "p95"  # p95: the 95th-percentile delay; mean: the mean delay (square-root rule)

    @classmethod
    def from_settings(cls, s: config.Settings) -> CadenceConfig:
        return cls(mode=s.schedule_cadence, budget=s.schedule_budget, base_every=s.schedule_base_every,
                   min_every=s.schedule_min_every, max_every=s.schedule_max_every, lookback=s.schedule_lookback,
                   objective=s.schedule_objective)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CadenceConfig:
        """The process's settings, or those of `env` (unset or empty means the default)."""
        return cls.from_settings(config.settings() if env is None else config.load_settings(env))

    def bounds(self, outlet: Outlet) -> tuple[timedelta, timedelta]:
        """(min_every, max_every) of an outlet: its own, else the defaults (an own bound wins a clash)."""
        low = outlet.min_every or self.min_every
        high = outlet.max_every or self.max_every
        if low > high:
            low, high = (low, low) if outlet.min_every else (high, high)
        return low, high

    def budget_for(self, adaptive: int) -> float:
        """Polls per hour for `adaptive` outlets: the setting, else fixed polling at base_every."""
        if self.budget is not None:
            return self.budget
        return adaptive * 3600.0 / self.base_every.total_seconds()


def tick_for(config: CadenceConfig, min_every: timedelta | None = None) -> timedelta:
    """The tick adaptive cadence wants: an eighth of the shortest min_every (15 s at the default 2m).
    Intervals are whole ticks in the end, so the finer the tick, the closer they come to what the
    budget allows: the simulated day's adaptive p95 is 2.95 min with 30-s ticks (the head interval
    rounds to 3 min), 2.69 with 15-s and 2.65 with 10-s ones. A tick is a request to the kept crawl
    process and a plan (~0.2 s of CPU at 3,000 outlets), ~0.01 of a core at 15 s."""
    return max(timedelta(seconds=1), (min_every or config.min_every) / 8)


@dataclass(frozen=True)
class History:
    """What the store tells about publishing: fresh articles and hours watched per outlet, the day's profile."""

    counts: Mapping[str, int]
    hours: Mapping[str, float]  # how long each outlet was watched inside the lookback
    profile: Sequence[float] = (1.0,) * HOURS  # weight of each UTC hour of the day, mean 1

    def rate(self, outlet_id: str) -> float:
        """Articles per hour, shrunk towards a few a day while the outlet has little history."""
        n = self.counts.get(outlet_id, 0)
        hours = self.hours.get(outlet_id, 0.0)
        return (n + PRIOR_PER_DAY * PRIOR_HOURS / 24.0) / (hours + PRIOR_HOURS)


def hour_profile(times: Iterable[datetime]) -> tuple[float, ...]:
    """Weights of the 24 UTC hours (mean 1) from first-seen times, add-one smoothed."""
    counts = [0] * HOURS
    for t in times:
        counts[t.astimezone(UTC).hour] += 1
    return profile_of(counts)


def profile_of(counts: Sequence[float]) -> tuple[float, ...]:
    """Weights of the 24 UTC hours (mean 1) from articles counted per hour, add-one smoothed."""
    smoothed = [c + 1.0 for c in counts]
    total = sum(smoothed)
    return tuple(c * HOURS / total for c in smoothed)


def solve(rates: Sequence[float], low: Sequence[float], high: Sequence[float],
          profile: Sequence[float], budget: float) -> float:
    """The constant c of the square-root rule, polls/h = clamp(√(λ·p_h)/c, 1/max, 1/min), that spends
    24·budget polls over a day (rates per hour; low/high: min_every/max_every in hours).

    Returns 0 when even polling everything at min_every stays within the budget, inf when polling
    everything at max_every already exceeds it (max_every wins: a quiet outlet is still looked at).
    """
    # start-up time: numpy is loaded only when this runs
    import numpy as np

    lam = np.asarray(rates, dtype=float)[:, None] * np.asarray(profile, dtype=float)[None, :]
    root = np.sqrt(lam)
    fmax = 1.0 / np.asarray(low, dtype=float)[:, None]
    fmin = 1.0 / np.asarray(high, dtype=float)[:, None]
    target = budget * HOURS

    def spend(c: float) -> float:
        return float(np.clip(root / c, fmin, fmax).sum())

    if spend(1e-12) <= target:
        return 0.0
    if float(np.broadcast_to(fmin, root.shape).sum()) >= target:
        return math.inf
    lo, hi = 1e-9, 1.0
    while spend(hi) > target:
        hi *= 4.0
    for _ in range(60):  # bisection on a log scale: spend() falls as c grows
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if spend(mid) > target else (lo, mid)
    return hi


def solve_quantile(rates: Sequence[float], low: Sequence[float], high: Sequence[float],
                   profile: Sequence[float], budget: float, tick: float = 0.0) -> tuple[float, float]:
    """(x, θ) of the p95 rule: an outlet-hour whose expected rate λ·p_h is at least θ is polled every
    x (within the outlet's min_every/max_every), every other one at its max_every; x as short as the
    day's budget allows while the outlet-hours left at max_every carry at most TAIL_SHARE of the 5%.

    Why: a delay above x only comes from the outlet-hours left at max_every, so the 95th percentile
    stays at most x when fewer than 5% of the articles wait there longer than x; a poll more often than every x
    where articles do come would only shorten delays already under the percentile. Busy outlets in
    office hours come first, quiet ones at night last. With a tick, x is a whole number of ticks
    and every interval is costed as the ticks round it (the budget is what is really spent).
    Units: hours.
    """
    # start-up time: numpy is loaded only when this runs
    import numpy as np

    lam = (np.asarray(rates, dtype=float)[:, None] * np.asarray(profile, dtype=float)[None, :]).ravel()
    lo = np.repeat(np.asarray(low, dtype=float), len(profile))
    hi = np.repeat(np.asarray(high, dtype=float), len(profile))
    order = np.argsort(-lam, kind="stable")
    lam, lo, hi = lam[order], lo[order], hi[order]

    def effective(every: Any) -> Any:
        """An interval as ticks every `tick` with half a tick's tolerance carry it out."""
        if tick <= 0:
            return every
        return tick * np.maximum(1.0, np.ceil(np.asarray(every) / tick - 0.5))

    floor_cost = 1.0 / effective(hi)
    total = float(lam.sum())
    spare = budget * HOURS - float(floor_cost.sum())  # what is left once every outlet-hour gets max_every
    tail_allowed = (1.0 - QUANTILE) * TAIL_SHARE * total

    def head(x: float) -> int:
        """How many of the busiest outlet-hours the budget polls every x. The plan polls every
        outlet-hour at or above θ: a tie across the cut would be paid in full, so the cut moves
        above the tied ones (the budget stays a ceiling)."""
        extra = np.maximum(1.0 / effective(np.clip(x, lo, hi)) - floor_cost, 0.0)
        k = int(np.searchsorted(np.cumsum(extra), spare, side="right"))
        if 0 < k < len(lam) and lam[k] == lam[k - 1]:
            k = int(np.searchsorted(-lam, -lam[k], side="left"))
        return k

    def fits(x: float) -> bool:
        k = head(x)
        if k >= len(lam):
            return True
        # an article of a tail outlet-hour polled every `hi` waits longer than x with chance 1 - x/hi
        late = lam[k:] * np.clip(1.0 - x / effective(hi[k:]), 0.0, 1.0)
        return float(late.sum()) <= tail_allowed

    if spare <= 0 or total <= 0:
        return math.inf, math.inf  # the budget only pays for max_every
    x_lo, x_hi = float(lo.min()), float(hi.max())
    if tick > 0:  # whole ticks: bisect on their number
        n_lo, n_hi = max(1, math.ceil(x_lo / tick - 1e-9)), max(1, math.ceil(x_hi / tick - 1e-9))
        if fits(n_lo * tick):
            n_hi = n_lo
        elif fits(n_hi * tick):
            while n_hi - n_lo > 1:
                mid_n = (n_lo + n_hi) // 2
                n_lo, n_hi = (n_lo, mid_n) if fits(mid_n * tick) else (mid_n, n_hi)
        x = n_hi * tick
    elif fits(x_lo):
        x = x_lo
    elif not fits(x_hi):
        x = x_hi
    else:
        for _ in range(50):
            mid = math.sqrt(x_lo * x_hi)
            x_lo, x_hi = (x_lo, mid) if fits(mid) else (mid, x_hi)
        x = x_hi
    k = head(x)
    theta = float(lam[k - 1]) if 0 < k <= len(lam) else math.inf
    return x, theta


@dataclass(frozen=True)
class Plan:
    """Adaptive intervals for the outlets at one moment, and what they cost per hour."""

    intervals: Mapping[str, timedelta]
    budget: float  # polls per hour on average over the day

    def polls_per_hour(self) -> float:
        return sum(3600.0 / i.total_seconds() for i in self.intervals.values())


def plan(outlets: Sequence[Outlet], history: History, config: CadenceConfig, now: datetime) -> Plan:
    """Polling intervals of the adaptive outlets (no `every`/`cron`) for the hour `now` falls in."""
    adaptive = [o for o in outlets if not o.fixed]
    budget = config.budget_for(len(adaptive))
    if not adaptive:
        return Plan({}, budget)
    rates = [history.rate(o.id) for o in adaptive]
    bounds = [config.bounds(o) for o in adaptive]
    low = [b[0].total_seconds() / 3600.0 for b in bounds]
    high = [b[1].total_seconds() / 3600.0 for b in bounds]
    weight = history.profile[now.astimezone(UTC).hour]
    out: dict[str, timedelta] = {}
    if config.objective == "p95":
        tick_h = tick_for(config).total_seconds() / 3600.0
        x, theta = solve_quantile(rates, low, high, history.profile, budget, tick_h)
        if math.isinf(x):
            _short(budget, len(adaptive))
        for o, lam, lo_h, hi_h in zip(adaptive, rates, low, high, strict=True):
            head = not math.isinf(x) and lam * weight >= theta
            out[o.id] = timedelta(hours=min(max(x, lo_h), hi_h) if head else hi_h)
        return Plan(out, budget)
    c = solve(rates, low, high, history.profile, budget)
    if math.isinf(c):
        _short(budget, len(adaptive))
    for o, lam, lo_h, hi_h in zip(adaptive, rates, low, high, strict=True):
        root = math.sqrt(lam * weight)
        every_h = hi_h if math.isinf(c) or root <= 0 else min(max(c / root, lo_h), hi_h)
        out[o.id] = timedelta(hours=every_h)
    return Plan(out, budget)


def _span(every: timedelta) -> str:
    seconds = int(every.total_seconds())
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds % 60 else f"{seconds // 60}m"


def _short(budget: float, outlets: int) -> None:
    log.warning("the cadence budget (%.0f polls/h) does not pay for polling %d outlets at their max_every; "
                "polling them at max_every (raise NEWSWATCH_SCHEDULE_BUDGET or max_every)", budget, outlets)


def is_due(outlet: Outlet, last: datetime | None, now: datetime) -> bool:
    """Whether an outlet's interval or cron expression has come round since its last crawl."""
    if last is None:
        return True
    if outlet.cron:
        trigger = CronTrigger.from_crontab(outlet.cron, timezone=SEOUL)
        nxt = trigger.get_next_fire_time(None, last)
        return nxt is not None and nxt <= now + DUE_TOLERANCE
    interval = outlet.interval
    assert interval is not None
    return last + interval <= now + DUE_TOLERANCE


def phase_of(outlet_id: str) -> float:
    """Where in its interval an outlet's polls fall, in [0, 1): fixed per outlet, even over outlets."""
    return zlib.crc32(outlet_id.encode("utf-8")) / 2**32


def is_due_every(last: datetime | None, every: timedelta, now: datetime, tolerance: timedelta,
                 phase: float = 0.0, least: timedelta = timedelta(0)) -> bool:
    """Whether a poll slot has come since the last crawl (a tick up to `tolerance` early counts).

    An outlet's slots are `every` apart, offset by `phase` of an interval from a fixed epoch, so
    outlets planned alike but with different phases fall due at different ticks: 3,000 outlets at
    one interval are polled a few hundred a tick rather than all together. A poll is due once per
    slot (the slot of `now` against the slot of the last crawl, both moved by the same tolerance,
    so a tick a little early does not poll again at the next tick), and never sooner than `least`
    (the outlet's min_every) after the last: a slot that begins sooner is skipped for the next one
    (when the plan moves an outlet to a new phase or interval, or after a crawl of every outlet at
    start-up). Waiting out the floor instead and polling at once would gather every outlet whose
    slot fell inside it into one tick, interval after interval: with intervals near min_every, 9 in
    10 outlets polled together. One outlet of `due_every_many`.
    """
    if last is None:
        return True
    return bool(due_every_many([epoch_seconds(last)], [every.total_seconds()], epoch_seconds(now),
                               tolerance.total_seconds(), [phase], [least.total_seconds()])[0])


def due_every_many(last_s: Sequence[float], every_s: Sequence[float], now_s: float, tolerance_s: float,
                   phase: Sequence[float], least_s: Sequence[float]) -> Any:
    """`is_due_every` of many outlets at once (a boolean array): times in seconds since the slots'
    epoch (`epoch_seconds`), NaN for an outlet never crawled (due)."""
    # start-up time: numpy is loaded only when this runs
    import numpy as np

    last = np.asarray(last_s, dtype=float)
    every = np.asarray(every_s, dtype=float)
    give = np.minimum(tolerance_s, every / 2)
    least = np.asarray(least_s, dtype=float)
    with np.errstate(invalid="ignore"):  # NaN compares false: never crawled is due below
        slot = np.floor((now_s + give) / every - phase)
        later_slot = slot > np.floor((last + give) / every - phase)
        # the first slot that begins no sooner than least after the last poll (a tick's tolerance early)
        allowed = slot >= np.ceil((last + least - give) / every - phase)
        rested = now_s + give - last >= least
    return np.isnan(last) | (later_slot & allowed & rested)


def epoch_seconds(moment: datetime) -> float:
    """Seconds from the slots' epoch (a Monday midnight UTC) to `moment`."""
    return (moment - _EPOCH).total_seconds()


_EPOCH = datetime(2000, 1, 3, tzinfo=UTC)  # slots count from a Monday midnight UTC


@dataclass(frozen=True)
class Sighting:
    """An article as the history reads it: its outlet, when it was first seen and published, its story."""

    outlet: str
    first_seen: datetime
    published: datetime | None = None
    story: int | None = None


def first_copies(sightings: Iterable[Sighting]) -> list[Sighting]:
    """The articles that brought a story first: of the copies of one story (an outlet's rewrite of
    another's report, a release carried by several), only the earliest published (else first
    seen) counts. A copy tells nothing about freshness — the story was already found where it
    appeared first — so polling an outlet for the copies it carries would spend the budget on
    stories the office already has. An article without a story counts on its own."""
    first: dict[int, Sighting] = {}
    out: list[Sighting] = []
    for s in sightings:
        if s.story is None:
            out.append(s)
        elif s.story not in first or _order(s) < _order(first[s.story]):
            first[s.story] = s
    return out + list(first.values())


def _order(s: Sighting) -> tuple[datetime, datetime]:
    return (s.published or s.first_seen, s.first_seen)


def load_history(db: Database, outlet_ids: Iterable[str], now: datetime, config: CadenceConfig,
                 clock: SimClock | None = None, first_crawls: Mapping[str, datetime] | None = None) -> History:
    """Fresh first-seen counts and watched hours per outlet in the lookback, and the hour profile.

    An article first seen long after its publication is backlog a first crawl found, not a sign of
    how often the outlet publishes: it is left out (older than twice max_every, and at least a day).
    Of the copies of one story only the first counts (`first_copies`). Counted in the database
    (`crawlstate.first_copies_by_hour`): a tick reads a row per outlet and hour, not the articles.
    """
    since = now - config.lookback
    # stored times are wall time; with the bench's clock they are read as simulated time
    to_sim = clock.sim if clock is not None else _aware
    since_stored = clock.wall(since) if clock is not None else since
    backlog = max(2 * config.max_every, timedelta(days=1))
    scale, offset = clock.epoch_terms() if clock is not None else (1.0, 0.0)
    wanted = set(outlet_ids)
    counts: dict[str, int] = {}
    by_hour = [0] * HOURS
    for (oid, hour), n in first_copies_by_hour(db, since_stored, backlog, scale, offset).items():
        if oid in wanted:
            counts[oid] = counts.get(oid, 0) + n
            by_hour[hour] += n
    # watched since its first crawl, at most the lookback (an outlet never crawled: no hours yet)
    hours = {oid: max(0.0, (now - max(to_sim(first), since)).total_seconds() / 3600.0)
             for oid, first in _first_crawls(db, wanted, first_crawls).items()}
    return History(counts, hours, profile_of(by_hour))


def _first_crawls(db: Database, outlet_ids: set[str], known: Mapping[str, datetime] | None) -> dict[str, datetime]:
    if known is None:
        return {oid: first for oid, (first, _last) in crawl_span(db, outlet_ids).items()}
    return {oid: first for oid, first in known.items() if oid in outlet_ids}


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


REPLAN_EVERY = timedelta(minutes=10)


class PlanCache:
    """The adaptive plan a daemon keeps between ticks. Planning reads the store's history and
    solves the budget (0.2-1.5 s at 3,000 outlets and a week of history), while a tick comes every
    15 s and a week's history moves little in ten minutes: the plan is made again every
    REPLAN_EVERY, at each new hour (the profile's weight changes), and when the outlets, their
    bounds or the settings change."""

    def __init__(self, every: timedelta = REPLAN_EVERY) -> None:
        self.every = every
        self._key: tuple[Any, ...] | None = None
        self._at: datetime | None = None
        self._intervals: Mapping[str, timedelta] = {}
        self.plans = 0  # how many plans were made

    def intervals(self, key: tuple[Any, ...], now: datetime, make: Any) -> Mapping[str, timedelta]:
        at = self._at
        if (key != self._key or at is None or not at <= now < at + self.every
                or now.astimezone(UTC).hour != at.astimezone(UTC).hour):
            self._intervals, self._key, self._at = make(), key, now
            self.plans += 1
        return self._intervals


def choose_due(db: Database, outlets: Sequence[Outlet], last: Mapping[str, datetime], now: datetime,
               config: CadenceConfig | None = None, first_crawls: Mapping[str, datetime] | None = None,
               plans: PlanCache | None = None) -> list[Outlet]:
    """The outlets a tick crawls: registry `every`/`cron` as written; the rest by the cadence mode.
    `first_crawls`: when each outlet's first crawl started, if the caller has read it already;
    `plans`: the daemon's plan of earlier ticks (None: plan now)."""
    config = config or CadenceConfig.from_env()
    clock = sim_clock()
    if clock is not None:  # the freshness bench's compressed time: decide in simulated time
        now = clock.sim(now)
        last = {oid: clock.sim(at) for oid, at in last.items()}
    if config.mode == "fixed" or all(o.fixed for o in outlets):
        return [o for o in outlets if is_due(o, last.get(o.id), now)]
    cfg = config

    def make() -> Mapping[str, timedelta]:
        history = load_history(db, [o.id for o in outlets if not o.fixed], now, cfg, clock, first_crawls)
        made = plan(outlets, history, cfg, now)
        shares = Counter(made.intervals.values()).most_common(3)
        log.info("adaptive plan for %s: %.0f polls/h this hour (budget: %.0f an hour over the day); %s", now.isoformat(timespec="minutes"),
                 made.polls_per_hour(), made.budget, ", ".join(f"{n} outlets every {_span(i)}" for i, n in shares))
        return made.intervals

    if plans is None:
        intervals = make()
    else:
        key = (config, str(db.engine.url), tuple((o.id, o.min_every, o.max_every) for o in outlets if not o.fixed))
        intervals = plans.intervals(key, now, make)
    # half a tick (tick_for) rounds an interval to the nearest tick
    tolerance = min(DUE_TOLERANCE, tick_for(config) / 2)
    adaptive = [o for o in outlets if not o.fixed]
    polled = [last.get(o.id) for o in adaptive]
    due = due_every_many([math.nan if at is None else epoch_seconds(at) for at in polled],
                         [intervals[o.id].total_seconds() for o in adaptive], epoch_seconds(now),
                         tolerance.total_seconds(), [phase_of(o.id) for o in adaptive],
                         [config.bounds(o)[0].total_seconds() for o in adaptive])
    chosen = {o.id for o, yes in zip(adaptive, due, strict=True) if yes}
    return [o for o in outlets if (is_due(o, last.get(o.id), now) if o.fixed else o.id in chosen)]


def due_now(db: Database, outlets: Iterable[Outlet], now: datetime | None = None,
            started: Mapping[str, datetime] | None = None, config: CadenceConfig | None = None,
            plans: PlanCache | None = None) -> list[Outlet]:
    """The outlets a tick crawls now, in registry order: those cut short last time (resumed) and
    those their cadence says are due. `started`: crawls begun elsewhere that the store does not
    show yet (Redis mode: outlets enqueued for the workers); `plans`: see `choose_due`."""
    now = now or datetime.now(UTC)
    outlets = list(outlets)
    cut_short = interrupted_outlets(db)  # killed, stopped or timed out: resumed at the next tick
    span = crawl_span(db, [o.id for o in outlets])  # read once: the last crawls here, the first in load_history
    last = {oid: at for oid, (_first, at) in span.items()}
    for oid, at in (started or {}).items():
        if oid not in last or at > last[oid]:
            last[oid] = at
    due = {o.id for o in choose_due(db, outlets, last, now, config, {oid: f for oid, (f, _last) in span.items()},
                                    plans)}
    return [o for o in outlets if o.id in cut_short or o.id in due]

