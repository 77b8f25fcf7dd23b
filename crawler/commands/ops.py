"""The operations subcommands: rematch, export, label, prune, backup, restore.

`register(subparsers)` adds them to the `newswatch` parser; each sets `func`. Exit codes: 0 done,
2 bad input or configuration (the message says what to fix; nothing was changed).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from crawler.errors import EXIT_CONFIG, USER_ERRORS
from crawler.ops.common import OpsError, date_arg

Handler = Callable[[argparse.Namespace], int]


def _guarded(name: str, func: Handler) -> Handler:
    """Run a command; a known bad-input error becomes one line on stderr and exit 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except USER_ERRORS as exc:
            sys.stderr.write(f"newswatch {name}: {exc}\n")
            return EXIT_CONFIG

    return run


# --- rematch -------------------------------------------------------------------------------------

def cmd_rematch(args: argparse.Namespace) -> int:
    from crawler.ops.common import watchlist_for
    from crawler.ops.rematch import rematch
    from crawler.store import Database

    watchlist = watchlist_for(args.watchlist)  # a broken watchlist stops here: nothing changed
    recipients = None
    if not args.quiet:
        from crawler.alert.recipients import load_recipients

        recipients = load_recipients()
    db = Database.open()
    try:
        report = rematch(db, watchlist, since=args.since, dry_run=args.dry_run, quiet=args.quiet,
                         recipients=recipients)
    finally:
        db.close()
    _print_rematch(report)
    return 0


def _print_rematch(report) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 200)
    if report.changes:
        table = Table(title=f"rematch {report.watchlist_id}" + (" (dry run: nothing stored)" if report.dry_run else ""))
        for col in ("change", "article", "story", "outlet", "before", "after", "alerts", "note", "title"):
            table.add_column(col, justify="right" if col in ("article", "story", "before", "after", "alerts") else "left")
        for c in report.changes:
            table.add_row("starts" if c.kind == "start" else "stops", str(c.article_id), str(c.story_id or ""),
                          c.outlet_id, "" if c.before is None else f"{c.before:.2f}", f"{c.after:.2f}",
                          str(c.alerts), c.note, c.title)
        console.print(table)
    verb = "would change" if report.dry_run else "changed"
    console.print(
        f"{report.scanned} articles matched again; {len(report.started)} start matching, "
        f"{len(report.stopped)} stop, {report.still_matching} still match; {verb} "
        f"{report.updated if not report.dry_run else len(report.changes)} match rows; "
        f"{report.alerts} alerts enqueued"
        + (" (quiet: no alerts)" if report.quiet else "")
        + (f"; {report.pruned} articles skipped (body pruned)" if report.pruned else ""),
        highlight=False, soft_wrap=True,
    )


# --- export --------------------------------------------------------------------------------------

def cmd_export(args: argparse.Namespace) -> int:
    from crawler.ops.common import watchlist_for
    from crawler.ops.export import build_report, check_range, default_path, write_report
    from crawler.store import Database

    check_range(args.since, args.until)
    watchlist_for(args.watchlist)
    db = Database.open()
    try:
        report = build_report(db, args.watchlist, args.since, args.until)
    finally:
        db.close()
    out = Path(args.out) if args.out else default_path(args.watchlist, args.since, args.until, args.format)
    write_report(report, args.format, out)
    if report.rows:
        print(f"wrote {out}: {len(report.rows)} stories for {args.watchlist}, {args.since} to {args.until} (Seoul)")
    else:
        print(f"no stories matched {args.watchlist} between {args.since} and {args.until} (Seoul); "
              f"wrote {out} with the headers only")
    return 0


# --- label ---------------------------------------------------------------------------------------

def cmd_label(args: argparse.Namespace) -> int:
    from crawler import paths
    from crawler.alert.mutes import unmute
    from crawler.ops import feedback
    from crawler.store import Database

    if args.export:
        if args.story is not None or args.verdict or args.mute_outlet or args.unmute_outlet:
            raise OpsError("--export writes the labels out; give it alone (with --watchlist to pick one)")
        return _export_labels(args)
    if not args.watchlist:
        raise OpsError("give --watchlist ID")
    if not (paths.watchlists_dir() / f"{args.watchlist}.toml").exists():
        raise OpsError(f"no watchlist {args.watchlist!r} in {paths.watchlists_dir()} (set NEWSWATCH_WATCHLISTS_DIR)")
    if args.unmute_outlet:
        db = Database.open()
        try:
            with db.session() as s:
                lifted = unmute(s, args.watchlist, args.unmute_outlet)
        finally:
            db.close()
        print(f"{args.unmute_outlet} {'unmuted' if lifted else 'was not muted'} for {args.watchlist}")
        return 0
    if args.story is None or not (args.verdict or args.mute_outlet):
        raise OpsError("give --story N and --relevant or --irrelevant (and/or --mute-outlet OUTLET)")
    who = args.by or f"cli:{getpass.getuser()}"
    db = Database.open()
    try:
        with db.session() as s:
            outcomes = []
            if args.verdict:
                outcomes.append(feedback.record_label(s, watchlist_id=args.watchlist, story_id=args.story,
                                                      verdict=args.verdict, recipient=who, source="cli"))
            if args.mute_outlet:
                outcomes.append(feedback.record_label(s, watchlist_id=args.watchlist, story_id=args.story,
                                                      verdict="mute-outlet", recipient=who, source="cli",
                                                      outlet_id=args.mute_outlet))
    finally:
        db.close()
    for o in outcomes:
        if o.verdict == "mute-outlet":
            print(f"muted {o.muted} for {args.watchlist}: its articles are still stored and matched, never mailed")
        else:
            print(f"story {o.story_id} labelled {o.verdict} for {args.watchlist} (label {o.label_id})")
    if outcomes and outcomes[0].pruned:
        print("note: this story's text was pruned; the label is stored but `label --export` skips it",
              file=sys.stderr)
    return 0


def _export_labels(args: argparse.Namespace) -> int:
    from crawler.ops.feedback import export_labels
    from crawler.store import Database

    db = Database.open()
    try:
        with db.sessions() as s:
            if args.export == "-":
                written, skipped = export_labels(s, sys.stdout, args.watchlist)
            else:
                out = Path(args.export)
                out.parent.mkdir(parents=True, exist_ok=True)
                with out.open("w", encoding="utf-8") as fh:
                    written, skipped = export_labels(s, fh, args.watchlist)
    finally:
        db.close()
    msg = f"wrote {written} labelled stories to {args.export}"
    if skipped:
        msg += f"; skipped {skipped} whose text was pruned"
    print(msg, file=sys.stderr)
    return 0


# --- prune ---------------------------------------------------------------------------------------

def cmd_prune(args: argparse.Namespace) -> int:
    from crawler.ops.common import seoul_text
    from crawler.ops.prune import parse_age, prune
    from crawler.store import Database

    age = parse_age(args.older_than)
    db = Database.open()
    try:
        report = prune(db, age, dry_run=args.dry_run)
    finally:
        db.close()
    verb = "would drop" if report.dry_run else "dropped"
    print(f"{verb} the bodies of {report.articles} articles ({report.versions} versions) first seen before "
          f"{seoul_text(report.cutoff)} (Seoul) that nothing matched or labelled; kept {report.kept} matched or "
          f"labelled; {report.already} were pruned before. URLs, stories and matches are kept.")
    return 0


# --- backup / restore ----------------------------------------------------------------------------

def cmd_backup(args: argparse.Namespace) -> int:
    from crawler.ops.backup import backup

    result = backup(Path(args.file))
    print(f"backed up the {result.backend} store to {result.path} ({result.size} bytes)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from crawler.ops.backup import restore
    from crawler.store import Database

    result = restore(Path(args.file))
    Database.open().close()  # an older backup is brought to the current schema
    saved = f"; the database as it was is saved in {result.safety_copy}" if result.safety_copy else ""
    print(f"restored the {result.backend} store from {result.path}{saved}")
    return 0


# --- parser --------------------------------------------------------------------------------------

def register(sub: argparse._SubParsersAction) -> None:
    """Add rematch, export, label, prune, backup and restore to the `newswatch` parser."""
    r = sub.add_parser("rematch", help="match stored articles again after a watchlist changed",
                       description="Shows which stored articles start or stop matching; stores the new "
                                   "verdicts; alerts only new matches younger than NEWSWATCH_ALERT_MAX_AGE_HOURS.")
    r.add_argument("--watchlist", required=True, metavar="ID")
    r.add_argument("--since", type=date_arg, metavar="DATE", help="only articles published since DATE (YYYY-MM-DD, Seoul)")
    r.add_argument("--dry-run", action="store_true", help="show the changes; store and send nothing")
    r.add_argument("--quiet", action="store_true", help="store the new verdicts but enqueue no alerts")
    r.set_defaults(func=_guarded("rematch", cmd_rematch))

    e = sub.add_parser("export", help="the weekly report: one row per matched story (csv, xlsx or html)",
                       description="Stories first seen from --since to --until (Seoul days, both included).")
    e.add_argument("--watchlist", required=True, metavar="ID")
    e.add_argument("--since", required=True, type=date_arg, metavar="DATE")
    e.add_argument("--until", required=True, type=date_arg, metavar="DATE")
    e.add_argument("--format", required=True, choices=["csv", "xlsx", "html"])
    e.add_argument("--out", metavar="FILE", help="default: $NEWSWATCH_HOME/artifacts/report-<id>-<since>_<until>.<fmt>")
    e.set_defaults(func=_guarded("export", cmd_export))

    lb = sub.add_parser("label", help="say whether a story was relevant; mute an outlet; export labels",
                        description="Labels feed `newswatch watchlist test` (label --export FILE.jsonl).")
    lb.add_argument("--watchlist", metavar="ID")
    lb.add_argument("--story", type=int, metavar="N")
    verdict = lb.add_mutually_exclusive_group()
    verdict.add_argument("--relevant", dest="verdict", action="store_const", const="relevant")
    verdict.add_argument("--irrelevant", dest="verdict", action="store_const", const="irrelevant")
    lb.add_argument("--mute-outlet", metavar="OUTLET", help="never mail this outlet's articles for the watchlist")
    lb.add_argument("--unmute-outlet", metavar="OUTLET", help="lift a mute")
    lb.add_argument("--by", metavar="ADDRESS", help="who labels (default cli:<user>)")
    lb.add_argument("--export", metavar="FILE.jsonl", help='write {"id","title","body","label"} lines (- for stdout)')
    lb.set_defaults(func=_guarded("label", cmd_label))

    p = sub.add_parser("prune", help="drop the bodies of old unmatched articles (URLs, stories, matches kept)")
    p.add_argument("--older-than", required=True, metavar="AGE", help="e.g. 365d, 52w, 1y (at least 30d)")
    p.add_argument("--dry-run", action="store_true", help="count only")
    p.set_defaults(func=_guarded("prune", cmd_prune))

    b = sub.add_parser("backup", help="back up the store (SQLite online backup, or pg_dump -Fc)")
    b.add_argument("file", metavar="FILE")
    b.set_defaults(func=_guarded("backup", cmd_backup))

    rs = sub.add_parser("restore", help="restore the store from a backup (the current one is saved first)")
    rs.add_argument("file", metavar="FILE")
    rs.set_defaults(func=_guarded("restore", cmd_restore))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one operations subcommand (the tests' entry point; `newswatch` does the same)."""
    parser = argparse.ArgumentParser(prog="newswatch")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
