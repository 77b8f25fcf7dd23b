"""Follow-ups: a story that gains outlets after its alert was mailed goes into the next digest.

A story's alert (followup 0) lists every outlet that carries the story when its mail is composed,
so an outlet that joins while the alert is still pending needs nothing. An outlet that joins
*after* the mail went out gets a follow-up row in the outbox (same key with followup = n ≥ 1),
written in the ingest transaction like any alert and drained by the same sender (claim, lease,
retry, Message-ID). It is never an immediate mail and never a second full alert: the recipient's
next digest shows it in a "추가 보도" section with only the outlets first seen since the previous
mail of that story to that recipient.

At most one follow-up per (recipient, watchlist, story) is pending at a time; further outlets
that join before it is sent are shown by it (it reads the outlets at compose time).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.alert.mutes import is_muted, unwanted_by
from crawler.alert.plan import (
    _insert_ignoring_key,
    _require_aware,
    alert_max_age_hours,
    end_of_quiet_hours,
    next_digest_at,
)
from crawler.alert.recipients import Recipient, Recipients
from crawler.store.models import Alert, Article

FALLBACK_DIGEST_TIMES = ("08:30",)  # an immediate-only recipient that lists no digest time
# a story alert in these states was composed before the new outlet was committed: its mail lacks it
_MAILED = ("sent", "sending")


def story_gained_outlet(
    session: Session,
    *,
    story_id: int,
    article_id: int,
    recipients: Recipients,
    now: datetime,
) -> int:
    """Write the follow-ups a newly joining outlet makes; returns the rows inserted.

    Call it in the ingest transaction, right after a new `story_outlets` row (`article_id`, the
    joining outlet's article) was inserted for an existing story — and not when seeding
    (`newswatch crawl --seed` mails nothing). For each (recipient, watchlist) that was already
    mailed this story (a story alert `sent`, or `sending`: composed before this outlet existed)
    one follow-up row is written, unless

    - something of the story is still pending for them (the story alert, a newer revision or a
      follow-up): that mail will show every outlet there is when it goes out;
    - the recipient is no longer in the recipients file or no longer follows the watchlist;
    - the joining outlet is muted for the watchlist (crawler.alert.mutes);
    - the joining article is older than NEWSWATCH_ALERT_MAX_AGE_HOURS (never mailed, as for alerts).

    The row follows the newest mailed revision: same revision, followup = the highest so far + 1,
    `article_id` the joining article, `match_id` the followed alert's match, mode "digest", due
    at the recipient's next digest (its digest times, weekdays and holidays, exactly as a digest
    alert written now, so it goes out in the same mail). A recipient in `immediate` mode has no
    digest: its follow-ups wait for its `digest_times` slot all the same (08:30 when it lists
    none) on its weekdays, moved past its quiet hours — one short "추가 보도" mail at that time,
    never an immediate mail per joining outlet.

    On PostgreSQL the story's alert rows are locked (`FOR UPDATE`) first, so a sender that is
    claiming them either has committed (we see `sending`, and write a follow-up) or skips them
    (`SKIP LOCKED`) until this transaction has committed (its mail then shows the outlet).
    SQLite serialises writers, which gives the same.
    """
    _require_aware(now, "now")
    joined = session.execute(
        select(Article.outlet_id, Article.published_at).where(Article.id == article_id)
    ).first()
    if joined is None:
        return 0
    reference = joined.published_at or now
    if now - reference > timedelta(hours=alert_max_age_hours()):
        return 0
    rows = list(
        session.scalars(
            select(Alert).where(Alert.story_id == story_id).order_by(Alert.id).with_for_update()
        )
    )
    if not rows:
        return 0

    by_address = recipients.by_address()
    holidays = frozenset(recipients.holidays)
    groups: dict[tuple[str, str], list[Alert]] = {}
    for a in rows:
        groups.setdefault((a.recipient, a.watchlist_id), []).append(a)
    muted: dict[str, bool] = {}
    inserted = 0
    for (address, watchlist_id), alerts in sorted(groups.items()):
        r = by_address.get(address)
        if r is None or watchlist_id not in r.watchlists:
            continue
        followed = followed_alert(alerts)
        if followed is None:
            continue
        if watchlist_id not in muted:
            muted[watchlist_id] = is_muted(session, watchlist_id, joined.outlet_id)
        if muted[watchlist_id] or address in unwanted_by(session, watchlist_id, story_id):
            continue  # a muted outlet, or a story this person marked 관련 없음: never mailed again
        number = 1 + max(a.followup for a in alerts if a.revision == followed.revision)
        row = {
            "recipient": address,
            "watchlist_id": watchlist_id,
            "story_id": story_id,
            "revision": followed.revision,
            "followup": number,
            "article_id": article_id,
            "match_id": followed.match_id,
            "channel": r.channel,
            "mode": "digest",
            "status": "pending",
            "due_at": followup_due_at(r, now, holidays),
            "created_at": now,
        }
        stmt = _insert_ignoring_key(session, row).returning(Alert.id)
        inserted += len(session.execute(stmt).all())
    return inserted


def followed_alert(alerts: Sequence[Alert]) -> Alert | None:
    """The story alert a new follow-up of one (recipient, watchlist) follows, or None for none.

    None when anything of the story is pending for them (that mail will show the new outlet) or
    when no story alert was mailed (only failed ones); else the newest mailed revision.
    """
    if any(a.status == "pending" for a in alerts):
        return None
    mailed = [a for a in alerts if a.followup == 0 and a.status in _MAILED]
    return max(mailed, key=lambda a: a.revision, default=None)


def followup_due_at(
    r: Recipient, now: datetime, holidays: frozenset[date] = frozenset()
) -> datetime:
    """When a follow-up written now is due: the recipient's next digest (see story_gained_outlet)."""
    if r.wants_digest:
        return next_digest_at(r, now, holidays)
    clocked = r if r.digest_times else r.model_copy(update={"digest_times": FALLBACK_DIGEST_TIMES})
    return end_of_quiet_hours(r, next_digest_at(clocked, now, holidays))
