"""The freshness simulation's parts: the publisher's day and the event-driven tick loop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bench import freshness
from crawler.demosites.scale import Publication, daily_rates, publications
from crawler.schedule.cadence import CadenceConfig

START = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)  # midnight in Seoul


def test_publications_are_deterministic_and_shaped_by_the_seoul_day() -> None:
    pubs = publications(200, START, 24.0, seed="t")
    assert pubs == publications(200, START, 24.0, seed="t")
    assert [p.at for p in pubs] == sorted(p.at for p in pubs)
    night = sum(1 for p in pubs if p.at < 5 * 3600)  # 00-05 Seoul
    office = sum(1 for p in pubs if 9 * 3600 <= p.at < 14 * 3600)  # 09-14 Seoul
    assert office > 5 * night
    copies: dict[int, set[int]] = {}
    for p in pubs:
        copies.setdefault(p.story, set()).add(p.outlet)
    assert any(len(outlets) >= 3 for outlets in copies.values())  # syndicated stories exist
    rates = daily_rates(1000)
    assert min(rates) < 0.3 and max(rates) > 60  # weeklies and outlets publishing every few minutes


def test_a_week_of_history_and_the_next_day_are_the_same_outlets() -> None:
    """What the adaptive cadence learns from one period must hold in the next: each outlet is as
    busy in both (only what is published differs)."""
    week = publications(300, START - timedelta(days=7), 7 * 24.0, seed="history")
    day = publications(300, START, 24.0, seed="day")
    assert week != day[: len(week)]

    def per_outlet(pubs: list[Publication]) -> list[int]:
        counts = [0] * 300
        for p in pubs:
            counts[p.outlet] += 1
        return counts

    busy_then = {o for o, n in enumerate(per_outlet(week)) if n > 7 * 40}
    busy_now = {o for o, n in enumerate(per_outlet(day)) if n > 40}
    assert busy_then and busy_then == busy_now


def _world(pubs: list[Publication], count: int) -> freshness.World:
    return freshness.World(pubs, count, START)


def test_fixed_polling_finds_every_article_within_one_interval_and_mails_at_the_tick_end() -> None:
    pubs = [Publication(10.0, 0, 1, True), Publication(400.0, 1, 2, True), Publication(401.0, 0, 3, False)]
    out = freshness.simulate(_world(pubs, 2), 300.0, freshness.fixed_chooser(2), 1800.0, 10.0, 0.0, "t")
    assert out.missed == 0
    assert len(out.mail_delays) == 2  # the two relevant stories
    assert all(0 < d <= 300.0 + 1.0 for d in out.alert_delays)
    assert all(m >= a for m, a in zip(out.mail_delays, out.alert_delays, strict=True))
    assert out.polls == 2 * 6  # two outlets, six ticks in 30 minutes


def test_an_article_published_after_the_last_poll_is_missed() -> None:
    pubs = [Publication(1790.0, 0, 1, True)]
    out = freshness.simulate(_world(pubs, 1), 300.0, freshness.fixed_chooser(1), 1800.0, 10.0, 0.0, "t")
    assert out.missed == 1 and out.mail_delays == []


def test_adaptive_polling_stays_within_the_fixed_budget() -> None:
    count = 40
    warm_pubs = publications(count, START - timedelta(days=1), 24.0, seed="w")
    warm = freshness.World(warm_pubs, count, START - timedelta(days=1))
    freshness.simulate(warm, 300.0, freshness.fixed_chooser(count), 86400.0, 100.0, 0.0, "w")
    config = CadenceConfig(mode="adaptive", base_every=timedelta(minutes=5))
    chooser = freshness.adaptive_chooser(count, warm, config)
    world = _world(publications(count, START, 6.0, seed="d"), count)
    chooser.attach(world)  # type: ignore[attr-defined]
    out = freshness.simulate(world, freshness.adaptive_tick(config).total_seconds(), chooser, 7 * 3600.0,
                             100.0, 0.0, "a")
    assert out.polls <= count * 12 * 7 * 1.01  # 12 polls an hour each, as fixed 5-minute polling
    assert out.missed == 0


def test_per_outlet_stats_are_grouped_in_one_pass() -> None:
    from crawler.crawl.extensions import outlet_stats, stats_by_outlet

    stats = {"outlet/a/requests": 3, "outlet/a/feed/not_modified": 1, "outlet/b-2/dropped/old": 4,
             "downloader/request_count": 9, "outlet/b-2/requests": 2}
    grouped = stats_by_outlet(stats)
    assert grouped == {"a": {"requests": 3, "feed/not_modified": 1}, "b-2": {"dropped/old": 4, "requests": 2}}
    assert all(grouped.get(o, {}) == outlet_stats(stats, o) for o in ("a", "b-2", "none"))


def test_the_publishers_medical_tourism_stories_are_told_apart_and_matched() -> None:
    """The live bench measures each medical-tourism story's own mail: two stories of one morning
    must not be taken for one (their actors and figures differ, as two real stories' do), a
    syndicated copy must join its story, and every story must match the office's watchlist."""
    from itertools import combinations

    from crawler import paths
    from crawler.dedupe.stories import StoryDoc, same_story
    from crawler.demosites.scale import scale_outlets, story_article
    from crawler.match import Matcher, load_watchlists

    outlets = scale_outlets(40, 1)
    matcher = Matcher(load_watchlists(paths.watchlists_dir())["medical-tourism"])
    at = START + timedelta(hours=10)
    docs = []
    for story in range(1, 31):
        article = story_article(outlets[story], 1, story, True, at)
        assert matcher.match(article.title, article.body).relevant, article.title
        docs.append(StoryDoc(str(story), article.outlet, article.title, article.body, at))
    joined = [(a.title, b.title) for a, b in combinations(docs, 2) if same_story(a, b)[0]]
    assert len(joined) <= 4, joined  # of 435 pairs (dedupe's rewrite rule takes a few same-day sisters)
    copy = story_article(outlets[0], 2, 5, True, at + timedelta(minutes=20))
    assert same_story(docs[4], StoryDoc("copy", copy.outlet, copy.title, copy.body, at))[0]


def test_particles_follow_the_syllable_before_them() -> None:
    from crawler.demosites.scale import _particles

    assert _particles("부산관광공사(은) 해솔병원(과) 협약했다") == "부산관광공사는 해솔병원과 협약했다"
    assert _particles("서울(을) 찾은 환자, 의료원(이) 맡는다") == "서울을 찾은 환자, 의료원이 맡는다"
    assert _particles("서울(으로), 부산(으로), 제주(으로)") == "서울로, 부산으로, 제주로"
