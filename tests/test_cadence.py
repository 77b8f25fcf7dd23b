"""Adaptive cadence: rates learned from first-seen times, the square-root rule within a budget,
per-outlet min_every/max_every, registry every/cron as a hard override, and the due decision."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crawler.errors import ConfigError
from crawler.registry import Outlet, Registry, RegistryError, load_registry
from crawler.schedule.cadence import (
    CadenceConfig,
    History,
    Sighting,
    choose_due,
    first_copies,
    hour_profile,
    is_due_every,
    load_history,
    phase_of,
    plan,
    solve,
    solve_quantile,
)
from crawler.schedule.simclock import SimClock

NOW = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)  # Monday 12:00 in Seoul
BASE = {"name": "x", "region": "서울", "home": "http://127.0.0.1:1/"}
FLAT = (1.0,) * 24


def _outlet(oid: str, **extra: str) -> Outlet:
    return Outlet(id=oid, **BASE, **extra)


def _history(counts: dict[str, int], hours: float = 14 * 24.0, profile: tuple[float, ...] = FLAT) -> History:
    return History(counts, {oid: hours for oid in counts}, profile)


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60.0


def test_busy_outlets_are_polled_more_often_within_the_same_budget() -> None:
    # 14 days: one outlet publishes every ~5 minutes, one a few times a day, one weekly
    outlets = [_outlet("busy"), _outlet("daily"), _outlet("weekly")]
    history = _history({"busy": 4000, "daily": 56, "weekly": 2})
    config = CadenceConfig(mode="adaptive", base_every=timedelta(minutes=5), objective="mean",
                           min_every=timedelta(minutes=1), max_every=timedelta(days=1))
    p = plan(outlets, history, config, NOW)
    every = {k: _minutes(v) for k, v in p.intervals.items()}
    assert every["busy"] < every["daily"] < every["weekly"]
    assert p.budget == pytest.approx(3 * 12)  # what three outlets every 5 minutes cost
    assert p.polls_per_hour() == pytest.approx(p.budget, rel=1e-3)
    # unclamped intervals follow 1/sqrt(rate)
    ratio = every["daily"] / every["weekly"]
    assert ratio == pytest.approx(math.sqrt(history.rate("weekly") / history.rate("daily")), rel=1e-3)


def test_min_every_and_max_every_bound_each_outlet_and_the_rest_take_the_budget() -> None:
    outlets = [_outlet("busy", min_every="10m"), _outlet("daily"), _outlet("dead", max_every="2h")]
    history = _history({"busy": 40000, "daily": 56, "dead": 0})
    config = CadenceConfig(mode="adaptive", budget=8.0, min_every=timedelta(minutes=1), objective="mean",
                           max_every=timedelta(hours=12))
    p = plan(outlets, history, config, NOW)
    assert p.intervals["busy"] == timedelta(minutes=10)  # its own politeness bound, not the default 1m
    assert p.intervals["dead"] == timedelta(hours=2)  # never left longer than its max_every
    assert p.polls_per_hour() == pytest.approx(8.0, rel=1e-3)  # the daily outlet gets what is left
    assert _minutes(p.intervals["daily"]) == pytest.approx(60 / (8 - 6 - 0.5), rel=1e-3)


def test_p95_polls_where_the_articles_are_at_one_interval_and_leaves_the_rest_at_max_every() -> None:
    # 20 outlets publishing ~50 a day (most of the articles) and 20 weeklies (under 1% of them)
    outlets = [_outlet(f"d{i}") for i in range(20)] + [_outlet(f"w{i}") for i in range(20)]
    counts = {**{f"d{i}": 700 for i in range(20)}, **{f"w{i}": 2 for i in range(20)}}
    config = CadenceConfig(mode="adaptive", base_every=timedelta(minutes=30), max_every=timedelta(hours=1))
    p = plan(outlets, _history(counts), config, NOW)
    daily = {p.intervals[f"d{i}"] for i in range(20)}
    weekly = {p.intervals[f"w{i}"] for i in range(20)}
    assert weekly == {timedelta(hours=1)}
    assert len(daily) == 1
    head = daily.pop()
    tick = timedelta(seconds=15)  # an eighth of the default min_every
    assert head % tick == timedelta(0) and head < timedelta(minutes=30)  # whole ticks, shorter than fixed
    assert p.polls_per_hour() <= p.budget  # the ticks' rounding is paid for within the budget
    # one tick shorter would not be affordable
    assert 20 * 3600 / (head - tick).total_seconds() + 20 > p.budget


def _late_share(x: float, rates: list[float], every: list[float]) -> float:
    """The share of articles that wait longer than x when outlet i is polled every every[i] (flat day)."""
    return sum(r * max(0.0, 1.0 - x / e) for r, e in zip(rates, every, strict=True)) / sum(rates)


def test_p95_plan_keeps_fewer_than_5_percent_of_articles_waiting_past_x_and_x_is_the_shortest() -> None:
    # 30 outlets with different rates, a few alike (a tie at the cut must not send them all to max_every)
    rates = [3.0 / (1 + i) for i in range(24)] + [0.05] * 6
    low, high, tick = [2 / 60] * 30, [1.0] * 30, 0.5 / 60
    budget = 30 * 60 / 20  # fixed polling every 20 minutes
    x, theta = solve_quantile(rates, low, high, FLAT, budget, tick)
    every = [x if r >= theta else 1.0 for r in rates]
    assert sum(1 / e for e in every) <= budget  # the budget is a ceiling
    assert _late_share(x, rates, every) <= 0.05  # so the 95th-percentile wait is at most x
    assert x < 20 / 60  # and shorter than the fixed interval the budget pays for
    # one tick shorter: whatever head the budget then pays for leaves more than 5% waiting longer
    shorter = x - tick
    by_rate = sorted(range(30), key=lambda i: -rates[i])
    for n in range(31):
        head = set(by_rate[:n])
        if n * (1 / shorter - 1.0) <= budget - 30:
            assert _late_share(shorter, rates, [shorter if i in head else 1.0 for i in range(30)]) > 0.05 * 0.9


def test_p95_lets_the_night_wait_until_max_every() -> None:
    profile = hour_profile(datetime(2026, 1, d, h, m, tzinfo=UTC) for d in range(1, 8) for h in range(9)
                           for m in range(0, 60, 3))
    outlets = [_outlet(f"o{i}") for i in range(10)]
    history = _history({f"o{i}": 50 for i in range(10)}, profile=profile)
    config = CadenceConfig(mode="adaptive", base_every=timedelta(minutes=30))
    day = plan(outlets, history, config, datetime(2026, 1, 5, 3, tzinfo=UTC)).intervals["o1"]
    night = plan(outlets, history, config, datetime(2026, 1, 5, 15, tzinfo=UTC)).intervals["o1"]
    assert day < timedelta(minutes=30) and night == config.max_every


def test_a_budget_that_cannot_be_spent_or_met_gives_the_bounds() -> None:
    outlets = [_outlet("a"), _outlet("b")]
    history = _history({"a": 100, "b": 10})
    generous = CadenceConfig(mode="adaptive", budget=10_000.0, min_every=timedelta(minutes=2))
    assert set(plan(outlets, history, generous, NOW).intervals.values()) == {timedelta(minutes=2)}
    stingy = CadenceConfig(mode="adaptive", budget=0.01, max_every=timedelta(hours=6))
    assert set(plan(outlets, history, stingy, NOW).intervals.values()) == {timedelta(hours=6)}


def test_registry_every_and_cron_stay_outside_the_adaptive_plan() -> None:
    outlets = [_outlet("fixed", every="2h"), _outlet("cron", cron="0 9 * * mon-fri"), _outlet("free")]
    config = CadenceConfig(mode="adaptive", base_every=timedelta(minutes=5))
    p = plan(outlets, _history({"free": 50, "fixed": 5000}), config, NOW)
    assert list(p.intervals) == ["free"]
    assert p.budget == pytest.approx(12.0)  # the budget covers the adaptive outlets only


def test_the_day_profile_moves_polls_to_the_hours_outlets_publish() -> None:
    # articles first seen only between 00 and 09 UTC (09-18 Seoul)
    profile = hour_profile(datetime(2026, 1, d, h, 30, tzinfo=UTC) for d in range(1, 8) for h in range(9))
    assert sum(profile) == pytest.approx(24.0)
    outlets = [_outlet("a"), _outlet("b")]
    history = _history({"a": 60, "b": 20}, profile=profile)
    config = CadenceConfig(mode="adaptive", base_every=timedelta(minutes=30), objective="mean")
    day = plan(outlets, history, config, datetime(2026, 1, 5, 3, tzinfo=UTC)).intervals["a"]
    night = plan(outlets, history, config, datetime(2026, 1, 5, 15, tzinfo=UTC)).intervals["a"]
    assert day < timedelta(minutes=30) < night


def test_a_new_outlet_is_taken_to_publish_a_few_times_a_day_until_it_has_history() -> None:
    assert History({}, {}).rate("new") * 24 == pytest.approx(4.0)
    assert History({"old": 700}, {"old": 14 * 24.0}).rate("old") == pytest.approx(704 / (14 * 24 + 24))


def test_solve_spends_the_day_budget() -> None:
    c = solve([1.0, 0.1, 0.01], [0.05] * 3, [6.0] * 3, FLAT, 5.0)
    spent = sum(min(max(math.sqrt(r) / c, 1 / 6.0), 1 / 0.05) for r in (1.0, 0.1, 0.01))
    assert spent == pytest.approx(5.0, rel=1e-6)


def _polls(every: timedelta, phase: float, hours: float = 2.0, tick: timedelta = timedelta(seconds=30),
           least: timedelta = timedelta(0), start: datetime = NOW) -> list[datetime]:
    """When a tick every `tick` polls one outlet, from a first crawl at `start`."""
    polls, now = [start], start
    while now < start + timedelta(hours=hours):
        now += tick
        if is_due_every(polls[-1], every, now, tick / 2, phase, least):
            polls.append(now)
    return polls


def test_an_outlet_is_polled_once_per_interval_at_its_own_phase() -> None:
    assert is_due_every(None, timedelta(minutes=10), NOW, timedelta(seconds=15))  # never crawled: due
    polls = _polls(timedelta(minutes=10), 0.37)
    gaps = {b - a for a, b in zip(polls[1:], polls[2:], strict=False)}
    assert gaps == {timedelta(minutes=10)}  # steady: exactly the interval, never twice in a slot
    assert len(polls) == 1 + 12
    # the phase decides where in the interval the polls fall: a phase 0.2 later polls 2 minutes later
    later = _polls(timedelta(minutes=10), 0.57)
    assert {(b - a).total_seconds() % 600 for a, b in zip(polls[1:], later[1:], strict=False)} == {120.0}


def test_a_tick_a_little_late_or_early_still_polls_once_per_slot() -> None:
    # ticks every 25 s (not a divisor of the interval): the poll falls on the tick nearest the slot
    polls = _polls(timedelta(minutes=5), 0.5, hours=1.0, tick=timedelta(seconds=25))
    gaps = [b - a for a, b in zip(polls[1:], polls[2:], strict=False)]
    assert len(polls) - 1 in (12, 13)
    assert all(timedelta(minutes=5) - timedelta(seconds=25) <= g <= timedelta(minutes=5) + timedelta(seconds=25)
               for g in gaps)


def test_outlets_planned_alike_are_spread_over_the_interval() -> None:
    """3,000 outlets crawled together at start-up and planned at one interval fall due a share per
    tick afterwards, not all in the same tick (which made one long crawl every interval)."""
    every, tick = timedelta(minutes=5), timedelta(seconds=30)
    last = dict.fromkeys((f"o{i}" for i in range(3000)), NOW)
    per_tick = []
    now = NOW
    for _ in range(20):  # two intervals of ticks
        now += tick
        due = [o for o, at in last.items() if is_due_every(at, every, now, tick / 2, phase_of(o))]
        per_tick.append(len(due))
        last.update(dict.fromkeys(due, now))
    assert sum(per_tick) == 2 * 3000  # every outlet twice
    assert max(per_tick) < 3000 / 10 * 1.3  # a tenth of them a tick (10 ticks an interval), give or take


def test_polls_never_come_sooner_than_min_every_when_the_plan_changes() -> None:
    # polled just now; the plan moves the outlet to 4 minutes at a phase whose slot comes next tick
    every, tick = timedelta(minutes=4), timedelta(seconds=30)
    phase = next(p / 20 for p in range(20) if is_due_every(NOW, every, NOW + tick, tick / 2, p / 20))
    assert _polls(every, phase, hours=0.1)[1] - NOW == tick  # without a floor: polled again at once
    polls = _polls(every, phase, hours=0.5, least=timedelta(minutes=2))
    assert all(b - a >= timedelta(minutes=2) - tick / 2 for a, b in zip(polls, polls[1:], strict=False))
    assert len(polls) - 1 >= 6  # and every 4 minutes after that


@pytest.mark.parametrize(("env", "message"), [
    ({"NEWSWATCH_SCHEDULE_CADENCE": "smart"}, "NEWSWATCH_SCHEDULE_CADENCE"),
    ({"NEWSWATCH_SCHEDULE_BUDGET": "lots"}, "NEWSWATCH_SCHEDULE_BUDGET"),
    ({"NEWSWATCH_SCHEDULE_BUDGET": "0"}, "NEWSWATCH_SCHEDULE_BUDGET"),
    ({"NEWSWATCH_SCHEDULE_OBJECTIVE": "fast"}, "NEWSWATCH_SCHEDULE_OBJECTIVE"),
    ({"NEWSWATCH_SCHEDULE_MIN_EVERY": "2"}, "NEWSWATCH_SCHEDULE_MIN_EVERY"),
    ({"NEWSWATCH_SCHEDULE_MIN_EVERY": "2h", "NEWSWATCH_SCHEDULE_MAX_EVERY": "1h"}, "MIN_EVERY"),
])
def test_bad_cadence_settings_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        CadenceConfig.from_env(env)


def test_cadence_settings_from_the_environment() -> None:
    c = CadenceConfig.from_env({"NEWSWATCH_SCHEDULE_CADENCE": "Adaptive", "NEWSWATCH_SCHEDULE_BUDGET": "3600",
                                "NEWSWATCH_SCHEDULE_MIN_EVERY": "1m", "NEWSWATCH_SCHEDULE_MAX_EVERY": "12h"})
    assert (c.mode, c.budget, c.min_every, c.max_every) == ("adaptive", 3600.0, timedelta(minutes=1),
                                                            timedelta(hours=12))
    assert CadenceConfig.from_env({}).mode == "fixed"


@pytest.mark.parametrize(("extra", "message"), [
    ({"min_every": "2h", "max_every": "1h"}, "longer than max_every"),
    ({"min_every": "0m"}, "positive interval"),
    ({"max_every": "often"}, "positive interval"),
])
def test_registry_bounds_are_checked(extra: dict[str, str], message: str, tmp_path: Any) -> None:
    lines = "".join(f'{k} = "{v}"\n' for k, v in extra.items())
    path = tmp_path / "outlets.toml"
    path.write_text(f'[[outlet]]\nid = "a"\nname = "에이"\nregion = "서울"\nhome = "http://127.0.0.1:1/"\n{lines}',
                    encoding="utf-8")
    with pytest.raises(RegistryError, match=message):
        load_registry(path)
    assert Registry.model_validate({"outlet": [{"id": "b", **BASE, "min_every": "1m", "max_every": "1d"}]})


# --- the store: what is learned, and which outlets a tick crawls -----------------------------------------

def _add(db: Any, outlet: str, first_seen: list[datetime], published_lag: timedelta = timedelta(minutes=3),
         started: datetime | None = None, first: int = 0) -> None:
    from crawler.store.models import Article, OutletRun, Run

    with db.session() as s:
        run = Run(started_at=started or NOW - timedelta(days=20))
        s.add(run)
        s.flush()
        s.add(OutletRun(run_id=run.id, outlet_id=outlet, started_at=started or NOW - timedelta(days=20)))
        for i, t in enumerate(first_seen, start=first):
            s.add(Article(outlet_id=outlet, url=f"http://{outlet}/{i}", url_key=f"{outlet}/{i}",
                          canonical_url=f"http://{outlet}/{i}", title="제목", body_hash="h", family="ndsoft",
                          first_seen_at=t, published_at=t - published_lag))


def test_history_counts_fresh_articles_and_leaves_out_a_first_crawls_backlog(db: Any) -> None:
    config = CadenceConfig(mode="adaptive")
    fresh = [NOW - timedelta(hours=h) for h in range(1, 49)]  # one an hour for two days
    _add(db, "busy", fresh)
    # a new outlet: its first crawl two days ago found 20 articles published over the month before
    _add(db, "new", [NOW - timedelta(days=2)] * 20, published_lag=timedelta(days=10), started=NOW - timedelta(days=2))
    _add(db, "old", [NOW - timedelta(days=30)])  # outside the lookback
    h = load_history(db, ["busy", "new", "old"], NOW, config)
    assert h.counts == {"busy": 48}
    assert h.hours["new"] == pytest.approx(48.0)
    assert h.rate("new") < h.rate("busy")
    assert h.profile[NOW.hour - 1] > 0.9  # every hour of the day had articles: a flat profile


def test_history_counts_a_story_once_at_the_outlet_that_had_it_first(db: Any) -> None:
    """An outlet that only carries others' stories (a release rewritten, an agency copy) brings
    nothing new to the office: its copies do not make it look busy."""
    from crawler.store.models import Article, Story

    config = CadenceConfig(mode="adaptive")
    _add(db, "origin", [])
    _add(db, "copier", [])
    with db.session() as s:
        for n in range(10):
            story = Story(title=f"기사 {n}", signature=b"")
            s.add(story)
            s.flush()
            published = NOW - timedelta(hours=10 + n)
            for outlet, lag in (("copier", timedelta(minutes=40)), ("origin", timedelta(0))):  # stored copy first
                s.add(Article(outlet_id=outlet, url=f"http://{outlet}/{n}", url_key=f"{outlet}/{n}",
                              canonical_url=f"http://{outlet}/{n}", title="제목", body_hash="h", family="ndsoft",
                              story_id=story.id, published_at=published + lag,
                              first_seen_at=published + timedelta(minutes=45)))
        s.add(Article(outlet_id="copier", url="http://copier/own", url_key="copier/own", canonical_url="http://copier/own",
                      title="제목", body_hash="h", family="ndsoft", published_at=NOW - timedelta(hours=3),
                      first_seen_at=NOW - timedelta(hours=2)))  # one story of its own, in no group
    assert load_history(db, ["origin", "copier"], NOW, config).counts == {"origin": 10, "copier": 1}


def _reference_history(rows: list[tuple[str, int | None, datetime, datetime | None]], wanted: set[str],
                       since: datetime, backlog: timedelta, sim: Any) -> tuple[dict[str, int], tuple[float, ...]]:
    """The history rule spelled out article by article in Python: backlog left out, one first copy
    per story, counts and hour profile of the wanted outlets."""
    fresh = [Sighting(o, sim(first), published, story) for o, story, first, published in rows
             if sim(first) >= since and (published is None or sim(first) - published <= backlog)]
    counts: dict[str, int] = {}
    seen = []
    for sighting in first_copies(fresh):
        if sighting.outlet in wanted:
            counts[sighting.outlet] = counts.get(sighting.outlet, 0) + 1
            seen.append(sighting.first_seen)
    return counts, hour_profile(seen)


@pytest.mark.parametrize("compressed", [False, True], ids=["wall-clock", "bench-clock"])
def test_history_counted_in_the_database_is_the_rule_applied_article_by_article(db: Any, compressed: bool) -> None:
    """The store counts first copies per outlet and hour (a row per outlet and hour comes back,
    not one per article); on random articles, stories and backlog it gives what the rule gives."""
    from crawler.store.models import Article, Story

    rng = random.Random(20261207)
    clock = SimClock(5.0, NOW - timedelta(hours=3), timedelta(minutes=7)) if compressed else None
    config = CadenceConfig(mode="adaptive", lookback=timedelta(days=3))
    sim = clock.sim if clock is not None else (lambda t: t)
    rows: list[tuple[str, int | None, datetime, datetime | None]] = []
    with db.session() as s:
        stories = []
        for n in range(60):
            story = Story(title=f"기사 {n}", signature=b"")
            s.add(story)
            stories.append(story)
        s.flush()
        for i in range(500):
            outlet = f"o{rng.randrange(25)}"
            # first seen over the last ~4 days (the stored time; the bench's clock reads it compressed)
            first = NOW - timedelta(seconds=rng.uniform(0, 4 * 86400 / (5 if compressed else 1)))
            lag = rng.choice([None, timedelta(minutes=rng.uniform(0, 90)), timedelta(days=rng.uniform(1.5, 9))])
            published = None if lag is None else sim(first) - lag
            story = rng.choice(stories).id if rng.random() < 0.4 else None
            s.add(Article(outlet_id=outlet, url=f"http://{outlet}/{i}", url_key=f"{outlet}/{i}",
                          canonical_url=f"http://{outlet}/{i}", title="제목", body_hash="h", family="ndsoft",
                          story_id=story, published_at=published, first_seen_at=first))
            rows.append((outlet, story, first, published))
    wanted = {f"o{n}" for n in range(20)}  # five outlets left out (fixed schedules, say)
    backlog = max(2 * config.max_every, timedelta(days=1))
    counts, profile = _reference_history(rows, wanted, sim(NOW) - config.lookback, backlog, sim)
    assert sum(counts.values()) > 100 and len(counts) == 20  # the set exercises every rule
    history = load_history(db, wanted, sim(NOW), config, clock, first_crawls={})
    assert history.counts == counts
    assert history.profile == pytest.approx(profile)
    if db.engine.dialect.name == "sqlite":  # read from the covering index: no article row (body) is visited
        from sqlalchemy.dialects import sqlite

        from crawler.store.crawlstate import first_copies_query

        query = first_copies_query(False, NOW - config.lookback, backlog)
        sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
        with db.engine.connect() as conn:
            plan = " | ".join(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
        assert "SEARCH articles USING COVERING INDEX ix_articles_history (first_seen_at>?)" in plan, plan


def test_a_ticks_last_and_first_crawl_times_are_index_seeks_not_a_scan_of_every_run(db: Any) -> None:
    """outlet_runs grows by a row per outlet per tick (a million a day at 3,000 outlets every
    5 minutes); the times a tick reads from it must cost the same on the first day and the
    hundredth: on SQLite the plan seeks the (outlet_id, started_at) index once per outlet."""
    from sqlalchemy.dialects import sqlite

    from crawler.store.crawlstate import crawl_span, crawl_span_statement

    starts = {"a": [NOW - timedelta(hours=h) for h in (1, 30, 5)], "b": [NOW - timedelta(days=3)]}
    for outlet, times in starts.items():
        for t in times:
            _add(db, outlet, [], started=t)
    span = crawl_span(db, ["a", "b", "never"])
    assert span == {"a": (NOW - timedelta(hours=30), NOW - timedelta(hours=1)),
                    "b": (NOW - timedelta(days=3), NOW - timedelta(days=3))}
    if db.engine.dialect.name == "sqlite":
        sql = str(crawl_span_statement(2).compile(dialect=sqlite.dialect()))
        with db.engine.connect() as conn:
            plan = " | ".join(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, ("a", "b")))
        assert "SEARCH outlet_runs USING COVERING INDEX ix_outlet_runs_outlet_started (outlet_id=?)" in plan
        assert "SCAN outlet_runs" not in plan


def test_a_tick_crawls_the_busy_outlet_again_before_the_quiet_one(db: Any) -> None:
    config = CadenceConfig(mode="adaptive", base_every=timedelta(minutes=30), min_every=timedelta(minutes=2))
    _add(db, "busy", [NOW - timedelta(minutes=10 * k) for k in range(1, 14 * 144)])  # every 10 minutes
    _add(db, "quiet", [NOW - timedelta(days=d) for d in (1, 4, 9)])
    outlets = [_outlet("busy"), _outlet("quiet"), _outlet("fixed", every="10m")]
    last = dict.fromkeys(("busy", "quiet", "fixed"), NOW - timedelta(minutes=20))
    assert [o.id for o in choose_due(db, outlets, last, NOW, config)] == ["busy", "fixed"]
    assert [o.id for o in choose_due(db, outlets, last, NOW, CadenceConfig())] == ["fixed"]  # fixed: 30m default
    last["quiet"] = NOW - timedelta(hours=5)
    assert "quiet" in [o.id for o in choose_due(db, outlets, last, NOW, config)]


def test_outlets_crawled_together_stay_spread_when_their_interval_is_near_min_every() -> None:
    """Start-up crawls every outlet in one tick; with the head interval just above min_every (the
    adaptive plan at the morning peak), waiting out the floor and polling at once gathered 9 in 10
    outlets into one tick every interval. A slot that begins inside the floor is skipped instead."""
    every, least, tick = timedelta(minutes=2, seconds=15), timedelta(minutes=2), timedelta(seconds=15)
    last = dict.fromkeys((f"o{i}" for i in range(3000)), NOW)
    per_tick = []
    now = NOW
    for _ in range(45):  # five intervals of ticks
        now += tick
        due = [o for o, at in last.items() if is_due_every(at, every, now, tick / 2, phase_of(o), least)]
        assert all(now - last[o] >= least - tick / 2 for o in due)  # never sooner than min_every
        per_tick.append(len(due))
        last.update(dict.fromkeys(due, now))
    steady = per_tick[18:]  # after the first skipped slots: 9 ticks an interval
    assert max(steady) < 3000 / 9 * 1.5, per_tick
    assert sum(steady) == pytest.approx(3000 * len(steady) / 9, rel=0.1)  # each outlet once an interval


def test_the_daemon_keeps_its_plan_for_ten_minutes_and_plans_again_at_a_new_hour_or_setting(db: Any) -> None:
    """Planning reads the week's history (up to 1.5 s at 3,000 outlets) and a tick comes every 15 s:
    the daemon plans once per REPLAN_EVERY, and again when the hour, outlets or settings change."""
    from crawler.schedule.cadence import REPLAN_EVERY, PlanCache

    config = CadenceConfig(mode="adaptive", base_every=timedelta(minutes=30), min_every=timedelta(minutes=2))
    _add(db, "busy", [NOW - timedelta(minutes=10 * k) for k in range(1, 14 * 144)])
    _add(db, "quiet", [NOW - timedelta(days=d) for d in (1, 4, 9)])
    outlets = [_outlet("busy"), _outlet("quiet")]
    last = dict.fromkeys(("busy", "quiet"), NOW - timedelta(minutes=20))
    plans = PlanCache()
    now = NOW + timedelta(minutes=1)
    assert [o.id for o in choose_due(db, outlets, last, now, config, plans=plans)] == ["busy"]
    _add(db, "quiet", [NOW - timedelta(minutes=5 + 10 * k) for k in range(14 * 144)], first=3)  # as busy as busy
    for minutes in (2, 5, 9):  # the plan made at :01 holds until :11
        assert [o.id for o in choose_due(db, outlets, last, NOW + timedelta(minutes=minutes), config, plans=plans)] == ["busy"]
    assert plans.plans == 1  # the new history is not read yet
    later = NOW + timedelta(minutes=1) + REPLAN_EVERY
    assert "quiet" in [o.id for o in choose_due(db, outlets, last, later, config, plans=plans)]
    assert plans.plans == 2
    other = CadenceConfig(mode="adaptive", base_every=timedelta(minutes=30), budget=500.0)
    choose_due(db, outlets, last, later + timedelta(seconds=15), other, plans=plans)
    choose_due(db, outlets, last, NOW.replace(minute=59) + timedelta(minutes=2), other, plans=plans)
    assert plans.plans == 4  # a new setting, then a new hour
