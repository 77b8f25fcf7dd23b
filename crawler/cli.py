"""The `newswatch` command line: the parser, the core commands, one-line errors and exit codes.

Each command imports what it runs inside its function, as crawler/commands/ does: `newswatch --help`
and a command of one area start without loading Scrapy, SQLAlchemy and Jinja (start-up time).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from crawler.commands import die as _die
from crawler.commands import parse_since as _parse_since
from crawler.errors import USER_ERRORS


def _console() -> Any:
    """A rich console; in a pipe or a file, wide enough that no cell is cut."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=400, soft_wrap=True)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newswatch")
    except PackageNotFoundError:  # a checkout without `pip install -e .`
        return "unknown (not installed)"


# --- send / digest --------------------------------------------------------------------------------

def cmd_send(args: argparse.Namespace) -> int:
    from crawler.commands.alert import send_command
    from crawler.monitor.sentry import init_sentry

    init_sentry("sender")
    retry, since_text = getattr(args, "retry_failed", False), getattr(args, "since", None)
    since = datetime.fromisoformat(since_text).replace(tzinfo=UTC) if since_text else None
    if since is not None and not retry:
        return _die("--since goes with --retry-failed (which failed alerts to put back)")
    return send_command(digest=args.digest, dry_run=args.dry_run, as_json=getattr(args, "json", False),
                        retry_failed=retry, since=since)


def cmd_digest(args: argparse.Namespace) -> int:
    from crawler.commands.alert import digest_preview_command

    return digest_preview_command(Path(args.preview))


# --- JSON-lines tools -----------------------------------------------------------------------------

def cmd_classify(args: argparse.Namespace) -> int:
    from crawler import paths
    from crawler.jsonl import map_lines, open_input
    from crawler.match import Matcher, classify_line, load_watchlist

    path = paths.watchlists_dir() / f"{args.watchlist}.toml"
    if not path.exists():
        return _die(f"no watchlist {args.watchlist!r} in {paths.watchlists_dir()} (set NEWSWATCH_WATCHLISTS_DIR)")
    matcher = Matcher(load_watchlist(path))
    with open_input(args.file) as inp:
        if args.explain or args.explain_json:
            from crawler.match.explain import explain_lines

            return explain_lines(matcher, inp, sys.stdout, sys.stderr, as_json=args.explain_json)
        return map_lines(inp, sys.stdout, sys.stderr, lambda obj: classify_line(matcher, obj))


def cmd_cluster(args: argparse.Namespace) -> int:
    from crawler.dedupe.cluster import cluster_jsonl
    from crawler.jsonl import open_input

    with open_input(args.file) as inp:
        return cluster_jsonl(inp, sys.stdout, sys.stderr, explain=args.explain)


def cmd_extract(args: argparse.Namespace) -> int:
    import gzip

    from crawler.families import extract

    raw = Path(args.file).read_bytes() if args.file != "-" else sys.stdin.buffer.read()
    if args.file.endswith(".gz") or raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    result = extract(raw, args.url, family=args.family)
    print(json.dumps(result.to_json(), ensure_ascii=False, indent=None))
    return 0


# --- outlets ---------------------------------------------------------------------------------------

def cmd_outlets(args: argparse.Namespace) -> int:
    from rich.table import Table

    from crawler.families import registry_warnings
    from crawler.registry import load_registry

    if args.action == "detect":
        return _detect(args.target, args.url)
    if args.action == "check":
        from crawler.crawl.check import run_check

        return run_check([t for t in (args.target, *args.more) if t], write=args.write)
    registry = load_registry()
    if getattr(args, "json", False):  # callers may build the Namespace by hand
        print(json.dumps([o.model_dump(mode="json") for o in registry.outlet], ensure_ascii=False))
        return 0
    table = Table(title=f"{len(registry.outlet)} outlets")
    for col in ("id", "name", "region", "district", "scope", "family", "schedule", "render", "verified", "evidence"):
        table.add_column(col)
    for o in registry.outlet:
        table.add_row(o.id, o.name, o.region, o.district, o.scope, o.family, o.schedule_text,
                      o.render, "yes" if o.verified else "no", max(e.seen for e in o.evidence) if o.evidence else "-")
    _console().print(table)
    warnings = registry_warnings(registry)  # what entries leave unknown or unproven: they load, but say so
    if warnings:
        print(f"{len(warnings)} warnings:", *warnings, sep="\n  ", file=sys.stderr)
    return 0


def _detect(target: str, url: str | None = None) -> int:
    """Print a ready-to-paste `[[outlet]]` for the outlet of one page (a URL or a saved file)."""
    from urllib.error import URLError
    from urllib.request import Request, urlopen

    from crawler.families.entry import registry_entry

    charset = None
    if target.startswith(("http://", "https://")):
        try:
            with urlopen(Request(target, headers={"User-Agent": "newswatch outlets detect"}), timeout=30) as resp:
                body, url = resp.read(), resp.geturl()
                charset = resp.headers.get_content_charset()
        except (URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            return _die(f"cannot fetch {target}: {reason}; check the address, or save the page "
                        "and run `newswatch outlets detect FILE --url URL`")
    else:
        try:
            body = Path(target).read_bytes()
        except OSError as exc:
            return _die(f"cannot read {target}: {exc.strerror}; give a saved HTML file or an http(s) URL")
    try:
        print(registry_entry(body, url or "", charset=charset), end="")
    except ValueError as exc:
        return _die(f"{target}: {exc}")
    return 0


# --- demo ------------------------------------------------------------------------------------------

def cmd_demo(args: argparse.Namespace) -> int:
    from crawler.demo import DemoError, run_demo

    try:
        return run_demo(port_base=args.port_base, fresh=args.fresh, home=args.home)
    except DemoError as exc:
        return _die(str(exc))


def cmd_watchlist_test(args: argparse.Namespace) -> int:
    from crawler import paths
    from crawler.jsonl import open_input
    from crawler.match import Matcher, load_watchlist
    from crawler.match.evaluate import evaluate_jsonl

    path = paths.watchlists_dir() / f"{args.id}.toml"
    if not path.exists():
        return _die(f"no watchlist {args.id!r} in {paths.watchlists_dir()} (set NEWSWATCH_WATCHLISTS_DIR)")
    if args.labels == (args.file is not None):
        return _die("give either FILE.jsonl or --labels (the office's stored labels), not both or neither")
    if args.since and not args.labels:
        return _die("--since picks stored labels by date; use it with --labels")
    matcher = Matcher(load_watchlist(path))
    if args.labels:
        from crawler.match.labels import report_labels

        since = date.fromisoformat(args.since) if args.since else None
        stories, pruned = _stored_labels(args.id, since)
        report_labels(matcher, stories, pruned, since, sys.stdout)
        return 0
    with open_input(args.file) as inp:
        return evaluate_jsonl(matcher, inp, sys.stdout, sys.stderr)


def _stored_labels(watchlist_id: str, since: date | None) -> tuple[list, int]:
    """The office's labels for the watchlist, read from the store."""
    from crawler.match.labels import labelled_stories
    from crawler.store import Database

    db = Database.open()
    try:
        with db.session() as s:
            return labelled_stories(s, watchlist_id, since)
    finally:
        db.close()


def cmd_watchlist_suggest(args: argparse.Namespace) -> int:
    from crawler import paths
    from crawler.match import load_watchlist
    from crawler.match.suggest import suggest

    path = paths.watchlists_dir() / f"{args.id}.toml"
    if not path.exists():
        return _die(f"no watchlist {args.id!r} in {paths.watchlists_dir()} (set NEWSWATCH_WATCHLISTS_DIR)")
    watchlist = load_watchlist(path)
    since = date.fromisoformat(args.since) if args.since else None
    stories, _ = _stored_labels(args.id, since)
    return suggest(path, watchlist, stories, sys.stdout, dev=not args.no_dev)


# --- parser ----------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="newswatch",
        description="Crawl Korean local news outlets, match articles against watchlists, mail the matches.",
        epilog="Configuration comes from NEWSWATCH_* environment variables; see README.md.",
    )
    p.add_argument("--version", action="version", version=f"newswatch {_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    from crawler.commands.crawl import register as register_crawl

    register_crawl(sub)

    s = sub.add_parser("send", help="drain the alert outbox now",
                       description="Send the alerts that are due: one mail per recipient, each story once. "
                                   "Without NEWSWATCH_SMTP_HOST, mail is written to $NEWSWATCH_HOME/outbox/.")
    s.add_argument("--digest", action="store_true", help="send everything pending now: digests before their time, mail held by quiet hours too")
    s.add_argument("--dry-run", action="store_true", help="show what would be sent; change nothing")
    s.add_argument("--json", action="store_true", help="print the report as one JSON object")
    s.add_argument("--retry-failed", action="store_true",
                   help="first put alerts that failed for good (refused by the mail server) back to pending, "
                        "then drain; each alert key is still mailed at most once")
    s.add_argument("--since", type=_parse_since, metavar="DATE",
                   help="with --retry-failed: only alerts created on or after DATE (YYYY-MM-DD)")
    s.set_defaults(func=cmd_send)

    d = sub.add_parser("digest", help="render the next digest without sending it")
    d.add_argument("--preview", required=True, metavar="FILE.html", help="where to write the HTML")
    d.set_defaults(func=cmd_digest)

    k = sub.add_parser("classify", help="score JSON lines {id,title,body} against a watchlist",
                       description='In: {"id","title","body"} per line; out: {"id","relevant","score","matched"}.')
    k.add_argument("--watchlist", required=True, metavar="ID")
    k.add_argument("--explain", action="store_true",
                   help="say why, per article: each rule that fired in words, the sentence that carried it, "
                        "the exclusions considered and why they did or did not apply")
    k.add_argument("--explain-json", action="store_true",
                   help="the same as an 'explain' object added to each JSON output line")
    k.add_argument("file", metavar="FILE.jsonl", help="a file, or - for stdin")
    k.set_defaults(func=cmd_classify)

    w = sub.add_parser("watchlist", help="watchlist tools: `watchlist test ID FILE` scores a labelled set")
    wsub = w.add_subparsers(dest="action", required=True)
    wt = wsub.add_parser("test", help="precision, recall, F1 and every miss on labelled JSON lines",
                         description='In: {"id","title","body","label"} per line (label 0/1).')
    wt.add_argument("id", metavar="ID")
    wt.add_argument("file", nargs="?", metavar="FILE.jsonl", help="a file, or - for stdin")
    wt.add_argument("--labels", action="store_true",
                    help="score the office's stored labels (mail links, `newswatch label`) instead of a file")
    wt.add_argument("--since", type=_parse_since, metavar="DATE", help="with --labels: labels given since DATE")
    wt.set_defaults(func=cmd_watchlist_test)
    ws = wsub.add_parser("suggest", help="propose the smallest change that fixes the most labelled misses",
                         description="Tries one-line edits (an exclusion term, a group's weight, a rule's "
                                     "proximity) on the office's labels, keeps those that do not lower the "
                                     "real dev set's figures, and prints the best as a TOML diff. Never applies it.")
    ws.add_argument("id", metavar="ID")
    ws.add_argument("--since", type=_parse_since, metavar="DATE", help="only labels given since DATE")
    ws.add_argument("--no-dev", action="store_true",
                    help="do not check candidates on ../shared/corpus/relevance-dev (faster; less safe)")
    ws.set_defaults(func=cmd_watchlist_suggest)

    e = sub.add_parser("extract", help="extract one saved page and print its fields as JSON")
    e.add_argument("--url", required=True, help="the page's URL (decides the family and resolves links)")
    e.add_argument("--family", default=None, help="force a family (default: detected)")
    e.add_argument("file", metavar="FILE.html[.gz]")
    e.set_defaults(func=cmd_extract)

    cl = sub.add_parser("cluster", help="group JSON lines {id,outlet,title,body,published_at?} into stories")
    cl.add_argument("file", metavar="FILE.jsonl", help="a file, or - for stdin")
    cl.add_argument("--explain", action="store_true",
                    help="per article also the member it joined, the score, the evidence and the story it follows")
    cl.set_defaults(func=cmd_cluster)

    o = sub.add_parser("outlets", help="the registry as a table; `outlets detect URL-or-FILE` prints a registry entry; "
                                       "`outlets check [OUTLET…] [--write]` probes outlets")
    o.add_argument("action", nargs="?", choices=["detect", "check"],
                   help="detect a page's CMS family, or probe outlets")
    o.add_argument("target", nargs="?", metavar="URL-or-FILE | OUTLET")
    o.add_argument("more", nargs="*", metavar="OUTLET", help="check: more outlet ids (default: all)")
    o.add_argument("--write", action="store_true",
                   help="check: mark working outlets verified = true in the registry file")
    o.add_argument("--url", default=None,
                   help="detect: the address of a saved page (default: its canonical link)")
    o.add_argument("--json", action="store_true", help="the registry as a JSON array (one object per outlet)")
    o.set_defaults(func=cmd_outlets)

    dm = sub.add_parser("demo", help="the offline demo: bundled sites on 127.0.0.1, one full cycle",
                        description="Serve the bundled demo sites, crawl them, match, store in the demo's own "
                                    "SQLite store and write the alert mail (marked [데모]) to its outbox. "
                                    "Everything stays in var/demo/ (or --home): NEWSWATCH_DB_URL, SMTP and the "
                                    "real registry and recipients are never used.")
    dm.add_argument("--port-base", type=int, default=8701, help="first port of the demo sites (default 8701)")
    dm.add_argument("--home", type=Path, default=None,
                    help="the demo's own directory (default NEWSWATCH_DEMO_HOME or var/demo/)")
    dm.add_argument("--fresh", action="store_true",
                    help="start the demo over: remove only the files the demo wrote in its home")
    dm.set_defaults(func=cmd_demo)

    from crawler.commands.config import register as register_config
    from crawler.commands.monitor import register as register_monitor
    from crawler.commands.ops import register as register_ops
    from crawler.commands.releases import register as register_releases
    from crawler.commands.schedule import register as register_schedule
    from crawler.commands.web import register as register_web
    from crawler.commands.worker import register as register_worker

    register_monitor(sub)
    register_schedule(sub)
    register_ops(sub)
    register_web(sub)
    register_worker(sub)
    register_releases(sub)
    register_config(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "outlets" and args.action == "detect" and not args.target:
        return _die("outlets detect needs a URL or a saved HTML file")
    func: Callable[[argparse.Namespace], int] = args.func
    from crawler.config import settings
    from crawler.logs import add_file_handler

    try:
        settings()  # every NEWSWATCH_* value checked before any command starts
        add_file_handler(args.command)
    except ValueError as exc:
        return _die(str(exc))
    try:
        return func(args)
    except USER_ERRORS as exc:
        return _die(str(exc))
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
