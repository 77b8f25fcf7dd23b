"""Which alerts a new match makes, and when each is due (pure), plus the outbox insert.

A match of score S for watchlist W goes to every recipient of W: at once (or at the end of the
recipient's quiet hours) when the recipient takes immediate mail and S reaches its
`immediate_min_score`; otherwise in the recipient's next digest (Asia/Seoul, allowed weekdays,
holidays skipped on request). A recipient in `immediate` mode gets nothing below its minimum —
`both` is the mode for "urgent ones at once, the rest in the digest". Seeding and articles
older than NEWSWATCH_ALERT_MAX_AGE_HOURS make no alerts at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import Insert, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crawler.alert.holidays import is_holiday
from crawler.alert.mutes import unwanted_by
from crawler.alert.recipients import Recipient, Recipients
from crawler.clock import SEOUL
from crawler.config import settings
from crawler.store.models import Alert

_DIGEST_HORIZON_DAYS = 40  # long enough for any run of weekends and holidays
# the columns of uq_alert_key; rows written without `followup` are story alerts (followup 0)
ALERT_KEY = ["recipient", "watchlist_id", "story_id", "revision", "followup"]


@dataclass(frozen=True)
class AlertPlan:
    """One alert to write: to whom, how, and when it is due (UTC)."""

    recipient: str
    mode: Literal["immediate", "digest"]
    due_at: datetime
    channel: str


def alert_max_age_hours() -> float:
    """NEWSWATCH_ALERT_MAX_AGE_HOURS (default 72): older articles are never mailed."""
    return settings().alert_max_age_hours


def plan_alerts(
    recipients: Sequence[Recipient],
    *,
    score: float,
    now: datetime,
    published_at: datetime | None,
    seed: bool,
    max_age_hours: float | None = None,
    holidays: Iterable[date] = (),
) -> list[AlertPlan]:
    """The alerts one match makes for the recipients of its watchlist (empty when seeding or too old)."""
    _require_aware(now, "now")
    if seed:
        return []
    limit = alert_max_age_hours() if max_age_hours is None else max_age_hours
    reference = published_at or now
    _require_aware(reference, "published_at")
    if now - reference > timedelta(hours=limit):
        return []
    extra = frozenset(holidays)
    plans = []
    for r in recipients:
        plan = plan_for(r, score=score, now=now, holidays=extra)
        if plan is not None:
            plans.append(plan)
    return plans


def plan_for_match(
    recipients: Recipients,
    watchlist_id: str,
    *,
    score: float,
    now: datetime,
    published_at: datetime | None,
    seed: bool,
    max_age_hours: float | None = None,
) -> list[AlertPlan]:
    """`plan_alerts` for the subscribers of a watchlist, with the file's extra holidays."""
    return plan_alerts(
        recipients.for_watchlist(watchlist_id),
        score=score,
        now=now,
        published_at=published_at,
        seed=seed,
        max_age_hours=max_age_hours,
        holidays=recipients.holidays,
    )


def plan_for(
    r: Recipient, *, score: float, now: datetime, holidays: frozenset[date] = frozenset()
) -> AlertPlan | None:
    """One recipient's alert for a match, or None when its mode takes nothing at this score."""
    if r.wants_immediate and score >= r.immediate_min_score:
        return AlertPlan(r.address, "immediate", end_of_quiet_hours(r, now), r.channel)
    if r.wants_digest:
        return AlertPlan(r.address, "digest", next_digest_at(r, now, holidays), r.channel)
    return None


def end_of_quiet_hours(r: Recipient, now: datetime) -> datetime:
    """`now`, or the end of the recipient's quiet hours when `now` falls inside them (UTC)."""
    window = r.quiet_window
    if window is None:
        return now
    start, end = window
    local = now.astimezone(SEOUL)
    clock = local.time()
    if start < end:
        inside = start <= clock < end
    else:  # wraps midnight, e.g. 22:00-07:00
        inside = clock >= start or clock < end
    if not inside:
        return now
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return _at(day, end)


def next_digest_at(
    r: Recipient, now: datetime, holidays: frozenset[date] = frozenset()
) -> datetime:
    """The recipient's next digest time at or after `now`: an allowed weekday, holidays skipped if asked."""
    local_day = now.astimezone(SEOUL).date()
    for offset in range(_DIGEST_HORIZON_DAYS):
        day = local_day + timedelta(days=offset)
        if day.weekday() not in r.weekday_numbers:
            continue
        if r.skip_holidays and is_holiday(day, holidays):
            continue
        for clock in r.digest_clock:
            due = _at(day, clock)
            if due >= now:
                return due
    raise ValueError(
        f"recipient {r.address}: no digest day in the next {_DIGEST_HORIZON_DAYS} days; check weekdays and holidays"
    )


def _at(day: date, clock: time) -> datetime:
    """A Seoul wall-clock time as an aware UTC datetime."""
    return datetime.combine(day, clock, tzinfo=SEOUL).astimezone(UTC)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None:
        raise ValueError(f"{name} is a naive datetime; attach a time zone (UTC in the store)")


def enqueue(
    session: Session,
    plans: Iterable[AlertPlan],
    *,
    story_id: int,
    article_id: int,
    match_id: int,
    watchlist_id: str,
    revision: int = 1,
) -> int:
    """Insert the plans as outbox rows in the caller's transaction; existing alert keys are skipped.

    Uses INSERT … ON CONFLICT DO NOTHING on the alert key (SQLite and PostgreSQL), so a
    concurrent writer of the same key neither fails nor aborts the caller's transaction.
    Returns the number of rows inserted.
    """
    # a story a recipient marked 관련 없음 is never mailed to them again (revisions included)
    unwanted = unwanted_by(session, watchlist_id, story_id)
    rows = [
        {
            "recipient": p.recipient,
            "watchlist_id": watchlist_id,
            "story_id": story_id,
            "revision": revision,
            "followup": 0,
            "article_id": article_id,
            "match_id": match_id,
            "channel": p.channel,
            "mode": p.mode,
            "status": "pending",
            "due_at": p.due_at,
        }
        for p in plans
        if p.recipient not in unwanted
    ]
    inserted = 0
    for row in rows:
        stmt = _insert_ignoring_key(session, row).returning(
            Alert.id
        )  # RETURNING: only rows inserted
        inserted += len(session.execute(stmt).all())
    return inserted


def _insert_ignoring_key(session: Session, row: dict[str, object]) -> Insert:
    """INSERT … ON CONFLICT (alert key) DO NOTHING for the session's backend."""
    dialect = session.get_bind().dialect.name
    dialect_insert: Any
    if dialect == "postgresql":
        dialect_insert = postgresql.insert
    elif dialect == "sqlite":
        dialect_insert = sqlite.insert
    else:  # pragma: no cover - only the two backends are supported
        return insert(Alert).values(**row)
    return dialect_insert(Alert).values(**row).on_conflict_do_nothing(index_elements=ALERT_KEY)
