"""Draining the outbox: claim due alerts, send one mail per recipient, record the outcome.

A drain runs in three steps, each its own short transaction:

1. **Claim.** Due alerts (pending and due, or — with `digest=True` — every pending alert not
   in backoff, digests before their time and immediate mail held by quiet hours too; plus `sending` rows whose lease expired because a sender died) are marked `sending`
   with this drain's claim token and a lease (`claimed_until`). PostgreSQL selects them
   `FOR UPDATE SKIP LOCKED`, so concurrent senders split the work without waiting; SQLite
   serialises writers, and the claim is a single `UPDATE … WHERE status = 'pending'`. The
   Message-ID of each mail — `<sha256(sorted alert keys)[:32]@newswatch>` — is stored on its
   alerts in the same transaction.
2. **Send.** One mail per recipient with each story once per watchlist section, outside any
   transaction. One recipient's failure never holds up the others.
3. **Record.** Per recipient: `sent` (with `sent_at`, `message_id`); or, on a temporary error,
   back to `pending` with `attempts + 1` and `next_attempt_at` after a backoff (1, 5, 15, 60,
   120, 240, then every 360 minutes); on a permanent error or after `MAX_ATTEMPTS`, `failed`,
   and the maintainers (never the office) get a notice.

Delivery is at least once. **The duplicate window:** if the sender dies after the SMTP server
accepted a mail and before step 3 committed, the alerts stay `sending`; when the lease expires
the next drain claims them again and sends the same alert set again, with the same Message-ID
(reclaimed alerts keep their Message-ID and form their own mail, so mail clients and servers
that deduplicate by Message-ID show it once). A connection lost after the server received the
data but before it answered is the same window seen from the other side: it counts as a
temporary failure and the alerts go again (possibly with new alerts of that recipient, then
under a new Message-ID). Nothing else sends an alert twice.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import select

from crawler import paths
from crawler.alert.compose import (
    Envelope,
    FailedDelivery,
    FeedbackLinks,
    StoryView,
    arrange,
    compose_digest,
    compose_notice,
    plain,
    render_digest,
    web_base_url,
)
from crawler.alert.outbox import (
    LEASE,
    MAX_ATTEMPTS,
    Batch,
    assign_message_ids,
    backoff,
    batches_for,
    claim,
    due_condition,
    mark_failed_attempt,
    mark_sent,
)
from crawler.alert.recipients import Recipient, Recipients, load_recipients
from crawler.alert.tokens import SignedFeedbackLinks, load_secret, make_token
from crawler.alert.transport import DeliveryError, Transport, WebhookTransport, transport_from_env
from crawler.alert.views import load_views, watchlist_names
from crawler.registry import outlet_names
from crawler.store import Database
from crawler.store.models import Alert, utcnow

log = logging.getLogger(__name__)

__all__ = ["LEASE", "MAX_ATTEMPTS", "RecipientLine", "SendReport", "drain", "render_preview"]


@dataclass
class RecipientLine:
    """What happened to one recipient's mail in a drain."""

    recipient: str
    outcome: str  # sent | deferred | failed | dropped | would send | (no) notice | nothing new
    alerts: int
    stories: int
    message_id: str | None = None
    detail: str = ""

    def render(self) -> str:
        mid = f" {self.message_id}" if self.message_id else ""
        detail = f" — {self.detail}" if self.detail else ""
        return f"{self.outcome:<10} {self.recipient}: {self.stories} stories, {self.alerts} alerts{mid}{detail}"


@dataclass
class SendReport:
    """The counts of one drain and a line per recipient."""

    dry_run: bool = False
    transport: str = ""
    mails_sent: int = 0
    alerts_sent: int = 0
    deferred: int = 0
    failed: int = 0
    notices_sent: int = 0
    lines: list[RecipientLine] = field(default_factory=list)
    messages: list[EmailMessage] = field(default_factory=list)  # what a dry run would send

    def render(self) -> str:
        """A few lines for a person or a cron mail."""
        if self.dry_run:
            head = f"dry run via {self.transport}: {len(self.messages)} mails would be sent"
        else:
            head = (
                f"sent {self.mails_sent} mails ({self.alerts_sent} alerts) via {self.transport}; "
                f"{self.deferred} alerts deferred, {self.failed} failed, {self.notices_sent} maintainer notices"
            )
        return "\n".join([head, *(f"  {line.render()}" for line in self.lines)])


@dataclass
class _Drain:
    """One drain's settings and results, passed between its steps."""

    db: Database
    now: datetime
    token: str
    transport: Transport
    recipients: Recipients
    envelope: Envelope
    report: SendReport
    names: dict[str, str] = field(default_factory=dict)
    views: dict[int, StoryView] = field(default_factory=dict)
    failures: list[FailedDelivery] = field(default_factory=list)
    webhook: WebhookTransport = field(default_factory=WebhookTransport)
    server_down: DeliveryError | None = None  # set once the mail server failed as a whole
    by_address: dict[str, Recipient] = field(init=False)

    def __post_init__(self) -> None:
        self.by_address = self.recipients.by_address()


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def drain(
    db: Database,
    *,
    now: datetime | None = None,
    digest: bool = False,
    dry_run: bool = False,
    transport: Transport | None = None,
    worker_id: str | None = None,
    base_url_for_links: str | None = None,
    recipients: Recipients | None = None,
    lease: timedelta = LEASE,
    progress: Callable[[int, int, str], None] | None = None,
) -> SendReport:
    """Send what is due now (digest=True: every pending digest too); see the module docstring.

    `progress(done, total, recipient)` is called after each recipient's mail (a terminal shows it).
    """
    now = now or utcnow()
    recipients = recipients if recipients is not None else load_recipients()
    transport = transport if transport is not None else transport_from_env()
    envelope = Envelope(
        from_address=transport.from_address,
        reply_to=transport.reply_to,
        contacts=recipients.maintainers,
        feedback=_feedback_links(base_url_for_links or web_base_url()),
    )
    report = SendReport(dry_run=dry_run, transport=transport.describe())
    if dry_run:
        return _preview(
            db, now=now, digest=digest, recipients=recipients, envelope=envelope, report=report
        )
    token = f"{(worker_id or default_worker_id())[:100]}/{uuid.uuid4().hex[:12]}"
    run = _Drain(db, now, token, transport, recipients, envelope, report)
    names_by_outlet = outlet_names()
    with db.session() as session:
        alerts = claim(session, token=token, now=now, lease=lease, digest=digest)
        batches = batches_for(alerts)
        assign_message_ids(batches)
        run.views = load_views(session, alerts, names_by_outlet)
    run.names = watchlist_names({a.watchlist_id for a in alerts})
    for done, batch in enumerate(batches, 1):
        _deliver(run, batch)
        if progress is not None:
            progress(done, len(batches), batch.recipient)
    _notify_maintainers(run)
    return report


def _preview(
    db: Database,
    *,
    now: datetime,
    digest: bool,
    recipients: Recipients,
    envelope: Envelope,
    report: SendReport,
) -> SendReport:
    """Compose what a drain would send, without claiming or changing anything."""
    with db.session() as session:
        alerts = list(
            session.scalars(
                select(Alert).where(due_condition(now, digest=digest)).order_by(Alert.id)
            )
        )
        views = load_views(session, alerts, outlet_names())
    names = watchlist_names({a.watchlist_id for a in alerts})
    by_address = recipients.by_address()
    for batch in batches_for(alerts):
        r = by_address.get(batch.recipient)
        keep = _subscribed(r, batch.alerts)
        if r is None or not keep:
            report.lines.append(
                RecipientLine(
                    batch.recipient, "would drop", len(batch.alerts), 0, detail="not subscribed"
                )
            )
            continue
        stories = [views[a.id] for a in keep if a.id in views]
        if not stories and _only_followups(keep):
            report.lines.append(
                RecipientLine(r.address, "nothing new", len(keep), 0, detail=_NOTHING_NEW)
            )
            continue
        msg = compose_digest(r, stories, names, now, replace(envelope, message_id=batch.message_id))
        report.messages.append(msg)
        line = RecipientLine(
            r.address,
            "would send",
            len(keep),
            _story_count(stories),
            batch.message_id,
            str(msg["Subject"]),
        )
        report.lines.append(line)
    return report


def _subscribed(r: Recipient | None, alerts: Sequence[Alert]) -> list[Alert]:
    return [a for a in alerts if r is not None and a.watchlist_id in r.watchlists]


_NOTHING_NEW = "follow-ups whose outlets were mailed since or muted; marked sent, no mail"


def _only_followups(alerts: Sequence[Alert]) -> bool:
    return bool(alerts) and all(a.followup for a in alerts)


def _story_count(stories: Sequence[StoryView]) -> int:
    return len({s.story_id for s in stories})


def _deliver(run: _Drain, batch: Batch) -> None:
    """Send one recipient's mail and record the outcome; never raises for a delivery problem."""
    r = run.by_address.get(batch.recipient)
    keep = _subscribed(r, batch.alerts)
    dropped = [a for a in batch.alerts if a not in keep]
    if dropped:
        _drop(run, batch.recipient, dropped)
    if r is None or not keep:
        return
    stories = [run.views[a.id] for a in keep if a.id in run.views]
    if not stories and _only_followups(keep):
        # every outlet they would list was mailed since, or muted meanwhile: nothing to tell
        with run.db.session() as session:
            mark_sent(session, [a.id for a in keep], token=run.token,
                      message_id=batch.message_id, now=run.now)  # fmt: skip
        run.report.lines.append(
            RecipientLine(r.address, "nothing new", len(keep), 0, detail=_NOTHING_NEW)
        )
        return
    if run.server_down is not None and r.channel == "email":
        untried = DeliveryError(
            False, f"not tried, the mail server failed: {run.server_down.message}"
        )
        _failed(run, batch, keep, stories, untried)
        return
    try:
        msg = compose_digest(
            r, stories, run.names, run.now, replace(run.envelope, message_id=batch.message_id)
        )
        if r.channel == "webhook":
            run.webhook.post(r.webhook_url, webhook_payload(r, msg, stories))
        else:
            run.transport.send(msg, [r.address])
    except DeliveryError as exc:
        if exc.server_wide and r.channel == "email":
            run.server_down = exc
        _failed(run, batch, keep, stories, exc)
        return
    except Exception as exc:
        # a bug in composing or in a transport: retry later, keep the others going
        log.exception("alert mail to %s could not be built or sent", r.address)
        _failed(run, batch, keep, stories, DeliveryError(False, f"{type(exc).__name__}: {exc}"))
        return
    with run.db.session() as session:
        done = mark_sent(
            session, [a.id for a in keep], token=run.token, message_id=batch.message_id, now=run.now
        )
    if done < len(keep):
        log.warning(
            "%d alerts to %s were taken over by another sender after our lease expired",
            len(keep) - done,
            r.address,
        )
    run.report.mails_sent += 1
    run.report.alerts_sent += len(keep)
    run.report.lines.append(
        RecipientLine(r.address, "sent", len(keep), _story_count(stories), batch.message_id)
    )


def _drop(run: _Drain, recipient: str, alerts: Sequence[Alert]) -> None:
    """Alerts of an address no longer subscribed (removed or changed in the file): failed, not sent."""
    error = f"{recipient} is no longer subscribed to this watchlist in {paths.recipients_file()}; not sent"
    with run.db.session() as session:
        mark_failed_attempt(
            session, [a.id for a in alerts], token=run.token, now=run.now, error=error, give_up=True
        )
    run.report.failed += len(alerts)
    run.report.lines.append(
        RecipientLine(recipient, "dropped", len(alerts), 0, detail="unsubscribed")
    )


def webhook_payload(
    r: Recipient, msg: EmailMessage, stories: Sequence[StoryView]
) -> dict[str, Any]:
    """The JSON a webhook recipient gets: the subject and the stories (snippets, never whole articles)."""
    body = msg.get_body(preferencelist=("plain",))
    _, followups = arrange(stories, {})
    return {
        "recipient": r.address,
        "subject": str(msg["Subject"]),
        "message_id": str(msg["Message-ID"]),
        "text": body.get_content() if body is not None else "",
        "stories": [_webhook_story(s) for s in stories if not s.followup],
        "followups": [
            {**_webhook_story(s), "new_outlets": [name for name, _, _ in s.new_outlets]}
            for s in followups
        ],
    }


def _webhook_story(s: StoryView) -> dict[str, Any]:
    return {
        "story_id": s.story_id,
        "watchlist": s.watchlist_id,
        "title": plain(s.snippet_title or s.title),
        "url": s.url,
        "outlets": [name for name, _, _ in s.outlets],
        "published_at": s.published_at.isoformat() if s.published_at else None,
        "score": s.score,
        "terms": s.terms,
        "snippet": plain(s.snippet_body),
    }


def _failed(
    run: _Drain,
    batch: Batch,
    alerts: Sequence[Alert],
    stories: Sequence[StoryView],
    exc: DeliveryError,
) -> None:
    """Record a failed delivery: back to pending with backoff, or failed (and the maintainers told)."""
    error = exc.message[:1000]
    attempts = max(a.attempts for a in alerts) + 1
    give_up = exc.permanent or attempts >= MAX_ATTEMPTS
    with run.db.session() as session:
        mark_failed_attempt(
            session,
            [a.id for a in alerts],
            token=run.token,
            now=run.now,
            error=error,
            give_up=give_up,
        )
    if give_up:
        run.report.failed += len(alerts)
        titles = sorted({plain(s.snippet_title or s.title) for s in stories})
        run.failures.append(FailedDelivery(batch.recipient, len(alerts), titles, error, attempts))
        outcome, detail = "failed", error
    else:
        run.report.deferred += len(alerts)
        retry_at = (run.now + backoff(attempts)).isoformat(timespec="minutes")
        outcome, detail = "deferred", f"{error} (attempt {attempts}, next at {retry_at})"
    log.warning("alert mail to %s %s: %s", batch.recipient, outcome, error)
    line = RecipientLine(
        batch.recipient, outcome, len(alerts), _story_count(stories), batch.message_id, detail
    )
    run.report.lines.append(line)


def _notify_maintainers(run: _Drain) -> None:
    """Tell the maintainers (never the office) about alerts that will not be delivered."""
    if not run.failures:
        return
    maintainers = run.recipients.maintainers
    total = sum(f.alerts for f in run.failures)
    if not maintainers:
        log.error(
            "%d alerts failed and no [[maintainer]] is listed in %s to tell",
            total,
            paths.recipients_file(),
        )
        run.report.lines.append(
            RecipientLine("(maintainers)", "no notice", total, 0, detail="no [[maintainer]] listed")
        )
        return
    keys = (
        "\n".join(sorted(f"{f.recipient}|{f.error}|{f.alerts}" for f in run.failures))
        + run.now.isoformat()
    )
    notice_id = f"<notice-{hashlib.sha256(keys.encode()).hexdigest()[:24]}@newswatch>"
    msg = compose_notice(
        maintainers, run.failures, run.now, replace(run.envelope, message_id=notice_id)
    )
    to = [m.address for m in maintainers]
    try:
        run.transport.send(msg, to)
    except DeliveryError as exc:
        kept = _keep_notice(msg, notice_id)
        log.error(
            "the maintainers' notice about %d failed alerts was not sent (%s); written to %s — "
            "fix the mail server, then `newswatch send --retry-failed`", total, exc.message, kept,
        )
        run.report.lines.append(
            RecipientLine(", ".join(to), "no notice", total, 0, detail=f"{exc.message}; kept in {kept}")
        )
        return
    run.report.notices_sent += 1
    run.report.lines.append(
        RecipientLine(", ".join(to), "notice", total, 0, notice_id, "failed deliveries reported")
    )


def _keep_notice(msg: EmailMessage, notice_id: str) -> Path:
    """The maintainers' notice as an .eml under $NEWSWATCH_HOME/outbox/maintainers/ (the server
    refused it too: the notice must not be lost with the alerts it is about)."""
    folder = paths.outbox_dir() / "maintainers"
    folder.mkdir(parents=True, exist_ok=True)
    name = notice_id.strip("<>").split("@")[0]
    path = folder / f"{name}.eml"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(bytes(msg))
    tmp.replace(path)
    return path


def render_preview(
    db: Database,
    *,
    now: datetime | None = None,
    recipients: Recipients | None = None,
    only_first: bool = False,
) -> list[tuple[str, str, str]]:
    """(recipient, subject, html) of the next digest of each recipient with pending alerts."""
    now = now or utcnow()
    recipients = recipients if recipients is not None else load_recipients()
    envelope = Envelope(contacts=recipients.maintainers, feedback=_feedback_links(web_base_url()))
    with db.session() as session:
        alerts = list(
            session.scalars(select(Alert).where(Alert.status == "pending").order_by(Alert.id))
        )
        views = load_views(session, alerts, outlet_names())
    names = watchlist_names({a.watchlist_id for a in alerts})
    out: list[tuple[str, str, str]] = []
    for r in recipients.recipient:
        mine = [a for a in alerts if a.recipient == r.address and a.watchlist_id in r.watchlists]
        stories = [views[a.id] for a in mine if a.id in views]
        if not stories:
            continue
        subject, html, _ = render_digest(r, stories, names, now, envelope)
        out.append((r.address, subject, html))
        if only_first:
            break
    return out


def _feedback_links(base_url: str) -> FeedbackLinks:
    """관련 있음 / 관련 없음 links that carry a signed token (crawler.ops.feedback).

    The secret is read once per drain (at the first link, so a secret problem fails that mail
    and is retried like any other), not once per link: a 200-story digest has 400 links.
    """
    class _OneSecretLinks(SignedFeedbackLinks):
        @cached_property
        def _secret(self) -> bytes:
            return load_secret()

        def token(
            self,
            *,
            recipient: str,
            watchlist_id: str,
            story_id: int,
            verdict: str = "relevant",
            outlet_id: str | None = None,
        ) -> str | None:
            return make_token(recipient, watchlist_id, story_id, verdict, outlet_id=outlet_id,
                              lifetime=self.lifetime, secret=self._secret)  # fmt: skip

    return _OneSecretLinks(base_url)
