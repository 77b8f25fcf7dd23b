"""The outlet registry (`spiders/outlets.toml`): validated models and the loader.

A bad entry fails naming the file, the outlet, the key and the fix (DESIGN.md).
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import logging
import re
import tomllib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crawler import paths
from crawler.config import Cron, Duration, DurationOrZero, duration_text
from crawler.dedupe.urls import canonical_url
from crawler.errors import ConfigError, plain_message

REGIONS = (
    "서울", "부산", "대구", "인천", "광주", "대전", "울산", "세종", "경기",
    "강원", "충북", "충남", "전북", "전남", "경북", "경남", "제주",
)
# the names the `family` field accepts: one module each in crawler/families/ (a test checks)
FAMILIES = ("ndsoft", "gnuboard", "mcode", "articleno", "partidx", "articlephp", "scrs", "generic")
SCOPES = ("local", "regional", "trade")
_SEEN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_ID = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
DEFAULT_EVERY = timedelta(minutes=30)
# (family, evidence URL) → why the URL does not fit the family, or None (`crawler.families.evidence_problem`)
EvidenceCheck = Callable[[str, str], str | None]


class RegistryError(ConfigError):
    """A registry file that cannot be used; the message says where and how to fix it."""


class Health(BaseModel):
    """Per-outlet overrides of health-rule thresholds (monitoring)."""

    model_config = ConfigDict(extra="forbid")
    min_new_per_day: float | None = None
    max_error_ratio: float | None = None
    max_missing_field_ratio: float | None = None
    max_days_without_new: float | None = None
    runs_without_new: int | None = None


def _this_month() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


class Evidence(BaseModel):
    """A real article URL of the outlet, found in stored public pages, and the month of its page."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    url: str
    seen: str

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(f"{v!r} is not an absolute http(s) URL")
        return v

    @field_validator("seen")
    @classmethod
    def _seen(cls, v: str) -> str:
        if not _SEEN.match(v):
            raise ValueError(f"{v!r}: write the month of the evidence page's date as 'YYYY-MM', e.g. '2025-05'")
        if v > _this_month():
            raise ValueError(
                f"{v!r} is in the future; 'seen' is the month of the page's own date, not a plan"
            )
        return v


class Outlet(BaseModel):
    """One `[[outlet]]` entry of the registry.

    `name`, `region` and `district` may be empty when no evidence shows them (nothing is
    invented); `warnings()` says so, as it says when the evidence is missing or does not fit.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str = ""
    region: str = ""
    district: str = ""
    scope: Literal["local", "regional", "trade"] = "local"
    home: str
    family: str = "generic"
    feeds: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    every: DurationOrZero | None = None
    cron: Cron | None = None
    min_every: Duration | None = None  # adaptive cadence: never poll more often (default NEWSWATCH_SCHEDULE_MIN_EVERY)
    max_every: Duration | None = None  # adaptive cadence: never poll less often (default NEWSWATCH_SCHEDULE_MAX_EVERY)
    render: Literal["http", "js"] = "http"
    encoding: str = ""
    verified: bool = False
    evidence: tuple[Evidence, ...] = ()
    health: Health = Field(default_factory=Health)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError("must be a lowercase ASCII slug of the outlet's domain, e.g. 'incheonilbo'")
        return v

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        if v and v not in REGIONS:
            raise ValueError(f"must be one of the 17 시도 (or \"\" when unknown): {', '.join(REGIONS)}")
        return v

    @field_validator("family")
    @classmethod
    def _family(cls, v: str) -> str:
        if v not in FAMILIES:
            raise ValueError(f"unknown family; use one of {', '.join(FAMILIES)} ('generic' fits any site)")
        return v

    @field_validator("home", "feeds", "lists", "sitemaps")
    @classmethod
    def _urls(cls, v: str | tuple[str, ...]) -> str | tuple[str, ...]:
        for url in [v] if isinstance(v, str) else v:
            if not re.match(r"^https?://[^/\s]+", url):
                raise ValueError(f"{url!r} is not an absolute http(s) URL")
        return v

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, v: str) -> str:
        if v:
            try:
                codecs.lookup(v)
            except LookupError as exc:
                raise ValueError(f"unknown encoding {v!r}; e.g. 'cp949' or 'utf-8'") from exc
        return v

    @model_validator(mode="after")
    def _schedule(self) -> Outlet:
        if self.every is not None and self.cron:
            raise ValueError("give either 'every' or 'cron', not both")
        if self.scope == "trade" and (self.region or self.district):
            raise ValueError(
                f"a trade paper is national: set region = \"\" and district = \"\" "
                f"(not {self.region!r}/{self.district!r}), or make it scope = \"local\"/\"regional\""
            )
        low, high = self.min_every, self.max_every
        if low is not None and high is not None and low > high:
            raise ValueError(f"min_every {duration_text(low)!r} is longer than max_every {duration_text(high)!r}")
        return self

    @property
    def fixed(self) -> bool:
        """Whether the registry fixes this outlet's schedule (`every` or `cron`: adaptive cadence keeps out)."""
        return self.every is not None or bool(self.cron)

    @functools.cached_property
    def site(self) -> str:
        """The outlet's site: folded host[:port] of `home` (www./m. variants are one site)."""
        return urlsplit(canonical_url(self.home)).netloc

    @functools.cached_property
    def home_prefix(self) -> str:
        """Site and home path ("news1.kr/local/jeju/"): outlets may share a host only by section."""
        path = urlsplit(canonical_url(self.home)).path
        if not path.endswith("/"):
            path = path.rsplit("/", 1)[0] + "/"
        return self.site + path

    def warnings(self, check_evidence: EvidenceCheck) -> list[str]:
        """What this entry leaves unknown or unproven; the entry still loads. `check_evidence`
        knows the families' article URLs (the registry sits below them)."""
        out: list[str] = []
        if not self.name:
            out.append("no name: add it once an evidence page shows it")
        if self.scope != "trade" and not self.region:
            out.append("no region: add the 시도 once an evidence page shows it")
        if self.scope == "local" and not self.district:
            out.append("local paper without district: add the 시군구 once evidence shows it")
        if not self.evidence:
            out.append("no evidence: add evidence = [{url = \"<a real article URL>\", seen = \"YYYY-MM\"}]")
        for ev in self.evidence:
            if urlsplit(canonical_url(ev.url)).netloc != self.site:
                out.append(f"evidence {ev.url} is not on the outlet's site {self.site} (home {self.home})")
            problem = check_evidence(self.family, ev.url)
            if problem:
                out.append(problem)
        return out

    @property
    def schedule_text(self) -> str:
        """The cron expression, else the interval as written ('30m')."""
        return self.cron or duration_text(self.interval or DEFAULT_EVERY)

    @property
    def interval(self) -> timedelta | None:
        """The `every` interval (default 30 minutes) unless a cron expression is given."""
        if self.cron:
            return None
        return DEFAULT_EVERY if self.every is None else self.every


class Registry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)  # shared: load_registry hands one copy per file content
    outlet: list[Outlet] = Field(default_factory=list)

    def by_id(self) -> dict[str, Outlet]:
        return {o.id: o for o in self.outlet}

    def warnings(self, check_evidence: EvidenceCheck) -> list[str]:
        """Every entry's warnings, each prefixed with the outlet id (see `Outlet.warnings`)."""
        return [f"outlet {o.id!r}: {w}" for o in self.outlet for w in o.warnings(check_evidence)]


def _describe(err: Mapping[str, Any], data: dict[str, Any], path: Path) -> str:
    loc = err["loc"]
    where = ""
    if len(loc) >= 2 and loc[0] == "outlet" and isinstance(loc[1], int):
        entry = data.get("outlet", [])[loc[1]]
        oid = entry.get("id", "?") if isinstance(entry, dict) else "?"
        key = ".".join(str(p) for p in loc[2:]) or "(entry)"
        where = f"outlet {oid!r} (entry {loc[1] + 1}), key {key!r}"
    else:
        where = "key " + ".".join(str(p) for p in loc)
    return f"{path}: {where}: {plain_message(err, 'see the registry format in README.md')}"


_LOADED: dict[Path, tuple[bytes, Registry]] = {}  # path -> (digest of its content, the registry read from it)


def load_registry(path: Path | None = None) -> Registry:
    """Read and validate the registry; raise RegistryError naming the outlet, key and fix.

    The file is read every time; it is parsed again only when its content changed (a crawl and
    the scheduler ask several times, and 3,000 outlets take ~0.5 s to parse)."""
    path = path or paths.outlets_file()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RegistryError(
            f"{path}: cannot read the registry ({exc.strerror}); set NEWSWATCH_OUTLETS_FILE to an existing file"
        ) from exc
    digest = hashlib.blake2b(raw, digest_size=16).digest()
    known = _LOADED.get(path)
    if known is not None and known[0] == digest:
        return known[1]
    registry = _parse(raw, path)
    _LOADED[path] = (digest, registry)
    return registry


def _parse(raw: bytes, path: Path) -> Registry:
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: not valid TOML: {exc}") from exc
    try:
        registry = Registry.model_validate(data)
    except ValidationError as exc:
        lines = [_describe(e, data, path) for e in exc.errors()]
        raise RegistryError("\n".join(lines)) from None
    seen: set[str] = set()
    homes: dict[str, list[Outlet]] = {}
    for o in registry.outlet:
        if o.id in seen:
            raise RegistryError(f"{path}: outlet {o.id!r} appears twice; ids must be unique")
        seen.add(o.id)
        for other in homes.setdefault(o.site, []):
            # one outlet's home inside the other's: both would crawl the same pages
            if o.home_prefix.startswith(other.home_prefix) or other.home_prefix.startswith(o.home_prefix):
                raise RegistryError(
                    f"{path}: outlets {other.id!r} and {o.id!r} are one site ({o.site}); keep one "
                    f"entry and give it the other's sections as lists/feeds"
                )
        homes[o.site].append(o)
    return registry


def outlet_names(path: Path | None = None) -> dict[str, str]:
    """Outlet id -> name, named outlets only (callers show the id for the rest); {} with a warning
    when the registry cannot be read: a mail, page or report never fails over names."""
    try:
        return {o.id: o.name for o in load_registry(path).outlet if o.name}
    except (RegistryError, OSError) as exc:
        logging.getLogger(__name__).warning("outlet names unavailable, outlet ids are shown: %s", exc)
        return {}
