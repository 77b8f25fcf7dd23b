"""Monitoring fixtures: a two-outlet registry file and runs and articles written straight into the store."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from crawler.store.models import Article, OutletRun, Run

REGISTRY = """
[[outlet]]
id = "incheonilbo"
name = "인천일보"
region = "인천"
home = "https://www.incheonilbo.com/"
family = "ndsoft"
every = "30m"

[[outlet]]
id = "kbmaeil"
name = "경북매일"
region = "경북"
home = "https://www.kbmaeil.com/"
family = "ndsoft"
every = "1h"
"""


def write_registry(directory: Path, text: str = REGISTRY) -> Path:
    path = directory / "outlets.toml"
    path.write_text(text, encoding="utf-8")
    return path


def add_run(session: Any, outlet_id: str, started_at: datetime, *, status: str = "finished", new: int = 3,
            requests: int = 5, errors: int = 0, fallbacks: int = 0, stats: dict[str, Any] | None = None) -> Run:
    """One finished run of one outlet, with its OutletRun row (what RunRecorder writes)."""
    run = Run(started_at=started_at, finished_at=started_at + timedelta(minutes=1), status=status,
              finish_reason="finished" if status == "finished" else "shutdown", pid=1, host="test")
    session.add(run)
    session.flush()
    base = {"requests": requests, "articles/new": new, "feed/entries": 20}
    session.add(OutletRun(run_id=run.id, outlet_id=outlet_id, started_at=started_at,
                          finished_at=started_at + timedelta(minutes=1), requests=requests, new_articles=new,
                          errors=errors, fallbacks=fallbacks, items=new, finish_reason=run.finish_reason,
                          stats={**base, **(stats or {})}))
    return run


def add_article(session: Any, outlet_id: str, first_seen_at: datetime, n: int) -> None:
    url = f"https://www.{outlet_id}.example/news/{n}"
    session.add(Article(outlet_id=outlet_id, url=url, url_key=f"{outlet_id}|{n}", canonical_url=url,
                        title="기사", body="본문", body_hash=f"h{n}", family="ndsoft", first_seen_at=first_seen_at))


def healthy_history(session: Any, outlet_id: str, now: datetime, hours: int = 30) -> None:
    """`hours` hourly runs with new articles each, the newest just before `now`."""
    for h in range(hours, 0, -1):
        add_run(session, outlet_id, now - timedelta(hours=h) + timedelta(minutes=5))
    add_article(session, outlet_id, now - timedelta(hours=1), hash(outlet_id) % 1000)
