"""Which alerts a match makes and when they are due: a table, then the outbox insert on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from crawler.alert.plan import AlertPlan, alert_max_age_hours, enqueue, plan_alerts, plan_for_match
from crawler.alert.recipients import Recipient, Recipients
from crawler.store import Database
from crawler.store.models import Alert, Article
from tests.support.stories import add_story

SEOUL = ZoneInfo("Asia/Seoul")


def kst(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SEOUL)


def person(**kw: object) -> Recipient:
    base: dict[str, object] = {
        "address": "team@city.example",
        "watchlists": ["medical-tourism"],
        "mode": "digest",
    }
    return Recipient.model_validate({**base, **kw})


DIGEST = person()
BOTH = person(mode="both", immediate_min_score=12.0, quiet_hours="22:00-07:00")
IMMEDIATE = person(mode="immediate", immediate_min_score=12.0)
TWICE = person(digest_times=["17:00", "08:30"])
HOLIDAYS = person(skip_holidays=True)
WEEKEND = person(weekdays=["sat", "sun"])
LUNCH = person(mode="immediate", immediate_min_score=0.0, quiet_hours="12:00-13:00")

# 2026-01-02 is a Friday; 2026-02-16..18 is 설날. Times are Seoul wall-clock times.
# fmt: off
CASES = [
    # id                                 recipient  score  now                 published           seed   expected
    ("seed-never-alerts",                BOTH,      30.0, "2026-01-02 11:10", "2026-01-02 11:00", True,  None),
    ("older-than-72h",                   BOTH,      30.0, "2026-01-05 12:00", "2026-01-02 11:00", True,  None),
    ("older-than-72h-not-seeding",       BOTH,      30.0, "2026-01-05 12:00", "2026-01-02 11:00", False, None),
    ("just-under-72h",                   DIGEST,     5.0, "2026-01-05 10:59", "2026-01-02 11:00", False, ("digest", "2026-01-06 08:30")),
    ("unknown-date-counts-as-now",       DIGEST,     5.0, "2026-01-02 11:10", None,               False, ("digest", "2026-01-05 08:30")),
    ("digest-friday-late-goes-monday",   DIGEST,    30.0, "2026-01-02 11:10", None,               False, ("digest", "2026-01-05 08:30")),
    ("digest-early-same-morning",        DIGEST,     5.0, "2026-01-01 07:00", None,               False, ("digest", "2026-01-01 08:30")),
    ("digest-at-the-minute",             DIGEST,     5.0, "2026-01-01 08:30", None,               False, ("digest", "2026-01-01 08:30")),
    ("digest-saturday-goes-monday",      DIGEST,     5.0, "2026-01-03 09:00", None,               False, ("digest", "2026-01-05 08:30")),
    ("digest-weekend-only",              WEEKEND,    5.0, "2026-01-05 09:00", None,               False, ("digest", "2026-01-10 08:30")),
    ("two-digest-times",                 TWICE,      5.0, "2026-01-02 12:00", None,               False, ("digest", "2026-01-02 17:00")),
    ("holidays-kept-by-default",         DIGEST,     5.0, "2026-02-13 10:00", None,               False, ("digest", "2026-02-16 08:30")),
    ("seollal-skipped",                  HOLIDAYS,   5.0, "2026-02-13 10:00", None,               False, ("digest", "2026-02-19 08:30")),
    ("new-year-skipped",                 HOLIDAYS,   5.0, "2025-12-31 10:00", None,               False, ("digest", "2026-01-02 08:30")),
    ("both-high-score-immediate",        BOTH,      12.0, "2026-01-02 11:10", None,               False, ("immediate", "2026-01-02 11:10")),
    ("both-low-score-digest",            BOTH,      11.9, "2026-01-02 11:10", None,               False, ("digest", "2026-01-05 08:30")),
    ("quiet-evening-waits-till-7",       BOTH,      20.0, "2026-01-02 23:30", None,               False, ("immediate", "2026-01-03 07:00")),
    ("quiet-night-waits-till-7",         BOTH,      20.0, "2026-01-03 03:00", None,               False, ("immediate", "2026-01-03 07:00")),
    ("quiet-ends-at-7",                  BOTH,      20.0, "2026-01-03 07:00", None,               False, ("immediate", "2026-01-03 07:00")),
    ("quiet-starts-at-22",               BOTH,      20.0, "2026-01-02 22:00", None,               False, ("immediate", "2026-01-03 07:00")),
    ("quiet-daytime-window",             LUNCH,     20.0, "2026-01-02 12:30", None,               False, ("immediate", "2026-01-02 13:00")),
    ("immediate-mode-low-score-nothing", IMMEDIATE, 11.0, "2026-01-02 11:10", None,               False, None),
    ("immediate-mode-weekend-at-once",   IMMEDIATE, 13.0, "2026-01-03 23:00", None,               False, ("immediate", "2026-01-03 23:00")),
]
# fmt: on


def at(text: str | None) -> datetime | None:
    """A Seoul wall-clock time 'YYYY-MM-DD HH:MM' as an aware datetime."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SEOUL) if text else None


@pytest.mark.parametrize(
    ("recipient", "score", "now", "published", "seed", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_plan_table(
    recipient: Recipient,
    score: float,
    now: str,
    published: str | None,
    seed: bool,
    expected: tuple[str, str] | None,
) -> None:
    when = at(now)
    assert when is not None
    plans = plan_alerts(
        [recipient],
        score=score,
        now=when.astimezone(UTC),
        published_at=at(published),
        seed=seed,
        max_age_hours=72,
    )
    if expected is None:
        assert plans == []
        return
    mode, due = expected
    assert plans == [AlertPlan(recipient.address, mode, at(due).astimezone(UTC), "email")]  # type: ignore[arg-type, union-attr]


def test_one_plan_per_recipient() -> None:
    many = [
        person(address=f"p{i}@city.example", mode="both", immediate_min_score=10.0 * i)
        for i in range(3)
    ]
    plans = plan_alerts(
        many,
        score=15.0,
        now=kst(2026, 1, 2, 11, 10),
        published_at=None,
        seed=False,
        max_age_hours=72,
    )
    assert [(p.recipient, p.mode) for p in plans] == [
        ("p0@city.example", "immediate"),
        ("p1@city.example", "immediate"),
        ("p2@city.example", "digest"),
    ]


def test_extra_holidays_from_the_file() -> None:
    """A day off declared at short notice (here an ordinary Thursday) is skipped when listed."""
    def due(extra: list[date]) -> datetime:
        plans = plan_alerts(
            [HOLIDAYS], score=5.0, now=kst(2026, 11, 4, 10, 0), published_at=None,
            seed=False, max_age_hours=72, holidays=extra,
        )
        return plans[0].due_at

    assert due([]) == kst(2026, 11, 5, 8, 30)
    assert due([date(2026, 11, 5)]) == kst(2026, 11, 6, 8, 30)


@pytest.mark.parametrize(
    ("now", "due_at"),
    [
        # 제헌절 is a public holiday again from 2026 (a Friday): the digest waits for Monday
        ((2026, 7, 16, 10, 0), (2026, 7, 20, 8, 30)),
        # 설날 2028 (26-28 January), beyond any hand-kept table
        ((2028, 1, 25, 10, 0), (2028, 1, 31, 8, 30)),
    ],
)
def test_public_holidays_of_any_year_are_skipped(now: tuple, due_at: tuple) -> None:
    plans = plan_alerts(
        [HOLIDAYS], score=5.0, now=kst(*now), published_at=None, seed=False, max_age_hours=72,
    )
    assert plans[0].due_at == kst(*due_at)


def test_max_age_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSWATCH_ALERT_MAX_AGE_HOURS", raising=False)
    assert alert_max_age_hours() == 72.0
    monkeypatch.setenv("NEWSWATCH_ALERT_MAX_AGE_HOURS", "1")
    now = kst(2026, 1, 2, 11, 10)
    assert (
        plan_alerts([DIGEST], score=5.0, now=now, published_at=now - timedelta(hours=2), seed=False)
        == []
    )
    monkeypatch.setenv("NEWSWATCH_ALERT_MAX_AGE_HOURS", "soon")
    with pytest.raises(ValueError, match="NEWSWATCH_ALERT_MAX_AGE_HOURS"):
        alert_max_age_hours()


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        plan_alerts(
            [DIGEST],
            score=5.0,
            now=datetime(2026, 1, 2, 11, 10),
            published_at=None,
            seed=False,
            max_age_hours=72,
        )


def test_enqueue_skips_existing_keys_and_keeps_the_transaction(db: Database) -> None:
    now = kst(2026, 1, 2, 11, 10).astimezone(UTC)
    people = [BOTH, person(address="other@city.example")]
    plans = plan_alerts(
        people, score=20.0, now=now, published_at=None, seed=False, max_age_hours=72
    )
    with db.session() as s:
        made = add_story(s, "인천시 의료관광 팸투어")
        ids = {"story_id": made.story.id, "article_id": made.article.id, "match_id": made.match.id}
        assert enqueue(s, plans, watchlist_id="medical-tourism", **ids) == 2
    with db.session() as s:
        # the same match again (a re-crawl), plus a new article in the same transaction
        s.add(
            Article(
                outlet_id="x",
                url="http://x/2",
                url_key="x|2",
                canonical_url="http://x/2",
                title="t",
                body="b",
                body_hash="h",
                family="generic",
            )
        )
        assert enqueue(s, plans, watchlist_id="medical-tourism", **ids) == 0
        assert enqueue(s, plans[:1], watchlist_id="medical-tourism", revision=2, **ids) == 1
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == 3
        assert (
            s.scalar(select(func.count()).select_from(Article).where(Article.url_key == "x|2")) == 1
        )
        rows = s.scalars(select(Alert).order_by(Alert.id)).all()
        assert [(a.recipient, a.mode, a.revision, a.status) for a in rows] == [
            ("team@city.example", "immediate", 1, "pending"),
            ("other@city.example", "digest", 1, "pending"),
            ("team@city.example", "immediate", 2, "pending"),
        ]
        assert rows[1].due_at == kst(2026, 1, 5, 8, 30)


def test_plan_for_match_uses_the_files_subscriptions_and_holidays() -> None:
    people = Recipients.model_validate(
        {
            "recipient": [
                {
                    "address": "team@city.example",
                    "watchlists": ["medical-tourism"],
                    "skip_holidays": True,
                },
                {"address": "other@city.example", "watchlists": ["wellness"]},
            ],
            "holidays": ["2026-11-05"],
        }
    )
    plans = plan_for_match(
        people,
        "medical-tourism",
        score=5.0,
        now=kst(2026, 11, 4, 10, 0),
        published_at=None,
        seed=False,
    )
    assert [(p.recipient, p.due_at) for p in plans] == [
        ("team@city.example", kst(2026, 11, 6, 8, 30))
    ]
