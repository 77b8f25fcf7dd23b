"""`status` and `health` as the commands and the scheduler's health job run them: load the
registry and the store, evaluate, print, and with notify tell the maintainers and Sentry.

Exit codes: 0 all is well, 1 something needs a person (a failing rule, failed or stuck
alerts, a stale scheduler), 2 a configuration problem (the message names the fix).
"""

from __future__ import annotations

import io
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from rich.console import Console

from crawler.alert.recipients import RecipientsError, load_recipients
from crawler.alert.transport import transport_from_env
from crawler.errors import EXIT_CONFIG, EXIT_NEEDS_A_PERSON, EXIT_OK
from crawler.monitor.health import heartbeat_status, outlet_health
from crawler.monitor.notify import notify
from crawler.monitor.sentry import SHUTDOWN_TIMEOUT, init_sentry
from crawler.monitor.status import collect, render, to_json
from crawler.registry import RegistryError, load_registry
from crawler.store import Database, StoreUnavailable


def status_command(*, as_json: bool = False, out: TextIO | None = None, err: TextIO | None = None,
                   now: datetime | None = None) -> int:
    """Print the status; non-zero when something needs a person."""
    out, err = out or sys.stdout, err or sys.stderr
    loaded = _load(err)
    if loaded is None:
        return EXIT_CONFIG
    db, registry = loaded
    try:
        report = collect(db, registry, now or datetime.now(UTC))
    finally:
        db.close()
    if as_json:
        print(json.dumps(to_json(report), ensure_ascii=False, indent=1), file=out)
    else:
        render(report, Console(file=out, width=140, highlight=False))
    return EXIT_NEEDS_A_PERSON if report.needs_a_person else EXIT_OK


def health_command(*, notify: bool = False, as_json: bool = False, out: TextIO | None = None,
                   err: TextIO | None = None, now: datetime | None = None) -> int:
    """Evaluate the rules (and the heartbeat); with notify, tell the maintainers and Sentry."""
    out, err = out or sys.stdout, err or sys.stderr
    now = now or datetime.now(UTC)
    loaded = _load(err)
    if loaded is None:
        return EXIT_CONFIG
    db, registry = loaded
    try:
        with db.session() as s:
            checks = [c for o in outlet_health(s, registry, now) for c in o.checks]
            checks.append(heartbeat_status(s, registry.values(), now).check())
        failing = [c for c in checks if c.failed]
        if as_json:
            print(json.dumps([{"outlet": c.outlet_id, "rule": c.rule, "value": c.value, "threshold": c.threshold,
                               "operator": c.operator, "message": c.message, "evidence": c.evidence}
                              for c in failing], ensure_ascii=False), file=out)
        else:
            for c in failing:
                print(f"FAIL {c.outlet_id} {c.rule}: {c.message}", file=out)
            print(f"{len(failing)} failing check(s) of {len(checks)}", file=out)
        if notify:
            code = _notify(db, checks, now, out, err)
            if code:
                return code
    finally:
        db.close()
    return EXIT_NEEDS_A_PERSON if failing else EXIT_OK


def _notify(db: Any, checks: list[Any], now: datetime, out: TextIO, err: TextIO) -> int:
    try:
        recipients = load_recipients()
        transport = transport_from_env()
    except (RecipientsError, ValueError) as exc:
        print(f"newswatch health: {exc}", file=err)
        return EXIT_CONFIG
    sentry = init_sentry("health")
    report = notify(db, checks, now, maintainers=recipients.maintainers, transport=transport, sentry=sentry)
    if sentry:
        import sentry_sdk  # start-up time: loaded only when Sentry is configured

        sentry_sdk.flush(timeout=SHUTDOWN_TIMEOUT)
    print(report.render(), file=out)
    return 0


def _load(err: TextIO) -> tuple[Any, dict[str, Any]] | None:
    try:
        registry = load_registry().by_id()
        db = Database.open()
    except (RegistryError, StoreUnavailable) as exc:
        print(f"newswatch: {exc}", file=err)
        return None
    return db, registry




def scheduled_check() -> int:
    """The scheduler's health job: evaluate the rules and tell the maintainers (output to the log)."""
    out = io.StringIO()
    code = health_command(notify=True, out=out, err=out)
    logging.getLogger("newswatch.health").info(out.getvalue().strip())
    return code
