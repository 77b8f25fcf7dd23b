"""Sentry: `init_sentry` from SENTRY_DSN, outlet errors and health violations (the crawl's Scrapy
extension is crawler.crawl.extensions.SentryErrors).

Nothing is sent without a DSN. Events go out on sentry-sdk's background thread with short
socket timeouts and a short `shutdown_timeout`, so a Sentry that is down or slow never delays
a crawl by more than that at exit. Errors carry an `outlet` tag and a fingerprint per outlet
(and rule), so one broken outlet is one Sentry issue, not one per URL.
"""

from __future__ import annotations

import logging

import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.transport import HttpTransport

from crawler.config import settings
from crawler.monitor.rules import Check

SHUTDOWN_TIMEOUT = 2.0  # seconds a process may wait at exit for queued events
SEND_TIMEOUT = 5  # seconds per HTTP request to Sentry, on the background thread


class QuickTransport(HttpTransport):
    """sentry-sdk's HTTP transport with a short socket timeout (its default is 30 s)."""

    TIMEOUT = SEND_TIMEOUT


def dsn_from_env() -> str:
    return settings().sentry_dsn.get_secret_value()


def init_sentry(component: str, dsn: str | None = None) -> bool:
    """Start sentry-sdk for a process (crawl, scheduler, sender, health); False without a DSN."""
    dsn = (dsn if dsn is not None else dsn_from_env()).strip()
    if not dsn:
        return False
    if sentry_sdk.get_client().is_active():
        sentry_sdk.get_global_scope().set_tag("component", component)
        return True
    sentry_sdk.init(
        dsn=dsn,
        transport=QuickTransport,
        shutdown_timeout=SHUTDOWN_TIMEOUT,
        auto_enabling_integrations=False,  # start fast; nothing here needs framework hooks
        # log records become breadcrumbs only: request failures are health (error ratio), not
        # bugs, and the extension below reports real errors with outlet tags and fingerprints
        integrations=[LoggingIntegration(level=logging.INFO, event_level=None)],
        environment=settings().sentry_environment or None,
        release=settings().sentry_release or None,
    )
    sentry_sdk.get_global_scope().set_tag("component", component)
    return True


def capture_outlet_error(exc: BaseException, outlet_id: str, where: str, url: str | None = None) -> str | None:
    """Report one exception with an outlet tag and the fingerprint [where, outlet, exception type]."""
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("outlet", outlet_id)
        scope.set_tag("where", where)
        if url:
            scope.set_context("request", {"url": url})
        scope.fingerprint = [where, outlet_id, type(exc).__name__]
        return sentry_sdk.capture_exception(exc)


def report_violation(check: Check) -> str | None:
    """A failing health rule as a Sentry message, fingerprint [outlet, rule]."""
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("outlet", check.outlet_id)
        scope.set_tag("rule", check.rule)
        scope.set_context("health", {"value": check.value, "threshold": check.threshold,
                                     "operator": check.operator, **check.evidence})
        scope.fingerprint = [check.outlet_id, check.rule]
        return sentry_sdk.capture_message(f"{check.outlet_id}: {check.rule}: {check.message}", level="warning")


