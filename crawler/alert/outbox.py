"""The outbox rows' life cycle: which alerts are due, claiming them, and recording outcomes.

pending -> sending (claimed by one drain, with a lease) -> sent | pending again (temporary
failure, after a backoff) | failed (permanent, or too many attempts). `sending` rows whose
lease expired are due again: their sender died.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, true, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from crawler.store.models import Alert

LEASE = timedelta(minutes=15)  # longer than the slowest drain: SMTP timeouts x recipients
MAX_ATTEMPTS = 12  # with the backoff below: about 40 hours of trying before giving up
BACKOFF_MINUTES = (1, 5, 15, 60, 120, 240, 360)
CHUNK = 500  # ids per IN (...) list
OVERDUE = timedelta(hours=1)
RECLAIMED = "the previous sender's lease expired before it recorded the outcome; sent again"


@dataclass
class Batch:
    """The alerts of one mail: one recipient, one Message-ID."""

    recipient: str
    alerts: list[Alert]
    message_id: str


def backoff(attempts: int) -> timedelta:
    """The wait after the n-th failed attempt (n >= 1)."""
    return timedelta(minutes=BACKOFF_MINUTES[min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1])


def alert_key(a: Alert) -> str:
    """The alert key as text; a follow-up adds `|f<n>`, so story alerts keep the ids they always had."""
    key = f"{a.recipient}|{a.watchlist_id}|{a.story_id}|{a.revision}"
    return f"{key}|f{a.followup}" if a.followup else key


def message_id_for(alerts: Iterable[Alert]) -> str:
    """`<sha256(sorted alert keys)[:32]@newswatch>`: the same alert set always gets the same id."""
    keys = "\n".join(sorted(alert_key(a) for a in alerts))
    return f"<{hashlib.sha256(keys.encode('utf-8')).hexdigest()[:32]}@newswatch>"


def due_condition(now: datetime, *, digest: bool = False) -> ColumnElement[bool]:
    """Alerts a drain at `now` takes: due pending ones and expired claims.

    digest=True takes every pending alert not in backoff: digests before their time and immediate
    mail held by quiet hours too — a digest the recipient gets now should not leave a story it
    knows of for a second mail at the end of the quiet hours.
    """
    pending = and_(
        Alert.status == "pending",
        true() if digest else Alert.due_at <= now,
        or_(Alert.next_attempt_at.is_(None), Alert.next_attempt_at <= now),
    )
    expired = and_(
        Alert.status == "sending",
        or_(Alert.claimed_until.is_(None), Alert.claimed_until < now),
    )
    return or_(pending, expired)


def claim(
    session: Session, *, token: str, now: datetime, lease: timedelta, digest: bool
) -> list[Alert]:
    """Mark the due alerts as ours (status `sending`, lease until now + lease) and return them.

    PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, then UPDATE those ids — concurrent drains
    split the rows without waiting. SQLite: one UPDATE … WHERE status = 'pending'; writers are
    serialised, so a second drain finds the rows already `sending`.
    """
    reclaimed = Alert.status == "sending"
    values: dict[str, Any] = {
        "status": "sending",
        "claimed_by": token,
        "claimed_until": now + lease,
        "attempts": case((reclaimed, Alert.attempts + 1), else_=Alert.attempts),
        "last_error": case((reclaimed, literal(RECLAIMED)), else_=Alert.last_error),
    }
    condition = due_condition(now, digest=digest)
    plain_update = {"synchronize_session": False}
    if session.get_bind().dialect.name == "postgresql":
        locked = (
            select(Alert.id).where(condition).order_by(Alert.id).with_for_update(skip_locked=True)
        )
        for ids in chunks(list(session.scalars(locked))):
            session.execute(
                update(Alert).where(Alert.id.in_(ids)).values(**values),
                execution_options=plain_update,
            )
    else:
        session.execute(
            update(Alert).where(condition).values(**values), execution_options=plain_update
        )
    # status first: ix_alerts_status_due narrows the scan to rows being sent
    claimed = (
        select(Alert).where(Alert.status == "sending", Alert.claimed_by == token).order_by(Alert.id)
    )
    return list(session.scalars(claimed))


def batches_for(alerts: Sequence[Alert]) -> list[Batch]:
    """One batch per recipient; alerts reclaimed from a dead sender keep their own Message-ID."""
    groups: dict[tuple[str, str | None], list[Alert]] = {}
    for a in alerts:
        groups.setdefault((a.recipient, a.message_id), []).append(a)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
    return [
        Batch(recipient, group, existing or message_id_for(group))
        for (recipient, existing), group in ordered
    ]


def assign_message_ids(batches: Sequence[Batch]) -> None:
    """Store each batch's Message-ID on its (claimed, session-bound) alerts."""
    for b in batches:
        for a in b.alerts:
            a.message_id = b.message_id


def mark_sent(
    session: Session, ids: Sequence[int], *, token: str, message_id: str, now: datetime
) -> int:
    """Record delivery of our claimed alerts; returns how many were still ours."""
    done = 0
    for chunk in chunks(ids):
        result = session.execute(
            update(Alert)
            .where(Alert.id.in_(chunk), Alert.claimed_by == token, Alert.status == "sending")
            .values(
                status="sent",
                sent_at=now,
                message_id=message_id,
                claimed_until=None,
                last_error=None,
            ),
            execution_options={"synchronize_session": False},
        )
        done += result.rowcount or 0  # type: ignore[attr-defined]  # a CursorResult
    return done


def mark_failed_attempt(
    session: Session, ids: Sequence[int], *, token: str, now: datetime, error: str, give_up: bool
) -> None:
    """Record a failed attempt: `failed`, or back to `pending` after a backoff, with the error."""
    for chunk in chunks(ids):
        rows = session.scalars(
            select(Alert).where(
                Alert.id.in_(chunk), Alert.claimed_by == token, Alert.status == "sending"
            )
        )
        for row in rows:
            row.attempts += 1
            row.last_error = error
            row.claimed_until = None
            if give_up:
                row.status = "failed"
            else:
                row.status = "pending"
                row.next_attempt_at = now + backoff(row.attempts)
                row.claimed_by = None
                row.message_id = None  # the next attempt may carry more alerts: a new set, a new id


def retry_failed(session: Session, *, since: datetime | None = None) -> int:
    """Put failed alerts (created since `since`, or all) back to pending, due now, attempts reset.

    One UPDATE of rows still `failed`: two retries at once put each alert back once, and the
    drains that follow claim each alert once (the claim is the exactly-once point, not this).
    A failed alert was refused by the server, never accepted, so mailing it now is its first mail.
    """
    cond = [Alert.status == "failed"]
    if since is not None:
        cond.append(Alert.created_at >= since)
    result = session.execute(
        update(Alert).where(*cond).values(
            status="pending", attempts=0, next_attempt_at=None, claimed_by=None, claimed_until=None,
            message_id=None).execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # a CursorResult


@dataclass(frozen=True)
class OutboxSummary:
    """The outbox at a glance, for `newswatch status`."""

    pending: int
    due: int  # pending and due now (waiting for a drain or backing off)
    retrying: int  # pending after a failed attempt
    sending: int
    stuck: int  # sending with an expired lease: a sender died
    overdue: int  # pending and due for more than OVERDUE: an outage, or no drain running
    failed: int
    sent: int
    oldest_due_at: datetime | None  # the oldest pending alert that is due
    last_error: str | None  # of the most recent failed or retrying alert

    @property
    def needs_a_person(self) -> bool:
        """Failed alerts, a dead sender's claims, or mail overdue (an outage or no drain running)."""
        return self.failed > 0 or self.stuck > 0 or self.overdue > 0


def summarize(session: Session, now: datetime) -> OutboxSummary:
    """Count the outbox rows by state."""
    counts = dict(session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all())
    due = session.execute(
        select(func.count(), func.min(Alert.due_at)).where(
            Alert.status == "pending", Alert.due_at <= now
        )
    ).one()
    retrying = session.scalar(
        select(func.count()).where(Alert.status == "pending", Alert.attempts > 0)
    )
    overdue = session.scalar(
        select(func.count()).where(Alert.status == "pending", Alert.due_at <= now - OVERDUE)
    )
    stuck = session.scalar(
        select(func.count()).where(Alert.status == "sending", Alert.claimed_until < now)
    )
    last_error = session.scalar(
        select(Alert.last_error)
        .where(Alert.last_error.is_not(None), Alert.status.in_(("pending", "failed")))
        .order_by(Alert.id.desc())
        .limit(1)
    )
    oldest = due[1]
    if oldest is not None and oldest.tzinfo is None:  # min() bypasses the column type on SQLite
        oldest = oldest.replace(tzinfo=UTC)
    return OutboxSummary(
        pending=counts.get("pending", 0),
        due=due[0],
        retrying=retrying or 0,
        sending=counts.get("sending", 0),
        stuck=stuck or 0,
        overdue=overdue or 0,
        failed=counts.get("failed", 0),
        sent=counts.get("sent", 0),
        oldest_due_at=oldest,
        last_error=last_error,
    )


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
