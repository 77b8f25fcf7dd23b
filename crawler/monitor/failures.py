"""Saving the page behind a health problem under NEWSWATCH_HOME/failures/, to become a test fixture.

The crawl holds the bytes; it calls `save_failing_page` when extraction falls back to the
generic extractor or a feed/list yields nothing. One file per outlet, reason and Seoul day.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from crawler import paths
from crawler.clock import SEOUL

log = logging.getLogger(__name__)
MAX_BYTES = 5_000_000
_SAFE = re.compile(r"[^a-z0-9_-]+")


def failure_path(outlet_id: str, reason: str, when: datetime, directory: Path | None = None) -> Path:
    """`<failures>/<outlet>/<reason>-<YYYY-MM-DD>.html` (the Seoul date)."""
    base = directory or paths.failures_dir()
    day = when.astimezone(SEOUL).date().isoformat()
    return base / _SAFE.sub("_", outlet_id.lower()) / f"{_SAFE.sub('_', reason.lower())}-{day}.html"


def save_failing_page(outlet_id: str, url: str, body: bytes, reason: str, *,
                      now: datetime | None = None, directory: Path | None = None) -> Path | None:
    """Keep the first failing page of the day for (outlet, reason), with its URL beside it; never raises."""
    target = failure_path(outlet_id, reason, now or datetime.now(UTC), directory)
    if target.exists():
        return None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(body[:MAX_BYTES])
        os.replace(tmp, target)
        meta = {"outlet": outlet_id, "url": url, "reason": reason,
                "saved_at": (now or datetime.now(UTC)).isoformat(), "bytes": len(body)}
        target.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    except OSError as exc:  # a full disk must not stop a crawl; the health rule still fires
        log.warning("could not save the failing page of %s to %s: %s", outlet_id, target, exc)
        return None
    return target


def saved_pages(outlet_id: str, reason: str, directory: Path | None = None) -> list[Path]:
    """Pages saved for (outlet, reason), newest first."""
    base = (directory or paths.failures_dir()) / _SAFE.sub("_", outlet_id.lower())
    return sorted(base.glob(f"{_SAFE.sub('_', reason.lower())}-*.html"), reverse=True)
