"""`newswatch web [--host H] [--port P] [--public] [--feedback-only]`: the dashboard (or only its feedback page)."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from crawler.errors import EXIT_CONFIG


def register(subparsers: Any) -> None:
    """Add the `web` subcommand to the `newswatch` parser."""
    w = subparsers.add_parser(
        "web", help="the dashboard: recent stories, outlets, runs; mail feedback links are answered here",
        description="Serve the dashboard on NEWSWATCH_WEB_HOST:NEWSWATCH_WEB_PORT (default 127.0.0.1:8650). "
                    "It has no login: a host other than loopback needs --public. Mail feedback links "
                    "(/feedback?t=…) are answered here; set NEWSWATCH_WEB_URL to the address the office "
                    "reaches it at. --feedback-only serves /feedback and /healthz alone, for a server the "
                    "office can reach without reaching the dashboard.")
    w.add_argument("--host", default=None, help="address to listen on (default NEWSWATCH_WEB_HOST or 127.0.0.1)")
    w.add_argument("--port", default=None, help="port (default NEWSWATCH_WEB_PORT or 8650; 0 picks a free one)")
    w.add_argument("--public", action="store_true",
                   help="allow a non-loopback host (the dashboard has no authentication)")
    w.add_argument("--feedback-only", action="store_true",
                   help="serve only /feedback and /healthz (every other page is 404)")
    w.set_defaults(func=lambda a: web_command(host=a.host, port=a.port, public=a.public,
                                              feedback_only=a.feedback_only))


def web_command(*, host: str | None, port: str | None, public: bool, feedback_only: bool = False,
                err: TextIO | None = None) -> int:
    from crawler.registry import RegistryError, load_registry
    from crawler.store import Database, StoreUnavailable
    from crawler.web.app import make_app
    from crawler.web.server import HostError, listen_address, serve

    err = err or sys.stderr
    try:
        address = listen_address(host, port, public=public)
        registry = load_registry().by_id()
        db = Database.open()
    except (HostError, RegistryError, StoreUnavailable) as exc:
        print(f"newswatch web: {exc}", file=err)
        return EXIT_CONFIG

    def ready(actual: int) -> None:
        what = "feedback only" if feedback_only else "dashboard"
        print(f"newswatch web: serving the {what} on http://{address[0]}:{actual}/ (Ctrl-C stops)",
              file=err, flush=True)

    try:
        serve(make_app(db, registry, feedback_only=feedback_only), address[0], address[1], ready=ready)
    except OSError as exc:
        print(f"newswatch web: cannot listen on {address[0]}:{address[1]}: {exc}", file=err)
        return EXIT_CONFIG
    finally:
        db.close()
    return 0
