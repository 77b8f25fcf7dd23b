"""Sentry against a local endpoint that captures envelopes; a dead or slow one delays nothing."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import brotli
import pytest
import sentry_sdk
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, TextResponse
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.crawl.extensions import SentryErrors
from crawler.monitor.rules import Check
from crawler.monitor.sentry import SHUTDOWN_TIMEOUT, init_sentry, report_violation
from tests.support.env import ROOT, free_port


def decode(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        return bytes(brotli.decompress(body))
    return body


def events_of(envelope: bytes) -> list[dict[str, Any]]:
    """The `event` items of one envelope (header line, then item header + payload pairs)."""
    lines = envelope.split(b"\n")
    out = []
    i = 1
    while i + 1 < len(lines):
        header = json.loads(lines[i]) if lines[i].strip() else {}
        if header.get("type") == "event":
            out.append(json.loads(lines[i + 1]))
        i += 2
    return out


@contextmanager
def sentry_endpoint(delay: float = 0.0) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local Sentry stand-in: yields the DSN and the events it received."""
    events: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if delay:
                time.sleep(delay)
            events.extend(events_of(decode(body, self.headers.get("Content-Encoding", ""))))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://public@127.0.0.1:{server.server_address[1]}/1", events
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sentry_off() -> Iterator[None]:
    """Whatever a test starts, the next test begins without a Sentry client."""
    yield
    sentry_sdk.get_client().close(timeout=1)
    sentry_sdk.get_global_scope().set_client(None)
    sentry_sdk.get_global_scope().remove_tag("component")


def test_nothing_without_a_dsn(home: object, sentry_off: None) -> None:
    assert init_sentry("crawl") is False
    assert not sentry_sdk.get_client().is_active()
    with pytest.raises(NotConfigured):
        SentryErrors.from_crawler(get_crawler())


def test_spider_errors_carry_the_outlet(home: object, sentry_off: None) -> None:
    with sentry_endpoint() as (dsn, events):
        crawler = get_crawler(settings_dict={"SENTRY_DSN": dsn})
        ext = SentryErrors.from_crawler(crawler)
        url = "https://www.incheonilbo.com/news/articleView.html?idxno=1"
        response = TextResponse(url, body=b"<html></html>", request=Request(url, meta={"outlet": "incheonilbo"}))
        try:
            raise KeyError("title")
        except KeyError:
            ext.spider_error(Failure(), response, None)
        item = type("Item", (), {"outlet_id": "kbmaeil", "url": "https://www.kbmaeil.com/a"})()
        ext.item_error(item, response, None, Failure(ValueError("bad date")))
        report_violation(Check("kbmaeil", "empty_discovery", "fail", 0, 1, ">=", "entries: 0",
                               {"list/entries": 0}))
        sentry_sdk.flush(timeout=5)
        deadline = time.monotonic() + 5
        while len(events) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    by_where = {e["tags"].get("where", "health"): e for e in events}
    spider, pipeline, health = by_where["spider"], by_where["pipeline"], by_where["health"]
    assert spider["tags"]["outlet"] == "incheonilbo" and spider["tags"]["component"] == "crawl"
    assert spider["fingerprint"] == ["spider", "incheonilbo", "KeyError"]
    assert pipeline["tags"]["outlet"] == "kbmaeil" and pipeline["fingerprint"] == ["pipeline", "kbmaeil", "ValueError"]
    assert health["fingerprint"] == ["kbmaeil", "empty_discovery"] and health["tags"]["rule"] == "empty_discovery"
    assert health["level"] == "warning" and health["contexts"]["health"]["list/entries"] == 0


SCRIPT = """
import sys, time
from crawler.monitor.sentry import init_sentry, report_violation
from crawler.monitor.rules import Check
init_sentry("crawl", sys.argv[1])
t = time.monotonic()
for i in range(20):
    report_violation(Check("kbmaeil", "stale", "fail", 9, 3, "<=", "old"))
print(time.monotonic() - t)
"""


@pytest.mark.parametrize("kind", ["dead", "slow"])
def test_a_dead_or_slow_endpoint_never_delays(kind: str) -> None:
    with sentry_endpoint(delay=30) as (slow_dsn, _):
        dsn = slow_dsn if kind == "slow" else f"http://public@127.0.0.1:{free_port()}/1"
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-c", SCRIPT, dsn], cwd=ROOT, capture_output=True, text=True,
                              timeout=60, check=False)
        wall = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) < 5  # capturing only queues the event (the endpoint takes 30 s)
    assert wall < SHUTDOWN_TIMEOUT + 6  # interpreter start-up + at most shutdown_timeout at exit
