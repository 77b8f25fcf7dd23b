"""Where logs go: stderr always (journald under systemd; cron mails it only when a run fails,
since `crawl -q` and `send` stay quiet on success), plus a file under $NEWSWATCH_HOME/logs/ when
NEWSWATCH_LOG_FILE is set ("1" = logs/newswatch.log, or a path).

The scheduler, its crawl subprocesses and cron lines all append to that one file, so no process
rotates it: each reopens the file when logrotate has moved it (WatchedFileHandler; the snippet is
deploy/logrotate.conf). NEWSWATCH_LOG_FORMAT=json writes one JSON object per line instead of text.

One line per event: time, level, component (crawl, send, schedule…), logger, message — the
crawl's messages name their outlet ("outlet incheonilbo: …").
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from logging.handlers import WatchedFileHandler
from pathlib import Path

from crawler import paths
from crawler.config import settings

FORMAT = "%(asctime)s %(levelname)s [{component}] %(name)s: %(message)s"


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record: for log shippers (Loki, Vector, journald exporters)."""

    def __init__(self, component: str) -> None:
        super().__init__()
        self.component = component

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "component": self.component,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def log_file() -> Path | None:
    """The log file asked for by NEWSWATCH_LOG_FILE, or None."""
    value = settings().log_file
    if not value or value == "0":
        return None
    return paths.home() / "logs" / "newswatch.log" if value == "1" else Path(value).expanduser()


def log_format() -> str:
    return settings().log_format


def add_file_handler(component: str) -> Path | None:
    """Also append this process's log records to the shared log file."""
    path = log_file()
    if path is None:
        return None
    fmt = log_format()
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    if any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        return path
    handler = WatchedFileHandler(path, encoding="utf-8")
    if fmt == "json":
        handler.setFormatter(JsonLinesFormatter(component))
    else:
        handler.setFormatter(logging.Formatter(FORMAT.format(component=component)))
    handler.setLevel(settings().log_level)
    root.addHandler(handler)
    if root.level > handler.level or root.level == logging.NOTSET:
        root.setLevel(handler.level)
    return path
