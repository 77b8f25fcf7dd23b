"""`newswatch releases add FILE.txt|FILE.html|URL [--title T] [--date D]` and
`newswatch releases report [--since DATE]`."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, time

from crawler.clock import SEOUL as _SEOUL


def cmd_add(args: argparse.Namespace) -> int:
    from crawler.releases import ReleaseError, add_release, read_release
    from crawler.store import Database

    try:
        rel = read_release(args.source, title=args.title, date=args.date)
    except ReleaseError as exc:
        sys.stderr.write(f"newswatch: release refused: {exc}\n")
        return 1
    db = Database.open()
    try:
        with db.session() as session:
            added = add_release(session, rel)
    finally:
        db.close()
    when = added.released_at.astimezone(_SEOUL).strftime("%Y-%m-%d %H:%M")
    if added.created:
        print(f"release #{added.release_id} added: {added.title} ({when} KST)")
    else:
        print(f"already registered as release #{added.release_id}: {added.title} ({when} KST); nothing added")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from crawler.releases import render_report, report
    from crawler.store import Database

    since = datetime.combine(args.since, time(), tzinfo=_SEOUL) if args.since else None
    db = Database.open()
    try:
        with db.session() as session:
            sys.stdout.write(render_report(report(session, since)))
    finally:
        db.close()
    return 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD") from None


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("releases", help="the office's press releases and which outlets carried them")
    rsub = r.add_subparsers(dest="action", required=True)
    a = rsub.add_parser("add", help="register a release (.txt: headline on the first line; .html; or a URL)")
    a.add_argument("source", metavar="FILE.txt|FILE.html|URL")
    a.add_argument("--title", help="the headline (default: the file's first line / the page's title)")
    a.add_argument("--date", help="when it was released, YYYY-MM-DD or ISO 8601 (default: now)")
    a.set_defaults(func=cmd_add)
    rp = rsub.add_parser("report", help="per release: outlets that carried it, when, verbatim or rewritten")
    rp.add_argument("--since", type=_date, help="releases from this date (YYYY-MM-DD, Korea time)")
    rp.set_defaults(func=cmd_report)
