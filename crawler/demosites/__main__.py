"""`python -m crawler.demosites serve …`: run the demo (or synthetic) sites until SIGTERM/SIGINT.

Prints one JSON line `{"outlets": {id: base URL}}` once every port listens.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from crawler.demosites import content, scale
from crawler.demosites.faults import Fault, parse_fault
from crawler.demosites.registry import write_registry
from crawler.demosites.server import Publisher, SiteServer
from crawler.schedule.simclock import SimClock


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m crawler.demosites", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the sites until SIGTERM/SIGINT")
    serve.add_argument(
        "--anchor",
        help="ISO 8601 time the article ages count back from (default: now; naive = Seoul time)",
    )
    serve.add_argument(
        "--port-base", type=int, default=0, help="outlet i listens on N+i (0: free ports)"
    )
    serve.add_argument(
        "--scale",
        metavar="OUTLETS:ARTICLES",
        help="serve synthetic NDSoft outlets instead of the demo ones",
    )
    serve.add_argument("--log", type=Path, help="append one JSON line per request to FILE")
    serve.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="OUTLET=KIND",
        help="make an outlet misbehave (repeatable)",
    )
    serve.add_argument(
        "--registry-out", type=Path, help="write a registry TOML for the served outlets"
    )
    publish = serve.add_argument_group("publishing over time (the freshness bench; needs --scale)")
    publish.add_argument("--publish-clock", metavar="SCALE@INSTANT",
                         help="simulated time: SCALE simulated seconds per wall second, equal to wall time at INSTANT")
    publish.add_argument("--publish-start", metavar="ISO", help="simulated instant publishing starts")
    publish.add_argument("--publish-hours", type=float, default=0.0, help="simulated hours of publishing")
    publish.add_argument("--publish-seed", default="freshness-live", help="seed of what is published")
    publish.add_argument("--publish-relevant", type=float, default=0.08, metavar="SHARE",
                         help="share of stories about medical tourism (0-1; default 0.08)")
    publish.add_argument("--publish-log", type=Path, help="one JSON line per published article (required)")
    return parser


def _faults(values: list[str]) -> dict[str, list[Fault]]:
    faults: dict[str, list[Fault]] = {}
    for value in values:
        outlet, fault = parse_fault(value)
        faults.setdefault(outlet, []).append(fault)
    return faults


def serve(args: argparse.Namespace) -> int:
    try:
        anchor = content.parse_anchor(args.anchor)
        outlets = (
            scale.scale_outlets(*scale.parse_scale(args.scale))
            if args.scale
            else list(content.demo_outlets())
        )
        server = SiteServer(
            outlets, anchor, faults=_faults(args.fault), log_path=args.log, port_base=args.port_base
        )
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        urls = server.start()
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    publisher = None
    try:
        if args.registry_out:
            write_registry(args.registry_out, outlets, urls)
        publisher = _publisher(args, server, outlets)
        print(json.dumps({"outlets": urls}, ensure_ascii=False), flush=True)
        while not stop.wait(1.0):
            pass
    finally:
        if publisher is not None:
            publisher.stop()
        server.stop()
    return 0


def _publisher(args: argparse.Namespace, server: SiteServer, outlets: list[Any]) -> Publisher | None:
    if not args.publish_clock:
        return None


    if not (args.scale and args.publish_start and args.publish_hours > 0 and args.publish_log):
        raise ValueError("--publish-clock needs --scale, --publish-start, --publish-hours and --publish-log")
    if not 0.0 <= args.publish_relevant <= 1.0:
        raise ValueError(f"--publish-relevant {args.publish_relevant:g}: a share between 0 and 1")
    start = datetime.fromisoformat(args.publish_start)
    schedule = scale.publications(len(outlets), start, args.publish_hours, seed=args.publish_seed,
                                  relevant=args.publish_relevant)
    publisher = Publisher(server, schedule, start, SimClock.parse(args.publish_clock), args.publish_log)
    publisher.begin()
    return publisher


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
