"""Alerts: the recipients file, planning outbox rows, composing mail, delivering it.

`plan` decides which alert rows a match writes (in the ingest transaction), `followups` which
rows an outlet joining an already mailed story writes (shown in the next digest); `sender.drain`
sends what is due, one mail per recipient, through `transport` (SMTP, or the outbox directory
when no SMTP host is set).
"""

from __future__ import annotations

from crawler.alert.compose import StoryView, compose_digest
from crawler.alert.outbox import OutboxSummary, summarize
from crawler.alert.plan import AlertPlan, alert_max_age_hours, enqueue, plan_alerts, plan_for_match
from crawler.alert.recipients import (
    Maintainer,
    Recipient,
    Recipients,
    RecipientsError,
    load_recipients,
)
from crawler.alert.sender import SendReport, drain
from crawler.alert.transport import (
    DeliveryError,
    OutboxTransport,
    SmtpSettings,
    SmtpTransport,
    transport_from_env,
)

__all__ = [
    "AlertPlan",
    "DeliveryError",
    "Maintainer",
    "OutboxSummary",
    "OutboxTransport",
    "Recipient",
    "Recipients",
    "RecipientsError",
    "SendReport",
    "SmtpSettings",
    "SmtpTransport",
    "StoryView",
    "alert_max_age_hours",
    "compose_digest",
    "drain",
    "enqueue",
    "load_recipients",
    "plan_alerts",
    "plan_for_match",
    "summarize",
    "transport_from_env",
]
