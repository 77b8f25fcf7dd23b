"""Sentry: `init_sentry` from SENTRY_DSN, the `SentryErrors` Scrapy extension, health violations.

Nothing is sent without a DSN. Events go out on sentry-sdk's background thread with short
socket timeouts and a short `shutdown_timeout`, so a Sentry that is down or slow never delays
a crawl by more than that at exit. Errors carry an `outlet` tag and a fingerprint per outlet
(and rule), so one broken outlet is one Sentry issue, not one per URL.
"""

from __future__ import annotations

import logging
from typing import Any

import sentry_sdk
from scrapy import signals
from scrapy.exceptions import NotConfigured
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


class SentryErrors:
    """Reports spider callback and pipeline errors to Sentry with the outlet as tag and fingerprint."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    @classmethod
    def from_crawler(cls, crawler: Any) -> SentryErrors:
        dsn = (crawler.settings.get("SENTRY_DSN") or dsn_from_env()).strip()
        if not dsn:
            # a bare NotConfigured: Scrapy logs a message-carrying one at WARNING, and cron
            # (`crawl -q`) would then mail every run
            logging.getLogger(__name__).info("SENTRY_DSN is not set; errors are only logged")
            raise NotConfigured
        init_sentry("crawl", dsn)
        ext = cls(dsn)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_error(self, failure: Any, response: Any, spider: Any) -> None:
        outlet = _meta_outlet(response)
        capture_outlet_error(failure.value, outlet, "spider", getattr(response, "url", None))

    def item_error(self, item: Any, response: Any, spider: Any, failure: Any) -> None:
        outlet = getattr(item, "outlet_id", None) or _meta_outlet(response)
        capture_outlet_error(failure.value, outlet, "pipeline", getattr(item, "url", None))

    def spider_closed(self, spider: Any, reason: str) -> None:
        sentry_sdk.flush(timeout=SHUTDOWN_TIMEOUT)


def _meta_outlet(response: Any) -> str:
    try:
        return str(response.meta.get("outlet") or "?")
    except (AttributeError, ValueError):  # a response without a request has no meta
        return "?"
