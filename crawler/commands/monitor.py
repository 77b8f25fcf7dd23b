"""`newswatch status [--json]` and `newswatch health [--notify] [--json]` (crawler.monitor.checks)."""

from __future__ import annotations

from typing import Any


def register(subparsers: Any) -> None:
    """Add the `status` and `health` subcommands to the `newswatch` parser."""
    st = subparsers.add_parser(
        "status", help="outlet health, outbox and scheduler heartbeat; exit 1 when something needs a person",
        description="A table per outlet (last run, last new article, 7-day volume, health), the outbox and "
                    "the scheduler heartbeat. Exits 1 when a rule fails, alerts failed or the scheduler is stale.")
    st.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    st.set_defaults(func=_status)
    he = subparsers.add_parser(
        "health", help="evaluate the health rules; --notify mails the maintainers and reports to Sentry",
        description="Evaluate every outlet's health rules and the scheduler heartbeat. With --notify, mail the "
                    "maintainers (at most once per outlet and rule a day, recoveries too) and report to Sentry.")
    he.add_argument("--notify", action="store_true", help="mail the maintainers and report to Sentry")
    he.add_argument("--json", action="store_true", help="print the failing checks as JSON")
    he.set_defaults(func=_health)


def _status(args: Any) -> int:
    from crawler.monitor.checks import status_command

    return status_command(as_json=args.json)


def _health(args: Any) -> int:
    from crawler.monitor.checks import health_command

    return health_command(notify=args.notify, as_json=args.json)
