"""The local demo sites as the tests use them: a started server, its registry file, its request log."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from crawler.demosites import SiteServer
from crawler.demosites.content import Outlet
from crawler.demosites.registry import write_registry


class DemoSites(SiteServer):
    """A SiteServer that writes its registry (`registry`) once its ports are known."""

    def __init__(self, *args: Any, registry: Path, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.registry = registry

    def start(self) -> dict[str, str]:
        urls = super().start()
        write_registry(self.registry, self.outlets, urls)
        return urls


class StartSites(Protocol):
    """The `sites` fixture: start demo sites (SiteServer's arguments) and get them running."""

    def __call__(self, outlets: Sequence[Outlet] | None = None, anchor: datetime | None = None,
                 **kwargs: Any) -> DemoSites: ...


@contextmanager
def demo_sites(directory: Path) -> Iterator[StartSites]:
    """Start demo sites with their files in `directory`; every one started is stopped on leaving.

    The first server's registry is `outlets.toml` and its request log `requests.log`; a second
    server's files are numbered (`outlets-2.toml`).
    """
    started: list[DemoSites] = []

    def start(outlets: Sequence[Outlet] | None = None, anchor: datetime | None = None, **kwargs: Any) -> DemoSites:
        suffix = f"-{len(started) + 1}" if started else ""
        kwargs.setdefault("log_path", directory / f"requests{suffix}.log")
        server = DemoSites(outlets, anchor, registry=directory / f"outlets{suffix}.toml", **kwargs)
        server.start()
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in reversed(started):
            server.stop()


def requests_by_outlet(log: Path, start: int = 0) -> dict[str, int]:
    """Requests per outlet in the site server's log, from line `start` on."""
    counts: dict[str, int] = {}
    if not log.exists():
        return counts
    for line in log.read_text().splitlines()[start:]:
        outlet = json.loads(line)["outlet"]
        counts[outlet] = counts.get(outlet, 0) + 1
    return counts


def log_length(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0
