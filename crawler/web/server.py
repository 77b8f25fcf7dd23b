"""Serving the dashboard with the standard library (`wsgiref`, one thread per request)."""

from __future__ import annotations

import ipaddress
import sys
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from crawler.config import settings


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class QuietHandler(WSGIRequestHandler):
    """One access-log line per request on stderr, without the query string (it may hold a token)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.split("?", 1)[0]
        sys.stderr.write(f"{self.address_string()} {self.command} {path} {code}\n")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


class HostError(ValueError):
    """A host or port the dashboard will not listen on; the message says why."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def listen_address(host: str | None, port: int | str | None, *, public: bool) -> tuple[str, int]:
    """The host and port (flags, then NEWSWATCH_WEB_HOST/PORT, then 127.0.0.1:8650), checked."""
    host = host or settings().web_host
    raw = port if port not in (None, "") else settings().web_port
    try:
        number = int(raw)
    except (TypeError, ValueError):
        raise HostError(f"port {raw!r} is not a number; set NEWSWATCH_WEB_PORT to 1-65535") from None
    if not 0 <= number <= 65535:
        raise HostError(f"port {number} is out of range; use 1-65535")
    if not is_loopback(host) and not public:
        raise HostError(
            f"refusing to listen on {host}: the dashboard has no login, so anyone who can reach it reads "
            "every match and outlet status. Keep it on 127.0.0.1 behind a reverse proxy with authentication, "
            "or pass --public if this network is trusted")
    return host, number


def serve(app: Any, host: str, port: int, *, ready: Any = None) -> None:
    """Serve until interrupted; `ready(actual_port)` is called once listening."""
    with make_server(host, port, app, server_class=ThreadingWSGIServer, handler_class=QuietHandler) as httpd:
        actual = httpd.server_address[1]
        if ready:
            ready(actual)
        try:
            httpd.serve_forever(poll_interval=0.5)
        except KeyboardInterrupt:
            pass
