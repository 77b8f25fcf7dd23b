"""Freshness at country scale: publication → alert row → mail over 3,000 outlets, fixed vs adaptive.

Three parts, one run (`make bench ONLY=freshness`):

1. **The idle tick at 3,000 outlets, for real**: the bundled site server serves 3,000 synthetic
   outlets (one port each, one process), a seeding crawl fills a SQLite store (cached under
   `$NEWSWATCH_HOME/bench/`), then one `newswatch crawl -q` subprocess — what a scheduler tick
   starts — crawls all 3,000 with nothing new. Wall, CPU, requests (counted by the server) and the
   peak RSS of the server and the crawl are measured. Skipped (figures from the issue's 300-outlet
   tick scaled ×10 instead) with FRESHNESS_REAL=0. With FRESHNESS_HOLD_S=<seconds> (off by
   default), the real daemon is then held over them with every outlet due at every tick (`hold`).
2. **A simulated day, fixed vs adaptive polling with the same request budget**: the publisher of
   `crawler.demosites.scale.publications` (3,000 outlets: 3% publish every few minutes in office hours,
   77% a few times a day, 20% weekly; 5% of stories syndicated to 2-5 outlets, 8% about medical
   tourism; shaped by the Seoul day) runs for a warm-up day polled every 5 minutes (the history the
   adaptive cadence learns from), then for the measured day twice: fixed 5-minute ticks over every
   outlet, and adaptive ticks every min_every choosing outlets with the real `crawler.schedule.cadence`
   code, with the budget of fixed polling (36,000 polls an hour). Time is event-driven (a simulated
   day takes seconds); a tick's crawl lasts its requests at the throughput measured in part 1, its
   outlets are polled spread over that time in random order, an alert row is written when an
   outlet's poll finds the story, and its mail leaves when the tick ends (a finished tick wakes the
   sender). After the day, polling goes on for max_every with nothing new so that a missed article
   is one never found.

What part 2 is not: the real scheduler daemon crawling a live publisher. The crawl's cost and
speed come from part 1; matching, dedupe and mail composition are taken as instant.

3. **The live daemons against a live publisher** (`live_pair`, the `freshness.fixed_*`/`adaptive_*`
   keys; part 2 then reports as `freshness.sim_*`; FRESHNESS_LIVE=0 skips it): the site server
   publishes `publications(...)` as simulated time passes (crawler.demosites.server.Publisher), and
   two real `newswatch schedule` daemons, fixed and adaptive, each with its own copy of the seeded
   store, run side by side against it with time compressed FRESHNESS_TIME_SCALE×
   (crawler.schedule.simclock): both find the same stories published at the same moments.
   Publication → alert row / mail file is read from each one's store and outbox. A third of the
   live window's stories are about medical tourism (LIVE_RELEVANT; the day's mix has 8%) so that
   the percentiles rest on ~70 stories. A tick's crawl counts FRESHNESS_TIME_SCALE times its wall
   time there: the live latencies are pessimistic by up to (scale - 1) × a tick's wall. How each
   daemon held over the run (its RSS and tick walls over time, how late its outbox sender started
   while ticks ran) is read from the same runs.
"""

from __future__ import annotations

import math
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crawler import paths

OUTLETS, ARTICLES = 3000, 1  # one stored article per outlet: the seed crawl is half the work of two
ANCHOR = "2026-01-02T12:00:00+09:00"
PORT_BASE = int(os.environ.get("FRESHNESS_PORT_BASE", "26100"))  # fixed (URLs are in the cached store); 26100-29099 is below the ephemeral range
BASE_EVERY = timedelta(minutes=5)
WARM_HOURS, DAY_HOURS = 7 * 24.0, 24.0  # a week of history to learn from, one day measured
START = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)  # 00:00 Tuesday in Seoul
REPLAN_S = 600.0
LIVE_SEND_EVERY_S = 5  # the live daemons' outbox sender (`NEWSWATCH_SCHEDULE_SEND_EVERY`)
LIVE_HEALTH_EVERY_S = 30  # and their health check (15 minutes by default): is it ever held up by a tick?
# opt-in (`FRESHNESS_HOLD_S=360 make bench ONLY=freshness`): the real daemon held over the 3,000
# outlets with every outlet due at every 20-s tick, long enough to see its memory level off
HOLD_S = float(os.environ.get("FRESHNESS_HOLD_S", "0"))
ISSUE_RPS = 300 / 2.1  # the issue's idle tick: 300 outlets in 2.1 s, 1.00 request each
TARGETS = {
    "freshness.fixed_p95_mail_min": "≤ 6",
    "freshness.adaptive_p95_mail_min": "≤ 0.6 × fixed",
    "freshness.missed": "= 0",
    "freshness.idle_tick_3000_s": "≤ 30",
    "freshness.idle_requests_per_outlet": "≤ 1.05",
    "freshness.peak_rss_mb": "≤ 500",
    "freshness.cpu_share": "≤ 0.5",
}
SEED_SETTINGS = ["-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "AUTOTHROTTLE_MAX_DELAY=0.2"]


# --- part 1: the real idle tick ---------------------------------------------------------------------

def _cache_file(count: int) -> Path:
    stamp = ANCHOR.replace(":", "").replace("+", "p")
    return paths.bench_dir() / f"freshness-seed-{count}x{ARTICLES}-{stamp}-{PORT_BASE}.db"


def _vm_hwm_mb(pid: int) -> float:
    """A live process's peak RSS (VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def idle_tick(count: int) -> dict[str, float]:
    """Serve `count` outlets, seed (or copy the cached seed), time one idle crawl of all of them."""
    from bench.schedule import _copy_db, _lines, _refresh_robots

    work = paths.bench_dir() / "freshness-run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    log, db_file, cache = work / "requests.log", work / "newswatch.db", _cache_file(count)
    server = subprocess.Popen(
        [sys.executable, "-m", "crawler.demosites", "serve", "--scale", f"{count}:{ARTICLES}", "--anchor", ANCHOR,
         "--port-base", str(PORT_BASE), "--registry-out", str(work / "outlets.toml"), "--log", str(log)],
        stdout=subprocess.PIPE, text=True, cwd=paths.PROJECT_ROOT)
    try:
        assert server.stdout is not None
        if not server.stdout.readline():
            server.wait(timeout=10)
            raise RuntimeError(f"the site server did not start (ports {PORT_BASE}+{count} busy?)")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSWATCH_SMTP_", "SENTRY_"))}
        env.update({"NEWSWATCH_HOME": str(work), "NEWSWATCH_OUTLETS_FILE": str(work / "outlets.toml"),
                    "NEWSWATCH_DB_URL": f"sqlite:///{db_file}"})
        env.pop("NEWSWATCH_REDIS_URL", None)
        seeded_s = 0.0
        if cache.exists():
            _copy_db(cache, db_file)
        else:
            seeded_s = _crawl(env, "--seed", *SEED_SETTINGS)["wall_s"]
            _copy_db(db_file, cache)
        _refresh_robots(db_file)
        before = _lines(log)
        _last_child_cpu()
        tick = _crawl(env)
        _last_child_cpu()
        requests = _lines(log) - before
        server_mb = _vm_hwm_mb(server.pid)
        # what any tick costs however few outlets it crawls: the subprocess, Scrapy, the store
        one = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "-q", "bench001"], env=env,
                             capture_output=True, text=True, cwd=paths.PROJECT_ROOT, check=False)
        if one.returncode != 0:
            raise RuntimeError(f"one-outlet crawl failed ({one.returncode}):\n{one.stderr[-3000:]}")
        start_cpu = _last_child_cpu()
        crawl_mb = tick["tree_mb"]
        held = hold(env, work) if HOLD_S > 0 else {}
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"wall_s": tick["wall_s"], "cpu_s": tick["cpu_s"], "requests": float(requests),
            "server_mb": server_mb, "crawl_mb": crawl_mb, "seed_s": seeded_s, "tick_start_cpu_s": start_cpu, **held}


def hold(env: dict[str, str], work: Path) -> dict[str, float]:
    """The real `newswatch schedule` daemon over the served outlets for HOLD_S seconds, every outlet
    due at every 20-s tick (back-to-back idle ticks: the heaviest steady load a tick interval can
    give): its RSS over time (after its first tick, a third and two thirds of the way, at the end),
    its course (`daemon_course`) and its CPU."""
    import signal

    registry = (work / "outlets.toml").read_text(encoding="utf-8")
    (work / "outlets-due.toml").write_text(re.sub(r'(?m)^every = ".*"$', 'every = "1m"', registry), encoding="utf-8")
    (work / "recipients.toml").write_text('[[recipient]]\naddress = "bench@example.org"\n'
                                          'watchlists = ["medical-tourism"]\n', encoding="utf-8")
    denv = dict(env, NEWSWATCH_OUTLETS_FILE=str(work / "outlets-due.toml"),
                NEWSWATCH_RECIPIENTS_FILE=str(work / "recipients.toml"), NEWSWATCH_SCHEDULE_WINDOW="always",
                NEWSWATCH_SCHEDULE_TICK="20s", NEWSWATCH_SCHEDULE_SEND_EVERY="10s",
                NEWSWATCH_SCHEDULE_HEALTH_EVERY=f"{LIVE_HEALTH_EVERY_S}s")
    log_path = work / "daemon.log"
    with log_path.open("w", encoding="utf-8") as log_file:
        daemon = subprocess.Popen([sys.executable, "-m", "crawler.cli", "schedule", "-v"], env=denv,
                                  stdout=log_file, stderr=subprocess.STDOUT, cwd=paths.PROJECT_ROOT)
    series: list[tuple[float, float]] = []
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < HOLD_S and _running(daemon):
            time.sleep(2.0)
            series.append((time.time(), _rss_mb(daemon.pid)))
    finally:
        cpu = stop_daemon(daemon)
    log_text = log_path.read_text(encoding="utf-8", errors="replace")
    if daemon.returncode not in (0, -signal.SIGTERM) or not series:
        raise RuntimeError(f"the scheduler daemon failed ({daemon.returncode}):\n{log_text[-3000:]}")
    course = daemon_course(log_text, series)
    at = [r for _, r in series if r]

    def share(f: float) -> float:
        return round(at[min(len(at) - 1, int(f * len(at)))], 1)

    return {"hold_s": round(time.monotonic() - t0, 1), "hold_ticks": course["ok_ticks"],
            "hold_tick_s": course["tick_wall_s"], "hold_cpu_s": round(cpu, 1),
            "hold_rss_third_mb": share(1 / 3), "hold_rss_two_thirds_mb": share(2 / 3),
            **{f"hold_{k}": v for k, v in course.items()}}


_TICK_LINE = re.compile(r"^(\S+ \S+) \S+ crawler\.schedule\.tick: crawl tick \(tick\): (\w+) in ([\d.]+)s")
_RUN_LINE = re.compile(r'^(\S+ \S+) \S+ apscheduler\.executors\.\w+: Running job "(send-outbox|health-check) .*\(scheduled at (.+?)\)')


def _proc_mb(pid: int, name: str, key: str) -> float:
    """A kB figure of /proc/<pid>/<name> in MB (0 once the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _rss_mb(pid: int) -> float:
    return _proc_mb(pid, "status", "VmRSS:")


def _pss_mb(pid: int) -> float:
    """Proportional set size: pages shared with other processes (libraries, the memory-mapped
    SQLite file, the CPU pool's imports) counted once over all of them, not in each one's RSS."""
    return _proc_mb(pid, "smaps_rollup", "Pss:")


def _children(pid: int) -> list[int]:
    """A process's direct children, started from any of its threads."""
    kids: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            kids += map(int, (task / "children").read_text().split())
    except OSError:
        pass
    return kids


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        kids = _children(todo.pop())  # from any thread: the daemon's crawl runs in a pool thread
        out.extend(kids)
        todo.extend(kids)
    return out


def _slope(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    if n < 2:
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0


def _crawl(env: dict[str, str], *args: str) -> dict[str, float]:
    """One `newswatch crawl -q --all …` subprocess: wall and CPU seconds, and the peak of its process
    tree's summed RSS (the crawl and its CPU workers), sampled every 0.2 s."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    import tempfile

    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as out:  # a file never fills up
        proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", "crawl", "-q", "--all", *args], env=env,
                                stdout=out, stderr=subprocess.STDOUT, text=True, cwd=paths.PROJECT_ROOT)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, _rss_mb(proc.pid) + sum(_rss_mb(k) for k in _descendants(proc.pid)))
            time.sleep(0.2)
        out.seek(0)
        err = out.read()
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"bench crawl failed ({proc.returncode}):\n{err[-3000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "tree_mb": peak}


_children_cpu = [0.0]


def _last_child_cpu() -> float:
    """CPU seconds of the children reaped since the previous call."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = usage.ru_utime + usage.ru_stime
    spent, _children_cpu[0] = total - _children_cpu[0], total
    return spent


# --- part 2: the simulated day ------------------------------------------------------------------------

@dataclass
class Outcome:
    """What one policy did over the measured day (times in simulated seconds)."""

    polls: int = 0
    article_requests: int = 0
    alert_delays: list[float] = field(default_factory=list)  # relevant story: publication → alert row
    mail_delays: list[float] = field(default_factory=list)  # relevant story: publication → mail
    article_delays: list[float] = field(default_factory=list)  # every article: publication → first seen
    missed: int = 0
    ticks: int = 0
    ticks_run: int = 0  # ticks with at least one outlet due (a crawl subprocess started)
    busiest_tick_s: float = 0.0
    plan_s: list[float] = field(default_factory=list)  # wall seconds of each cadence plan (adaptive)


Chooser = Callable[[float, list[float | None]], list[int]]


class World:
    """Outlets, their publications and what a crawl has found so far."""

    def __init__(self, pubs: Sequence[Any], count: int, origin: datetime) -> None:
        self.origin = origin  # the moment simulated time 0 stands for
        self.pubs = pubs
        self.count = count
        self.next_pub = 0
        self.pending: list[list[Any]] = [[] for _ in range(count)]
        self.story_alert: dict[int, float] = {}
        self.story_mail: dict[int, float] = {}
        self.story_published: dict[int, float] = {}
        # (outlet, time found, time published, story) of every article found
        self.first_seen: list[tuple[int, float, float, int]] = []

    def publish_until(self, t: float) -> None:
        while self.next_pub < len(self.pubs) and self.pubs[self.next_pub].at <= t:
            p = self.pubs[self.next_pub]
            self.pending[p.outlet].append(p)
            self.story_published.setdefault(p.story, p.at)
            self.next_pub += 1


def simulate(world: World, tick_s: float, choose: Chooser, end_s: float, rps: float,
             measure_from: float, seed: str) -> Outcome:
    """Run ticks every `tick_s` until `end_s`; figures count what was published from `measure_from` on."""
    rng = random.Random(seed)
    out = Outcome()
    last: list[float | None] = [None] * world.count
    t = 0.0
    while t < end_s:
        world.publish_until(t)
        due = choose(t, last)
        found = sum(len(world.pending[i]) for i in due)  # an upper bound: what is out at the tick's start
        duration = (len(due) + found) / rps
        world.publish_until(t + duration)
        order = list(due)
        rng.shuffle(order)
        for rank, outlet in enumerate(order):
            at = t + duration * (rank + 1) / max(len(order), 1)
            last[outlet] = t
            pending = world.pending[outlet]
            keep = []
            for p in pending:
                if p.at > at:
                    keep.append(p)
                    continue
                world.first_seen.append((outlet, at, p.at, p.story))
                if p.at >= measure_from:
                    out.article_delays.append(at - p.at)
                    out.article_requests += 1
                if p.relevant and p.story not in world.story_alert:
                    world.story_alert[p.story] = at
                    world.story_mail[p.story] = t + duration  # the tick's end wakes the sender
            world.pending[outlet] = keep
        if t >= measure_from:
            out.polls += len(due)
            out.ticks += 1
            out.ticks_run += 1 if due else 0
            out.busiest_tick_s = max(out.busiest_tick_s, duration)
        # coalesced: a tick still running when the next is due makes the next one wait
        t = max(t + tick_s, math.ceil((t + duration) / tick_s) * tick_s)
    for story, published in world.story_published.items():
        if published >= measure_from and story in world.story_alert:
            out.alert_delays.append(world.story_alert[story] - published)
            out.mail_delays.append(world.story_mail[story] - published)
    out.missed = sum(1 for pending in world.pending for p in pending if p.at >= measure_from)
    out.missed += len(world.pubs) - world.next_pub
    return out


def fixed_chooser(count: int) -> Chooser:
    return lambda _t, _last: list(range(count))


def adaptive_chooser(count: int, warm: World, config: Any) -> Chooser:
    """Due outlets by the real cadence code, from the first-seen times found so far (warm-up day included)."""
    from crawler.registry import Outlet
    from crawler.schedule.cadence import (
        History,
        Sighting,
        due_every_many,
        epoch_seconds,
        first_copies,
        phase_of,
        plan,
        profile_of,
    )

    outlets = [Outlet(id=f"o{i}", name=f"o{i}", region="서울", home="http://127.0.0.1:1/") for i in range(count)]
    phases = [phase_of(o.id) for o in outlets]
    counts = [0] * count
    hours = [0] * 24
    seen_upto = [0]
    sources: list[World] = [warm]
    firsts: dict[int, Sighting] = {}  # the first copy of each story found so far (as load_history counts)

    def count(s: Sighting, by: int) -> None:
        counts[int(s.outlet)] += by
        hours[s.first_seen.astimezone(UTC).hour] += by

    def learn(world: World) -> None:
        base = len(sources) * 10_000_000  # story numbers restart with each world
        new = [Sighting(str(outlet), world.origin + timedelta(seconds=at), world.origin + timedelta(seconds=published),
                        base + story)
               for outlet, at, published, story in world.first_seen[seen_upto[0]:]]
        seen_upto[0] = len(world.first_seen)
        touched = {s.story for s in new if s.story is not None}
        before = [firsts[k] for k in touched if k in firsts]
        for s in before:
            count(s, -1)
        for s in first_copies(new + before):
            if s.story is not None:
                firsts[s.story] = s
        for k in touched:
            count(firsts[k], +1)

    learn(warm)

    current: dict[str, Any] = {"at": -math.inf, "hour": -1, "every": []}
    tolerance_s = adaptive_tick(config).total_seconds() / 2
    least_s = [config.min_every.total_seconds()] * len(outlets)
    plan_seconds: list[float] = []

    def choose(t: float, last: list[float | None]) -> list[int]:
        world = sources[-1]
        now = START + timedelta(seconds=t)
        # the daemon plans on every tick; a week's history moves little in 10 minutes, so the
        # simulation re-plans every 10 simulated minutes and at each new hour (3,000 outlets × 2,900 ticks)
        if t - current["at"] >= REPLAN_S or now.hour != current["hour"]:
            if world is not warm:
                learn(world)
            watched = WARM_HOURS + t / 3600.0
            history = History({f"o{i}": c for i, c in enumerate(counts)},
                              dict.fromkeys((o.id for o in outlets), watched), profile_of(hours))
            t0 = time.perf_counter()
            intervals = plan(outlets, history, config, now).intervals
            plan_seconds.append(time.perf_counter() - t0)
            current.update(at=t, hour=now.hour, every=[intervals[o.id].total_seconds() for o in outlets])
        start_s = epoch_seconds(START)
        due = due_every_many([math.nan if at is None else start_s + at for at in last], current["every"],
                             start_s + t, tolerance_s, phases, least_s)
        return [int(i) for i in due.nonzero()[0]]

    def attach(world: World) -> None:
        seen_upto[0] = 0
        sources.append(world)

    choose.attach = attach  # type: ignore[attr-defined]
    choose.plan_seconds = plan_seconds  # type: ignore[attr-defined]
    return choose


def adaptive_tick(config: Any) -> timedelta:
    from crawler.schedule.cadence import tick_for

    return tick_for(config)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def day(count: int, rps: float, config: Any) -> dict[str, Outcome]:
    """The warm-up day, then the measured day under fixed and adaptive polling."""
    from crawler.demosites.scale import publications

    warm_start = START - timedelta(hours=WARM_HOURS)
    pubs_warm = publications(count, warm_start, WARM_HOURS, seed="freshness-warm")
    warm = World(pubs_warm, count, warm_start)
    simulate(warm, BASE_EVERY.total_seconds(), fixed_chooser(count), WARM_HOURS * 3600, rps, 0.0, "warm")
    tail_h = config.max_every.total_seconds() / 3600.0
    pubs_day = publications(count, START, DAY_HOURS, seed="freshness-day")
    results: dict[str, Outcome] = {}
    for name, tick_s, make in (
        ("fixed", BASE_EVERY.total_seconds(), lambda w: fixed_chooser(count)),
        ("adaptive", adaptive_tick(config).total_seconds(), lambda w: adaptive_chooser(count, warm, config)),
    ):
        world = World(pubs_day, count, START)
        chooser = make(world)
        if hasattr(chooser, "attach"):
            chooser.attach(world)
        results[name] = simulate(world, tick_s, chooser, (DAY_HOURS + tail_h) * 3600, rps, 0.0, name)
        results[name].plan_s = list(getattr(chooser, "plan_seconds", []))
    return results


def _slope_per_hour(values: list[float], tick_s: float) -> float:
    """Least-squares slope of per-tick values against simulated hours."""
    n = len(values)
    if n < 2:
        return 0.0
    xs = [i * tick_s / 3600.0 for i in range(n)]
    mx, my = sum(xs) / n, sum(values) / n
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, values, strict=True)) / var if var else 0.0


def run() -> dict[str, Any]:

    count = int(os.environ.get("FRESHNESS_OUTLETS", OUTLETS))
    real = os.environ.get("FRESHNESS_REAL", "1") != "0"
    figures: dict[str, Any] = {}
    if real:
        tick = idle_tick(count)
        rps = tick["requests"] / tick["wall_s"]
        tick_cpu = tick["tick_start_cpu_s"]
        per_request_cpu = max(0.0, tick["cpu_s"] - tick_cpu) / max(tick["requests"], 1.0)
        figures.update({
            f"freshness.idle_tick_{count}_s": round(tick["wall_s"], 1),
            f"freshness.idle_tick_{count}_cpu_s": round(tick["cpu_s"], 1),
            "freshness.idle_requests_per_outlet": round(tick["requests"] / count, 3),
            "freshness.peak_rss_mb": round(tick["crawl_mb"]),  # newswatch's own processes; the server is the web
            "freshness.server_rss_mb": round(tick["server_mb"]),
            "freshness.crawl_rss_mb": round(tick["crawl_mb"]),
            "freshness.seed_crawl_s": round(tick["seed_s"], 1),
            "freshness.tick_start_cpu_s": round(tick_cpu, 2),
            **{f"freshness.{k}": v for k, v in tick.items() if k.startswith("hold_")},
        })
    else:  # the issue's 300-outlet tick (its CPU taken as its wall) and a guess at a tick's start-up
        rps, per_request_cpu, tick_cpu = ISSUE_RPS, 2.1 / 300, 1.5
    if real:
        figures.update(runs_growth(count, seeded_store(count)))
    if real and os.environ.get("FRESHNESS_LIVE", "1") != "0":
        pair, both_peak = live_pair(count, seeded_store(count))
        for policy, got in pair.items():
            for key, value in got.items():
                figures[f"freshness.{policy}_{key}"] = value
        # both deployments on one machine at once (each alone is what `peak_rss_mb` holds to 500 MB)
        figures["freshness.both_peak_rss_mb"] = both_peak
        # how the daemons held: the worse of the two
        figures["freshness.daemon_rss_slope_mb_per_h"] = max(p["daemon_rss_slope_mb_per_h"] for p in pair.values())
        figures["freshness.sender_max_late_s"] = max(p["sender_max_late_s"] for p in pair.values())
        figures["freshness.health_max_late_s"] = max(p["health_max_late_s"] for p in pair.values())
        figures["freshness.failed_ticks"] = sum(p["failed_ticks"] for p in pair.values())
        figures["freshness.time_scale"] = LIVE_SCALE
        # missed: published and never stored, or alerted and never mailed; a relevant-looking story
        # the watchlist did not match is the matcher's decision, counted apart
        # (*_relevant_found_unalerted), as is one that joined another story (*_relevant_joined)
        figures["freshness.missed"] = sum(
            figures[f"freshness.{p}_unfound"] + figures[f"freshness.{p}_relevant_unmailed"]
            for p in POLICIES)
        figures["freshness.adaptive_over_fixed_p95"] = round(
            figures["freshness.adaptive_p95_mail_min"] / figures["freshness.fixed_p95_mail_min"], 2)
        figures["freshness.peak_rss_mb"] = max(figures.get("freshness.peak_rss_mb", 0),
                                               figures["freshness.fixed_peak_rss_mb"], figures["freshness.adaptive_peak_rss_mb"])
        figures["freshness.peak_pss_mb"] = max(figures["freshness.fixed_peak_pss_mb"],
                                               figures["freshness.adaptive_peak_pss_mb"])
        figures["freshness.cpu_share"] = round(max(figures[f"freshness.{p}_cpu_per_sim_hour_s"]
                                                   for p in POLICIES) / 3600, 3)
        prefix = "freshness.sim_"  # the event-driven day: a cross-check under the live figures' keys
    else:
        prefix = "freshness."
    figures.update(simulated_day(count, rps, per_request_cpu, tick_cpu, prefix))
    return figures


def simulated_day(count: int, rps: float, per_request_cpu: float, tick_cpu: float, prefix: str) -> dict[str, Any]:
    """Part 2's figures under `prefix`."""
    from crawler.schedule.cadence import CadenceConfig

    figures: dict[str, Any] = {}
    config = CadenceConfig(mode="adaptive", base_every=BASE_EVERY)  # the default min_every/max_every
    wall0 = time.monotonic()
    outcome = day(count, rps, config)
    sim_wall = time.monotonic() - wall0
    hours = DAY_HOURS + config.max_every.total_seconds() / 3600.0
    for name, o in outcome.items():
        requests = o.polls + o.article_requests
        figures.update({
            f"{prefix}{name}_tick_s": (BASE_EVERY if name == "fixed" else adaptive_tick(config)).total_seconds(),
            f"{prefix}{name}_p50_mail_min": round(_pct(o.mail_delays, 0.50) / 60, 2),
            f"{prefix}{name}_p95_mail_min": round(_pct(o.mail_delays, 0.95) / 60, 2),
            f"{prefix}{name}_max_mail_min": round(max(o.mail_delays, default=float("nan")) / 60, 2),
            f"{prefix}{name}_p50_alert_min": round(_pct(o.alert_delays, 0.50) / 60, 2),
            f"{prefix}{name}_p95_alert_min": round(_pct(o.alert_delays, 0.95) / 60, 2),
            f"{prefix}{name}_max_alert_min": round(max(o.alert_delays, default=float("nan")) / 60, 2),
            f"{prefix}{name}_p95_article_min": round(_pct(o.article_delays, 0.95) / 60, 2),
            f"{prefix}{name}_polls_per_outlet_hour": round(o.polls / count / hours, 2),
            f"{prefix}{name}_requests_per_outlet_hour": round(requests / count / hours, 2),
            f"{prefix}{name}_cpu_share": round((requests * per_request_cpu + o.ticks_run * tick_cpu) / (hours * 3600), 3),
            f"{prefix}{name}_missed": o.missed,
            f"{prefix}{name}_busiest_tick_s": round(o.busiest_tick_s, 1),
        })
    fixed, adaptive = outcome["fixed"], outcome["adaptive"]
    figures[f"{prefix}missed"] = fixed.missed + adaptive.missed
    figures[f"{prefix}cpu_share"] = max(figures[f"{prefix}fixed_cpu_share"], figures[f"{prefix}adaptive_cpu_share"])
    figures[f"{prefix}adaptive_over_fixed_p95"] = round(
        figures[f"{prefix}adaptive_p95_mail_min"] / figures[f"{prefix}fixed_p95_mail_min"], 2)
    figures[f"{prefix}relevant_stories"] = len(fixed.mail_delays)
    figures[f"{prefix}articles"] = len(fixed.article_delays)
    figures[f"{prefix}plan_{count}_ms"] = round(1000 * sum(adaptive.plan_s) / max(len(adaptive.plan_s), 1), 1)
    figures[f"{prefix}plan_{count}_ms_slope_per_hour"] = round(1000 * _slope_per_hour(adaptive.plan_s, REPLAN_S), 3)
    figures[f"{prefix}outlets"] = count
    figures[f"{prefix}sim_speedup"] = round(2 * hours * 3600 / sim_wall)  # simulated s per wall s
    figures[f"{prefix}sim_rps"] = round(rps, 1)
    return figures


# --- part 3: the live daemon against a live publisher (compressed time) ------------------------------

LIVE_SCALE = float(os.environ.get("FRESHNESS_TIME_SCALE", "5"))  # simulated seconds per wall second
# wall seconds of publishing: one fixed interval (5 simulated minutes), so that whatever the phase of
# the fixed run's ticks, a story waits for the next one a uniform share of the interval (with 1.5
# intervals, the fixed percentiles moved with where the ticks fell)
LIVE_PUBLISH_S = float(os.environ.get("FRESHNESS_LIVE_PUBLISH_S", BASE_EVERY.total_seconds() / LIVE_SCALE))
# then nothing new while the daemon runs on, until what was published last is found: in the fixed
# run by the tick 16 s after the window (a 3,000-outlet crawl of ~15 s), in the adaptive run by
# the slowest poll (articles were found at most 45 s after publication)
LIVE_TAIL_S = float(os.environ.get("FRESHNESS_LIVE_TAIL_S", "55"))
# wall seconds between starting the daemon and the first publication (3.75 simulated minutes): its
# first tick crawls every outlet, and adaptive polling needs a few minutes more before the outlets
# fall due at their own phases rather than together; publishing starts in the steady state (and
# the fixed ticks fall mid-window: at 15 s they came a second after the last publication)
LIVE_LEAD_S = 45.0
LIVE_SEOUL_HOUR = 10  # the live runs publish from 10:00 in Seoul (simulated): a weekday morning's peak
# a third of the live window's stories are about medical tourism (the day's mix: 8%), so that the
# percentiles of publication → mail rest on some 70 stories of their own rather than 10
LIVE_RELEVANT = 1 / 3
# simulated history (what polling found before) the adaptive cadence learns from: a week, as the
# simulated day has (72 h: the prior of a few a day weighed a third, quiet outlets looked busier and
# the head interval came to 3.25 min instead of 2.75)
LIVE_HISTORY_H = 168.0
_TICK_START = re.compile(r"^(\S+ \S+) \S+ crawler\.schedule\.tick: crawl tick \(tick\): (-m crawler\.cli crawl|kept crawl process)")


POLICIES = ("fixed", "adaptive")


def _policy_env(policy: str, work: Path, registry: str, clock: Any) -> dict[str, str]:
    """One daemon's registry, recipient and environment: fixed (every outlet every 5 simulated
    minutes) or adaptive (no `every`: the cadence decides, with the budget of fixed polling)."""
    from crawler.schedule.simclock import ANCHOR_VAR, LAG_VAR, SCALE_VAR

    every = 'every = "5m"' if policy == "fixed" else ""
    (work / "outlets.toml").write_text(re.sub(r'(?m)^every = ".*"$', every, registry), encoding="utf-8")
    (work / "recipients.toml").write_text(
        '[[recipient]]\naddress = "bench@example.org"\nwatchlists = ["medical-tourism"]\nmode = "immediate"\n'
        'immediate_min_score = 0.0\nweekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\n',
        encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSWATCH_", "SENTRY_"))}
    env.update({"NEWSWATCH_HOME": str(work), "NEWSWATCH_OUTLETS_FILE": str(work / "outlets.toml"),
                "NEWSWATCH_DB_URL": f"sqlite:///{work / 'newswatch.db'}",
                "NEWSWATCH_RECIPIENTS_FILE": str(work / "recipients.toml"),
                "NEWSWATCH_SCHEDULE_WINDOW": "always", "NEWSWATCH_SCHEDULE_SEND_EVERY": f"{LIVE_SEND_EVERY_S}s",
                "NEWSWATCH_SCHEDULE_HEALTH_EVERY": f"{LIVE_HEALTH_EVERY_S}s",
                SCALE_VAR: f"{LIVE_SCALE:g}", ANCHOR_VAR: clock.anchor.isoformat(),
                LAG_VAR: f"{int(clock.lag.total_seconds())}s"})
    if policy == "adaptive":
        env.update({"NEWSWATCH_SCHEDULE_CADENCE": "adaptive", "NEWSWATCH_SCHEDULE_BASE_EVERY": "5m",
                    "NEWSWATCH_SCHEDULE_LOOKBACK": f"{int(LIVE_HISTORY_H)}h"})
    return env


def _running(proc: subprocess.Popen[Any]) -> bool:
    """Whether a child still runs, without reaping it (`stop_daemon` reaps it, with its usage)."""
    return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None


def stop_daemon(proc: subprocess.Popen[Any], timeout: float = 90.0) -> float:
    """SIGTERM a daemon and reap it: the CPU seconds of it and of the crawl processes it reaped
    (wait4's usage of one child, so two daemons running side by side are told apart)."""
    import signal

    os.kill(proc.pid, signal.SIGTERM)  # not send_signal: it would reap a daemon that already ended
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            os.kill(proc.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.2)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def live_pair(count: int, seed_db: Path) -> tuple[dict[str, dict[str, float]], float]:
    """Two real `newswatch schedule` daemons side by side over the same `count` outlets while one site
    server publishes (compressed time, NEWSWATCH_SCHEDULE_TIME_SCALE): fixed (every outlet every 5
    simulated minutes) and adaptive (the same budget, NEWSWATCH_SCHEDULE_CADENCE=adaptive, learning
    from LIVE_HISTORY_H of history), each with its own store, outbox and crawl process, both finding
    the same stories published at the same moments. Per policy: publication → alert row / mail file
    from its store and outbox, its processes' peak RSS and CPU, its daemon's RSS and tick walls
    over time, how late its outbox sender and health check ran; and the peak RSS of both
    deployments at once."""
    import signal

    from bench.schedule import _copy_db

    root = paths.bench_dir() / "freshness-live"
    shutil.rmtree(root, ignore_errors=True)
    works = {p: root / p for p in POLICIES}
    for work in works.values():
        work.mkdir(parents=True)
    pub_log = root / "published.jsonl"
    first_pub = datetime.now(UTC) + timedelta(seconds=LIVE_LEAD_S)
    clock = live_clock(first_pub)
    start = clock.sim(first_pub)
    for policy, work in works.items():
        _copy_db(seed_db, work / "newswatch.db")
        _prepare_store(work / "newswatch.db", clock, start, count, history=policy == "adaptive")
    server = subprocess.Popen(
        [sys.executable, "-m", "crawler.demosites", "serve", "--scale", f"{count}:{ARTICLES}", "--anchor", ANCHOR,
         "--port-base", str(PORT_BASE), "--registry-out", str(root / "outlets.toml"),
         "--publish-clock", clock.text(), "--publish-start", start.isoformat(),
         "--publish-hours", str(LIVE_PUBLISH_S * LIVE_SCALE / 3600.0), "--publish-log", str(pub_log),
         "--publish-relevant", str(LIVE_RELEVANT)],
        stdout=subprocess.PIPE, text=True, cwd=paths.PROJECT_ROOT)
    daemons: dict[str, subprocess.Popen[Any]] = {}
    logs = {p: w / "daemon.log" for p, w in works.items()}
    try:
        assert server.stdout is not None
        if not server.stdout.readline():
            server.wait(timeout=10)
            raise RuntimeError(f"the site server did not start (ports {PORT_BASE}+{count} busy?)")
        registry = (root / "outlets.toml").read_text(encoding="utf-8")
        envs = {p: _policy_env(p, w, registry, clock) for p, w in works.items()}
        t0 = time.monotonic()
        peak = dict.fromkeys(POLICIES, 0.0)
        peak_pss = dict.fromkeys(POLICIES, 0.0)
        both = 0.0
        roles = {p: {"daemon": 0.0, "crawl": 0.0, "workers": 0.0} for p in POLICIES}  # each one's own peak
        series: dict[str, list[tuple[float, float]]] = {p: [] for p in POLICIES}  # (time, daemon RSS)
        cpu: dict[str, float] = {}
        for policy in POLICIES:
            with logs[policy].open("w", encoding="utf-8") as log_file:
                daemons[policy] = subprocess.Popen(
                    [sys.executable, "-m", "crawler.cli", "schedule", "-v"], env=envs[policy],
                    stdout=log_file, stderr=subprocess.STDOUT, cwd=paths.PROJECT_ROOT)
        end = first_pub + timedelta(seconds=LIVE_PUBLISH_S + LIVE_TAIL_S)
        while datetime.now(UTC) < end and all(map(_running, daemons.values())):
            time.sleep(1.0)
            total = 0.0
            for policy, daemon in daemons.items():
                crawls = _children(daemon.pid)
                now = {"daemon": _rss_mb(daemon.pid), "crawl": sum(map(_rss_mb, crawls)),
                       "workers": sum(_rss_mb(k) for c in crawls for k in _descendants(c))}
                series[policy].append((time.time(), now["daemon"]))
                peak[policy] = max(peak[policy], sum(now.values()))
                total += sum(now.values())
                roles[policy] = {k: max(v, now[k]) for k, v in roles[policy].items()}
                peak_pss[policy] = max(peak_pss[policy], sum(map(_pss_mb, [daemon.pid, *_descendants(daemon.pid)])))
            both = max(both, total)
        wall = time.monotonic() - t0
        for policy, daemon in daemons.items():
            cpu[policy] = stop_daemon(daemon)
        server_mb = _vm_hwm_mb(server.pid)
        ended = datetime.now(UTC)
        # an article at an outlet polled every max_every (an hour; 12 min of wall) may still wait
        # when the run ends: late, not lost. One crawl of every outlet tells the two apart.
        for policy, work in works.items():
            if _unstored(pub_log, work / "newswatch.db"):
                subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "-q", "--all"], env=envs[policy],
                               check=False, capture_output=True, cwd=paths.PROJECT_ROOT, timeout=600)
    finally:
        for daemon in daemons.values():
            if daemon.returncode is None:
                daemon.kill()
                daemon.wait()
        server.terminate()
        server.wait(timeout=30)
    out: dict[str, dict[str, float]] = {}
    for policy, work in works.items():
        (work / "daemon-rss.tsv").write_text("".join(f"{t:.1f}\t{r:.1f}\n" for t, r in series[policy]))
        log_text = logs[policy].read_text(encoding="utf-8", errors="replace")
        if daemons[policy].returncode not in (0, -signal.SIGTERM):
            raise RuntimeError(f"the {policy} daemon failed ({daemons[policy].returncode}):\n{log_text[-3000:]}")
        figures = measure_live(work, pub_log, clock, start, log_text, ended)
        sim_hours = wall * LIVE_SCALE / 3600.0
        figures.update({"wall_s": round(wall, 1), "cpu_s": round(cpu[policy], 1), "server_mb": round(server_mb),
                        "peak_rss_mb": round(peak[policy]),
                        **{f"peak_rss_{k}_mb": round(v) for k, v in roles[policy].items()},
                        "peak_pss_mb": round(peak_pss[policy]),
                        "cpu_per_sim_hour_s": round(cpu[policy] / sim_hours, 1),
                        "requests_per_outlet_sim_hour": round(figures["requests"] / count / sim_hours, 2),
                        **daemon_course(log_text, series[policy])})
        out[policy] = figures
    return out, round(both)


def daemon_course(log_text: str, rss: list[tuple[float, float]]) -> dict[str, float]:
    """How a daemon held over its run: its RSS after its first tick and at the end, the RSS slope over
    the second half of the run, the slope of its ticks' wall over their order, how late its outbox
    sender and its health check started while ticks ran, ticks that failed."""
    lines = log_text.splitlines()
    ticks = [(m.group(2), float(m.group(3)), datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp())
             for m in map(_TICK_LINE.match, lines) if m]
    late: dict[str, list[float]] = {"send-outbox": [], "health-check": []}
    for m in filter(None, map(_RUN_LINE.match, lines)):
        ran = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").astimezone()  # the log's local time
        late[m.group(2)].append((ran - datetime.fromisoformat(m.group(3))).total_seconds())
    seconds = [s for outcome, s, _ in ticks if outcome == "ok"]
    sampled = [(t, r) for t, r in rss if r]
    first_tick = ticks[0][2] if ticks else 0.0
    after_first = next((r for t, r in sampled if t >= first_tick), float("nan"))
    # the slope over the run's second half: the first minute holds the daemon's imports, job store,
    # first plan and the start-up crawl of every outlet (steps of 5-70 MB that a day never repeats)
    half = (sampled[0][0] + sampled[-1][0]) / 2 if sampled else 0.0
    warm = [(t, r) for t, r in sampled if t >= max(first_tick, half)]
    return {
        "daemon_rss_mb": round(sampled[-1][1], 1) if sampled else float("nan"),
        "daemon_rss_after_first_tick_mb": round(after_first, 1),
        "daemon_rss_slope_mb_per_h": round(_slope([t for t, _ in warm], [r for _, r in warm]) * 3600, 1),
        "ok_ticks": float(len(seconds)),
        "tick_wall_s": round(sum(seconds) / len(seconds), 1) if seconds else float("nan"),
        "tick_slope_s_per_tick": round(_slope(list(range(len(seconds))), seconds), 3),
        "sender_runs": float(len(late["send-outbox"])),
        "sender_max_late_s": round(max(late["send-outbox"], default=float("nan")), 1),
        "health_runs": float(len(late["health-check"])),
        "health_max_late_s": round(max(late["health-check"], default=float("nan")), 1),
        # the tick the bench's SIGTERM stops is not a failure
        "failed_ticks": float(sum(1 for outcome, _, _ in ticks if outcome not in ("ok", "stopped"))),
    }


def live_clock(first_pub: datetime) -> Any:
    """The live runs' compressed clock: publishing starts at LIVE_SEOUL_HOUR in Seoul (simulated), the
    latest such moment that keeps simulated time behind the wall clock all run long (no article is
    dated in the future), whatever the hour the bench is started at."""
    from crawler.clock import SEOUL
    from crawler.schedule.simclock import SimClock

    anchor = first_pub + timedelta(seconds=LIVE_PUBLISH_S + LIVE_TAIL_S + 30)
    unlagged = SimClock(LIVE_SCALE, anchor).sim(first_pub).astimezone(SEOUL)
    start = unlagged.replace(hour=LIVE_SEOUL_HOUR, minute=0, second=0, microsecond=0)
    if start > unlagged:
        start -= timedelta(days=1)
    return SimClock(LIVE_SCALE, anchor, unlagged - start)


def _prepare_store(db_file: Path, clock: Any, start: datetime, count: int, *, history: bool) -> None:
    """Date the seed's crawl runs before the simulated history (so every outlet was watched all of it
    and is due at the first tick) and, for the adaptive run, store what polling every 5 minutes found
    over LIVE_HISTORY_H simulated hours before `start` (first-seen times in wall time, as the daemon's
    crawls write them under the bench's clock)."""
    import sqlite3

    from crawler.demosites.scale import publications

    def stored(moment: datetime) -> str:
        return clock.wall(moment).astimezone(UTC).replace(tzinfo=None).isoformat(" ")

    watched_from = start - timedelta(hours=LIVE_HISTORY_H + 1)
    with sqlite3.connect(db_file) as conn:
        conn.execute("UPDATE outlet_runs SET started_at = ?, finished_at = ?", (stored(watched_from), stored(watched_from)))
        conn.execute("UPDATE robots_cache SET fetched_at = ?", (datetime.now(UTC).replace(tzinfo=None).isoformat(" "),))
        if history:
            rng = random.Random("freshness-live-history")
            begin = start - timedelta(hours=LIVE_HISTORY_H)
            rows, stories = [], {}
            for n, p in enumerate(publications(count, begin, LIVE_HISTORY_H, seed="freshness-live-history")):
                published = begin + timedelta(seconds=p.at)
                seen = published + timedelta(seconds=rng.uniform(0, BASE_EVERY.total_seconds()))
                url = f"http://history.invalid/{p.outlet}/{n}"
                # syndicated copies in one story, as dedupe stores them: only the first counts (first_copies);
                # without it every weekly looked busy from the copies it carried (~14 a week)
                story = HISTORY_STORY_BASE + p.story
                stories.setdefault(story, (story, "이력", b"", published.replace(tzinfo=None).isoformat(" "),
                                           stored(seen), stored(seen)))
                rows.append((f"bench{p.outlet + 1:03d}", url, url, url, "이력", "[]", published.replace(tzinfo=None).isoformat(" "),
                             "0" * 64, 1, "ndsoft", 0, stored(seen), stored(seen), story))
            conn.executemany("INSERT INTO stories (id, title, signature, published_at, first_seen_at, updated_at) "
                             "VALUES (?, ?, ?, ?, ?, ?)", list(stories.values()))
            conn.executemany("INSERT INTO articles (outlet_id, url, url_key, canonical_url, title, authors, published_at, "
                             "body_hash, version, family, fallback, first_seen_at, fetched_at, story_id) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


HISTORY_STORY_BASE = 10_000_000  # the history's story ids, above the seed's
_IDXNO = re.compile(r"idxno=(\d+)")


def _after(stored_at: str, ended: datetime | None) -> bool:
    """Whether a time the store wrote (naive UTC text) falls after `ended`."""
    return ended is not None and datetime.fromisoformat(stored_at).replace(tzinfo=UTC) > ended


def _unstored(pub_log: Path, db_file: Path) -> int:
    """Published articles the store does not hold."""
    import json
    import sqlite3

    pubs = [json.loads(line) for line in pub_log.read_text(encoding="utf-8").splitlines()]
    with sqlite3.connect(db_file) as conn:
        urls = {url for (url,) in conn.execute("SELECT url FROM articles WHERE url LIKE 'http://127.%'")}
    return sum(1 for p in pubs if p["url"] not in urls)


def measure_live(work: Path, pub_log: Path, clock: Any, start: datetime, log_text: str,
                 ended: datetime | None = None) -> dict[str, float]:
    """Latencies (simulated minutes) from the publisher's log, the store's rows and the outbox files.
    What was stored or alerted only after the daemon `ended` (by the crawl of every outlet that
    follows a run which left articles unstored) is late: counted apart (`*_found_late`) and, for a
    story, as later than every measured one in the percentiles; what even that crawl did not find
    is unfound (missed)."""
    import json
    import sqlite3
    from email import message_from_binary_file

    def sim(stored_at: str) -> datetime:
        return clock.sim(datetime.fromisoformat(stored_at).replace(tzinfo=UTC))

    pubs = [json.loads(line) for line in pub_log.read_text(encoding="utf-8").splitlines()]
    with sqlite3.connect(work / "newswatch.db") as conn:
        found = {(oid, m.group(1)): (aid, first, story)
                 for aid, oid, url, first, story in conn.execute(
                     "SELECT id, outlet_id, url, first_seen_at, story_id FROM articles WHERE url LIKE 'http://127.%'")
                 if (m := _IDXNO.search(url))}
        # the alerts each stored article raised: a story alert (followup 0) when it began a story,
        # a follow-up when it joined one already alerted (the digest carries those, not a mail now)
        alerts: dict[int, list[tuple[str, str | None, int]]] = {}
        for article_id, created, message_id, followup in conn.execute(
                "SELECT article_id, created_at, message_id, followup FROM alerts"):
            alerts.setdefault(article_id, []).append((created, message_id, followup))
        runs = conn.execute("SELECT COALESCE(SUM(requests), 0) FROM outlet_runs WHERE started_at > ?",
                            (clock.wall(start - timedelta(minutes=30)).replace(tzinfo=None).isoformat(" "),)).fetchone()[0]
    mailed: dict[str, datetime] = {}
    for eml in sorted((work / "outbox").glob("*.eml")):
        with eml.open("rb") as fh:
            message_id = str(message_from_binary_file(fh).get("Message-ID", "")).strip()
        written = datetime.strptime(eml.name.split("-", 1)[0], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
        mailed.setdefault(message_id, written)
    stories: dict[int, dict[str, Any]] = {}
    unfound = found_late = 0
    # which published stories each stored story holds: one that holds several took them for one
    keys = [(p["outlet"], _IDXNO.search(p["url"]).group(1)) for p in pubs]  # type: ignore[union-attr]
    held: dict[int, set[int]] = {}
    for p, key in zip(pubs, keys, strict=True):
        stored = found.get(key)
        if stored is not None and stored[2] is not None:
            held.setdefault(stored[2], set()).add(p["story"])
    for p, key in zip(pubs, keys, strict=True):
        entry = stories.setdefault(p["story"], {"at": datetime.fromisoformat(p["sim"]), "relevant": p["relevant"],
                                                "alert": None, "mail": None, "found": False, "joined": False,
                                                "late": False})
        entry["at"] = min(entry["at"], datetime.fromisoformat(p["sim"]))
        if key not in found:
            unfound += 1
            continue
        entry["found"] = True
        if _after(found[key][1], ended):
            found_late += 1
        if len(held.get(found[key][2], ())) > 1:  # stored in one story with another published story
            entry["joined"] = True
        for created, message_id, followup in alerts.get(found[key][0], []):
            if followup:  # this copy joined a story stored (and alerted) before: another story's alert
                continue
            if _after(created, ended):  # alerted by the crawl after the run: later than any measured
                entry["late"] = True
                continue
            entry["alert"] = min(filter(None, (entry["alert"], sim(created))))
            if message_id and message_id.strip() in mailed:
                entry["mail"] = min(filter(None, (entry["mail"], clock.sim(mailed[message_id.strip()]))))
    relevant = [s for s in stories.values() if s["relevant"]]
    # a story whose copies all joined another stored story (the generator's medical-tourism texts
    # share turns of phrase, and dedupe takes a few for one) has no alert of its own: its latency
    # is the other story's; counted apart (`*_relevant_joined`), not in the percentiles
    own = [s for s in relevant if (s["alert"] or s["late"]) and not s["joined"]]
    timely = [s for s in own if s["alert"]]
    late = [math.inf for s in own if not s["alert"]]
    alert_timely = [(s["alert"] - s["at"]).total_seconds() / 60 for s in timely]
    mail_timely = [(s["mail"] - s["at"]).total_seconds() / 60 for s in timely if s["mail"]]
    alert_min, mail_min = alert_timely + late, mail_timely + late
    ticks = [datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f") for m in map(_TICK_START.match, log_text.splitlines()) if m]
    return {
        "articles": float(len(pubs)), "relevant_stories": float(len(relevant)),
        "unfound": float(unfound),  # articles published and never stored, not even by the crawl after the run
        "found_late": float(found_late),  # articles stored only by the crawl after the run
        "relevant_found_unalerted": float(sum(1 for s in relevant if s["found"] and not s["alert"] and not s["late"]
                                              and not s["joined"])),
        "relevant_joined": float(sum(1 for s in relevant if s["joined"])),
        "relevant_late": float(len(late)),  # alerted only after the run: later than every measured one
        "relevant_unmailed": float(sum(1 for s in timely if not s["mail"])),
        "p50_alert_min": round(_pct(alert_min, 0.5), 2), "p95_alert_min": round(_pct(alert_min, 0.95), 2),
        "max_alert_min": round(max(alert_timely, default=float("nan")), 2),
        "p50_mail_min": round(_pct(mail_min, 0.5), 2), "p95_mail_min": round(_pct(mail_min, 0.95), 2),
        "max_mail_min": round(max(mail_timely, default=float("nan")), 2),
        "ticks": float(len(ticks)),  # started; their walls are daemon_course's
        "requests": float(runs),
    }


RUNS_PER_DAY_TICKS = 288  # a day of 5-minute ticks


def runs_growth(count: int, seed_db: Path) -> dict[str, float]:
    """What a tick's reads of outlet_runs (each outlet's first and last crawl) cost on the seeded
    store and again once it holds a day of ticks more (count × 288 rows): a scheduler that holds a
    day (and a month) needs them flat."""
    import sqlite3

    from bench.schedule import _copy_db
    from crawler.store import Database
    from crawler.store.crawlstate import crawl_span

    work = paths.bench_dir() / "freshness-runs"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db_file = work / "newswatch.db"
    _copy_db(seed_db, db_file)
    ids = [f"bench{i + 1:03d}" for i in range(count)]

    def reads() -> float:
        db = Database.open(f"sqlite:///{db_file}")
        try:
            best = math.inf
            for _ in range(3):
                t0 = time.perf_counter()
                crawl_span(db, ids)
                best = min(best, time.perf_counter() - t0)
            return best
        finally:
            db.close()

    before = reads()
    with sqlite3.connect(db_file) as conn:
        run_id = conn.execute("SELECT MAX(id) FROM runs").fetchone()[0]
        day = datetime(2026, 1, 1)
        for tick in range(RUNS_PER_DAY_TICKS):
            at = (day + tick * BASE_EVERY).isoformat(" ")
            conn.executemany("INSERT INTO outlet_runs (run_id, outlet_id, started_at, finished_at, requests, items, "
                             "new_articles, updated_articles, matches, errors, robots_blocked, fallbacks, "
                             "finish_reason, stats) VALUES (?, ?, ?, ?, 1, 0, 0, 0, 0, 0, 0, 0, 'finished', '{}')",
                             [(run_id, oid, at, at) for oid in ids])
        rows = conn.execute("SELECT COUNT(*) FROM outlet_runs").fetchone()[0]
    after = reads()
    shutil.rmtree(work, ignore_errors=True)
    return {"freshness.tick_run_reads_s": round(before, 3), "freshness.tick_run_reads_day_more_s": round(after, 3),
            "freshness.outlet_runs_rows_day_more": float(rows)}


def seeded_store(count: int) -> Path:
    """The cached store of a seeding crawl over `count` outlets (made once, as part 1 does)."""
    from bench.schedule import _copy_db

    cache = _cache_file(count)
    if cache.exists():
        return cache
    work = paths.bench_dir() / "freshness-seed"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "crawler.demosites", "serve", "--scale", f"{count}:{ARTICLES}", "--anchor", ANCHOR,
         "--port-base", str(PORT_BASE), "--registry-out", str(work / "outlets.toml")],
        stdout=subprocess.PIPE, text=True, cwd=paths.PROJECT_ROOT)
    try:
        assert server.stdout is not None
        if not server.stdout.readline():
            server.wait(timeout=10)
            raise RuntimeError(f"the site server did not start (ports {PORT_BASE}+{count} busy?)")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSWATCH_", "SENTRY_"))}
        env.update({"NEWSWATCH_HOME": str(work), "NEWSWATCH_OUTLETS_FILE": str(work / "outlets.toml"),
                    "NEWSWATCH_DB_URL": f"sqlite:///{work / 'newswatch.db'}"})
        _crawl(env, "--seed", *SEED_SETTINGS)
        _copy_db(work / "newswatch.db", cache)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return cache
