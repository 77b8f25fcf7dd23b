"""The subcommands of `newswatch`, one module per area; `crawler.cli` builds the parser from them.

Each command imports what it runs inside its function: `newswatch --help` and a command of one
area do not pay for loading Scrapy, SQLAlchemy and Jinja (start-up time, about 1.5 s).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime

from crawler.errors import EXIT_CONFIG


def die(message: str) -> int:
    sys.stderr.write(f"newswatch: {message}\n")
    return EXIT_CONFIG


def parse_since(text: str) -> str:
    try:
        d = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD") from None
    if d < date(2000, 1, 1):
        raise argparse.ArgumentTypeError(f"{text} is before 2000; no outlet archive reaches that far")
    if d > datetime.now(UTC).date():
        raise argparse.ArgumentTypeError(f"{text} is in the future; give a past date to backfill from")
    return d.isoformat()


def scrapy_setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError("write a Scrapy setting as KEY=VALUE")
    return key, value
