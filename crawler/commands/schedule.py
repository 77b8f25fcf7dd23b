"""`newswatch schedule`: the argparse wiring (crawler/cli.py calls `register(subparsers)`)."""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace
from typing import Any

from crawler.errors import EXIT_CONFIG

DESCRIPTION = (
    "Run the scheduler daemon (APScheduler, Asia/Seoul): a crawl tick every NEWSWATCH_SCHEDULE_TICK "
    "(default: the shortest outlet interval) inside NEWSWATCH_SCHEDULE_WINDOW (default 06:00-23:00), "
    "a job per outlet cron expression, the outbox sender, a heartbeat and the health check. Jobs are kept "
    "in the database; one scheduler per database (a lock). SIGTERM/SIGINT stop it cleanly; SIGHUP (or a "
    "changed file) re-reads the registry and recipients. Exit: 0 stopped, 2 configuration, 3 already running."
)


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `schedule` subcommand to the CLI's subparsers."""
    p = subparsers.add_parser("schedule", help="the scheduler daemon (crawl ticks, outbox, heartbeat, health)",
                              description=DESCRIPTION)
    p.add_argument("--tick", metavar="DURATION",
                   help="crawl tick interval, e.g. 10m (overrides NEWSWATCH_SCHEDULE_TICK)")
    p.add_argument("--window", metavar="HH:MM-HH:MM",
                   help="Seoul hours for interval ticks, or 'always' (overrides NEWSWATCH_SCHEDULE_WINDOW)")
    p.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    p.set_defaults(func=cmd_schedule)
    return p


def cmd_schedule(args: argparse.Namespace) -> int:
    from crawler.errors import ConfigError
    from crawler.schedule.config import ScheduleConfig, parse_duration, parse_window
    from crawler.schedule.daemon import run_scheduler

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING if not args.verbose else logging.DEBUG)
    try:
        config = ScheduleConfig.from_env()
        if args.tick:
            config = replace(config, tick=parse_duration(args.tick, "--tick"))
        if args.window is not None:
            config = replace(config, window=parse_window(args.window, "--window"))
    except ConfigError as exc:  # a bad NEWSWATCH_SCHEDULE_* value or flag
        logging.getLogger("newswatch.schedule").error("%s", exc)
        return EXIT_CONFIG
    return run_scheduler(config)
