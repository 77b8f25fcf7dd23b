"""Where logs go: stderr always (journald under systemd; cron mails it only when a run fails,
since `crawl -q` and `send` stay quiet on success), plus a daily-rotated file under
$NEWSWATCH_HOME/logs/ when NEWSWATCH_LOG_FILE is set ("1" = logs/newswatch.log, or a path).

One line per event: time, level, component (crawl, send, schedule…), logger, message — the
crawl's messages name their outlet ("outlet incheonilbo: …").
"""

from __future__ import annotations

import logging
import os
from logging.handlers import TimedRotatingFileHandler
from pathlib import Path

from crawler import paths

FORMAT = "%(asctime)s %(levelname)s [{component}] %(name)s: %(message)s"
KEEP_DAYS = 14


def log_file() -> Path | None:
    """The rotated log file asked for by NEWSWATCH_LOG_FILE, or None."""
    value = os.environ.get("NEWSWATCH_LOG_FILE", "").strip()
    if not value or value == "0":
        return None
    return paths.home() / "logs" / "newswatch.log" if value == "1" else Path(value).expanduser()


def add_file_handler(component: str) -> Path | None:
    """Also write this process's log records to the rotated file (daily, 14 days kept)."""
    path = log_file()
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    if any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        return path
    handler = TimedRotatingFileHandler(path, when="midnight", backupCount=KEEP_DAYS, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT.format(component=component)))
    handler.setLevel(os.environ.get("NEWSWATCH_LOG_LEVEL", "INFO").upper())
    root.addHandler(handler)
    if root.level > handler.level or root.level == logging.NOTSET:
        root.setLevel(handler.level)
    return path
