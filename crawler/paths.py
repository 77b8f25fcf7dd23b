"""Where things live: the project root, NEWSWATCH_HOME and the bundled data files.

Resolved from the package location, never from the working directory, so every
command behaves the same wherever it is started.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEOUL = "Asia/Seoul"


def home() -> Path:
    """NEWSWATCH_HOME, default `var/` at the project root."""
    value = os.environ.get("NEWSWATCH_HOME")
    return Path(value).expanduser().resolve() if value else PROJECT_ROOT / "var"


def outlets_file() -> Path:
    value = os.environ.get("NEWSWATCH_OUTLETS_FILE")
    return Path(value).expanduser() if value else PROJECT_ROOT / "spiders" / "outlets.toml"


def watchlists_dir() -> Path:
    value = os.environ.get("NEWSWATCH_WATCHLISTS_DIR")
    return Path(value).expanduser() if value else PROJECT_ROOT / "settings" / "watchlists"


def recipients_file() -> Path:
    value = os.environ.get("NEWSWATCH_RECIPIENTS_FILE")
    return Path(value).expanduser() if value else PROJECT_ROOT / "settings" / "recipients.toml"


def db_url() -> str:
    value = os.environ.get("NEWSWATCH_DB_URL")
    return value if value else f"sqlite:///{home() / 'newswatch.db'}"


def outbox_dir() -> Path:
    return home() / "outbox"


def failures_dir() -> Path:
    return home() / "failures"


def artifacts_dir() -> Path:
    return home() / "artifacts"


def bench_dir() -> Path:
    return home() / "bench"
