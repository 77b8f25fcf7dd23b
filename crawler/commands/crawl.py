"""`newswatch crawl`: its arguments, what a run crawls, and its exit status.

The same steps serve a one-shot `newswatch crawl` (cron, a shell) and the crawl process the
scheduler keeps between ticks (`crawler.commands.crawlserve`), so both refuse the same input with
the same words and end with the same status.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from typing import Any

from crawler.commands import die, parse_since, scrapy_setting


def register(sub: Any) -> None:
    c = sub.add_parser("crawl", help="crawl the due outlets (or the named ones, or --all) in one process",
                       description="Crawl outlets once: feeds, then lists, then the articles not stored yet. "
                                   "Without arguments, only the outlets whose interval or cron is due.")
    add_arguments(c)
    c.add_argument("--json", action="store_true", help="print the per-outlet summary as one JSON object")
    c.set_defaults(func=cmd_crawl)


def add_arguments(c: argparse.ArgumentParser) -> None:
    """The options of one crawl (also what the scheduler's kept crawl process reads per tick)."""
    c.add_argument("outlets", nargs="*", metavar="OUTLET", help="outlet ids from the registry")
    c.add_argument("--all", action="store_true", help="crawl every outlet in the registry now")
    c.add_argument("--since", type=parse_since, metavar="DATE",
                   help="backfill: page through lists back to DATE (YYYY-MM-DD)")
    c.add_argument("--seed", action="store_true",
                   help="store and match without alerting (a new deployment or a newly added outlet)")
    c.add_argument("--recrawl", action="store_true", help="fetch articles again even if already stored")
    c.add_argument("-s", "--set", type=scrapy_setting, action="append", metavar="KEY=VALUE",
                   help="override a Scrapy setting for this run")
    c.add_argument("-q", "--quiet", action="store_true", help="print nothing unless something failed (cron)")


@dataclass
class Planned:
    """What one crawl takes: the outlets and the Scrapy settings of this run; or why it stops."""

    outlets: list[str] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)
    refused: str = ""  # a one-line reason: nothing is crawled (exit status EXIT_CONFIG)


def plan(args: argparse.Namespace) -> Planned:
    """Check the run's input and choose its outlets (the named ones, --all, or the due ones)."""
    # start-up time: Scrapy and SQLAlchemy load only for a crawl
    from crawler.crawl.cpu import workers_from_env
    from crawler.crawl.runner import due_outlets
    from crawler.registry import load_registry
    from crawler.schedule.config import ScheduleConfigError
    from crawler.store import Database

    try:
        workers_from_env()
    except ValueError as exc:
        return Planned(refused=str(exc))
    registry = load_registry().by_id()
    unknown = [o for o in args.outlets if o not in registry]
    if unknown:
        return Planned(refused=f"unknown outlet(s): {', '.join(unknown)}; `newswatch outlets` lists the registry")
    db = Database.open()  # before anything is fetched: a database that is down stops the run here
    try:
        if args.outlets:
            chosen = list(args.outlets)
        elif args.all:
            chosen = list(registry)
        else:
            try:
                chosen = [o.id for o in due_outlets(db, registry.values())]
            except ScheduleConfigError as exc:  # a bad NEWSWATCH_SCHEDULE_CADENCE/BUDGET/… value
                return Planned(refused=str(exc))
    finally:
        db.close()
    overrides: dict[str, Any] = dict(args.set or [])
    overrides.update({"NEWSWATCH_SEED": args.seed, "NEWSWATCH_RECRAWL": args.recrawl})
    if args.since:
        overrides["NEWSWATCH_SINCE"] = args.since
    if args.quiet:
        overrides.setdefault("LOG_LEVEL", "WARNING")
    return Planned(chosen, overrides)


def exit_status(summary: Any) -> int:
    """Non-zero when an outlet failed, so cron (quiet on success) mails the summary."""
    return 0 if summary.finish_reason == "finished" and not summary.totals["errors"] else 1


def cmd_crawl(args: argparse.Namespace) -> int:
    from crawler.crawl.runner import run_crawl  # start-up time: Scrapy loads only for a crawl

    planned = plan(args)
    if planned.refused:
        return die(planned.refused)
    if not planned.outlets:
        if getattr(args, "json", False):  # callers may build the Namespace by hand
            print(json.dumps({"finish_reason": "nothing due", "totals": {}, "outlets": {}}))
        elif not args.quiet:
            print("no outlet is due; `newswatch crawl --all` crawls every outlet now")
        return 0
    summary = run_crawl(planned.outlets, planned.overrides)
    if getattr(args, "json", False):  # callers may build the Namespace by hand
        print(json.dumps({"finish_reason": summary.finish_reason, "totals": summary.totals,
                          "outlets": summary.per_outlet}, ensure_ascii=False, default=str))
    elif not args.quiet or summary.totals["errors"]:
        print_summary(summary)
    return exit_status(summary)


def print_summary(summary: Any) -> None:
    """The per-outlet table (a terminal's width, or wide enough in a pipe that no cell is cut)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="crawl", show_lines=False)
    for col in ("outlet", "requests", "new", "updated", "matches", "errors", "dropped"):
        table.add_column(col, justify="left" if col in ("outlet", "dropped") else "right")
    for oid, row in summary.per_outlet.items():
        dropped = ", ".join(f"{k} {v}" for k, v in sorted(row["dropped"].items()))
        table.add_row(oid, str(row["requests"]), str(row["new"]), str(row["updated"]),
                      str(row["matches"]), str(row["errors"]), dropped)
    console = Console()
    (console if console.is_terminal else Console(width=400, soft_wrap=True)).print(table)
