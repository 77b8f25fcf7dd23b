"""Maintainer notices about health: at most one per outlet and rule per Seoul day, and recoveries.

The state lives in `health_notices`; it changes only once the mail went out (or there is no
maintainer to tell), so a mail server that is down means the notice comes with the next check.
Never sent to the office: only `recipients.maintainers`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.alert.compose import Envelope, maintainer_message
from crawler.alert.recipients import Maintainer
from crawler.alert.transport import DeliveryError, Transport
from crawler.clock import SEOUL, seoul_text
from crawler.monitor.failures import saved_pages
from crawler.monitor.rules import Check
from crawler.monitor.sentry import report_violation
from crawler.store.models import HealthNotice

log = logging.getLogger(__name__)


@dataclass
class NotifyReport:
    """What one round of notices did."""

    failing: list[Check] = field(default_factory=list)
    recovered: list[Check] = field(default_factory=list)
    mailed_to: list[str] = field(default_factory=list)
    sentry_events: int = 0
    error: str | None = None

    def render(self) -> str:
        if not (self.failing or self.recovered):
            return "health: nothing new to tell the maintainers"
        who = ", ".join(self.mailed_to) or "nobody (no [[maintainer]] listed)"
        line = f"health: {len(self.failing)} problem(s), {len(self.recovered)} recovery(ies) -> {who}"
        return line + (f"; NOT sent: {self.error}" if self.error else "")


def _day(when: datetime) -> Any:
    return when.astimezone(SEOUL).date()


def plan(session: Session, checks: Sequence[Check], now: datetime) -> tuple[list[Check], list[Check]]:
    """Failures to tell (new, or not told yet this Seoul day) and recoveries (failing before, passing now)."""
    rows = {(r.outlet_id, r.rule): r for r in session.scalars(select(HealthNotice))}
    failing, recovered = [], []
    for c in checks:
        row = rows.get((c.outlet_id, c.rule))
        if c.failed:
            if row is None or row.state != "failing" or row.notified_at is None or _day(row.notified_at) != _day(now):
                failing.append(c)
        elif c.status == "pass" and row is not None and row.state == "failing":
            recovered.append(c)
    return failing, recovered


def record(session: Session, failing: Sequence[Check], recovered: Sequence[Check], now: datetime) -> None:
    """Remember what the maintainers were told."""
    for c in failing:
        row = session.get(HealthNotice, (c.outlet_id, c.rule))
        if row is None:
            row = HealthNotice(outlet_id=c.outlet_id, rule=c.rule, first_failed_at=now)
            session.add(row)
        elif row.state != "failing":
            row.first_failed_at = now
        row.state, row.notified_at, row.recovered_at = "failing", now, None
        row.evidence, row.message = _jsonable(c.evidence), c.message[:500]
    for c in recovered:
        row = session.get(HealthNotice, (c.outlet_id, c.rule))
        if row is not None:
            row.state, row.recovered_at = "ok", now
            row.evidence, row.message = _jsonable(c.evidence), c.message[:500]


def _jsonable(evidence: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, int | float | str | bool | None) else str(v) for k, v in evidence.items()}


def render_text(failing: Sequence[Check], recovered: Sequence[Check], now: datetime) -> str:
    """The notice body: each problem with its evidence and saved page, then the recoveries."""
    lines = [f"newswatch health check, {seoul_text(now)} (Asia/Seoul).",
             "This notice goes to the maintainers only; the office gets nothing about it.", ""]
    for c in failing:
        lines.append(f"PROBLEM  {c.outlet_id} / {c.rule}")
        lines.append(f"  {c.message}")
        for k, v in c.evidence.items():
            lines.append(f"  {k}: {v}")
        pages = saved_pages(c.outlet_id, c.rule) if c.outlet_id != "scheduler" else []
        if pages:
            lines.append(f"  saved page: {pages[0]} (make it a test fixture)")
        lines.append("")
    for c in recovered:
        lines.append(f"RECOVERED  {c.outlet_id} / {c.rule}")
        lines.append(f"  {c.message}")
        lines.append("")
    lines.append("`newswatch status` shows every outlet; a problem is mailed at most once a day.")
    return "\n".join(lines) + "\n"


def subject(failing: Sequence[Check], recovered: Sequence[Check]) -> str:
    parts = []
    if failing:
        outlets = sorted({c.outlet_id for c in failing})
        parts.append(f"{len(failing)} health problem(s): {', '.join(outlets[:4])}{' …' if len(outlets) > 4 else ''}")
    if recovered:
        parts.append(f"{len(recovered)} recovered")
    return "[newswatch] " + "; ".join(parts)


def compose(maintainers: Sequence[Maintainer], failing: Sequence[Check], recovered: Sequence[Check],
            now: datetime, transport: Transport) -> EmailMessage:
    """The maintainers' health notice (plain text), with a Message-ID stable for its content and day."""
    keys = "\n".join(sorted(f"{c.status}|{c.outlet_id}|{c.rule}" for c in [*failing, *recovered]))
    digest = hashlib.sha256(f"{_day(now)}\n{keys}".encode()).hexdigest()[:24]
    envelope = Envelope(from_address=transport.from_address, reply_to=transport.reply_to,
                        message_id=f"<health-{digest}@newswatch>")
    return maintainer_message(maintainers, subject(failing, recovered), render_text(failing, recovered, now),
                              now=now, envelope=envelope)


def notify(db: Any, checks: Sequence[Check], now: datetime, *, maintainers: Sequence[Maintainer],
           transport: Transport, sentry: bool = True) -> NotifyReport:
    """Mail the maintainers what changed, report new problems to Sentry, and remember it."""
    with db.session() as s:
        failing, recovered = plan(s, checks, now)
    report = NotifyReport(failing, recovered)
    if not (failing or recovered):
        return report
    if maintainers:
        to = [m.address for m in maintainers]
        try:
            transport.send(compose(maintainers, failing, recovered, now, transport), to)
        except DeliveryError as exc:
            report.error = exc.message
            log.warning("health notice not sent (%s); it is tried again at the next check", exc.message)
            return report
        report.mailed_to = to
    else:
        log.warning("%d health problem(s) and no [[maintainer]] in the recipients file to tell", len(failing))
    if sentry:
        report.sentry_events = sum(1 for c in failing if report_violation(c))
    with db.session() as s:
        record(s, failing, recovered, now)
    return report
