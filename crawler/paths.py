"""Where things live: the project root, NEWSWATCH_HOME and the bundled data files.

Resolved from the package location, never from the working directory, so every
command behaves the same wherever it is started.
"""

from __future__ import annotations

import hashlib
import os
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from crawler.config import settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Loaded from a zipped egg (scrapyd): the bundled data has no path of its own on disk.
IN_ARCHIVE = not PROJECT_ROOT.is_dir()


def home() -> Path:
    """NEWSWATCH_HOME, default `var/` at the project root (the user's data directory when the
    code runs from an archive, which cannot be written)."""
    value = settings().home
    if value:
        return value.expanduser().resolve()
    if IN_ARCHIVE:
        import platformdirs  # optional: only a zipped egg (scrapyd) needs a data directory outside it

        return platformdirs.user_data_path("newswatch")
    return PROJECT_ROOT / "var"


def packaged(package: str, *parts: str) -> Path:
    """A file or folder shipped inside a package, as a real path.

    From a checkout or an installed wheel that is the file itself; from a zipped egg (how
    scrapyd loads a project) it is copied once under NEWSWATCH_HOME, keyed by the archive's
    size and time, because TOML loaders, Alembic and Jinja read from paths."""
    source = resources.files(package).joinpath(*parts)
    if isinstance(source, Path):
        return source
    stamp = os.stat(PROJECT_ROOT)
    key = hashlib.sha1(f"{PROJECT_ROOT}:{stamp.st_size}:{stamp.st_mtime_ns}".encode()).hexdigest()[:12]
    target = home() / "packaged" / key / package.replace(".", "/")
    target = target.joinpath(*parts)
    if not target.exists():
        _copy_out(source, target)
    return target


def _copy_out(source: Traversable, target: Path) -> None:
    if source.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        for child in source.iterdir():
            _copy_out(child, target / child.name)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    partial.write_bytes(source.read_bytes())
    partial.replace(target)  # atomic: a concurrent process sees the whole file or none


def outlets_file() -> Path:
    value = settings().outlets_file
    return value.expanduser() if value else packaged("spiders", "outlets.toml")


def watchlists_dir() -> Path:
    value = settings().watchlists_dir
    return value.expanduser() if value else packaged("settings", "watchlists")


def recipients_file() -> Path:
    value = settings().recipients_file
    return value.expanduser() if value else packaged("settings", "recipients.toml")


def db_url() -> str:
    value = settings().db_url
    return value if value else f"sqlite:///{home() / 'newswatch.db'}"


def outbox_dir() -> Path:
    return home() / "outbox"


def failures_dir() -> Path:
    return home() / "failures"


def artifacts_dir() -> Path:
    return home() / "artifacts"


def bench_dir() -> Path:
    return home() / "bench"
