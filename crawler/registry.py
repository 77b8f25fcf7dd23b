"""The outlet registry (`spiders/outlets.toml`): validated models and the loader.

A bad entry fails naming the file, the outlet, the key and the fix (DESIGN.md).
"""

from __future__ import annotations

import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crawler import paths
from crawler.configerrors import plain_message

REGIONS = (
    "서울", "부산", "대구", "인천", "광주", "대전", "울산", "세종", "경기",
    "강원", "충북", "충남", "전북", "전남", "경북", "경남", "제주",
)
FAMILIES = ("ndsoft", "gnuboard", "mcode", "articleno", "generic")
_ID = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_EVERY = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_WEEKDAY_NUMBERS = re.compile(r"(^|[\s,/-])[0-7]([\s,/-]|$)")
DEFAULT_EVERY = "30m"


class RegistryError(ValueError):
    """A registry file that cannot be used; the message says where and how to fix it."""


class Health(BaseModel):
    """Per-outlet overrides of health-rule thresholds (monitoring)."""

    model_config = ConfigDict(extra="forbid")
    min_new_per_day: float | None = None
    max_error_ratio: float | None = None
    max_missing_field_ratio: float | None = None
    max_days_without_new: float | None = None
    runs_without_new: int | None = None


class Outlet(BaseModel):
    """One `[[outlet]]` entry of the registry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    region: str
    district: str = ""
    home: str
    family: str = "generic"
    feeds: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    every: str | None = None
    cron: str | None = None
    min_every: str | None = None  # adaptive cadence: never poll more often (default NEWSWATCH_SCHEDULE_MIN_EVERY)
    max_every: str | None = None  # adaptive cadence: never poll less often (default NEWSWATCH_SCHEDULE_MAX_EVERY)
    render: Literal["http", "js"] = "http"
    encoding: str = ""
    verified: bool = False
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
        if v not in REGIONS:
            raise ValueError(f"must be one of the 17 시도: {', '.join(REGIONS)}")
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

    @field_validator("every")
    @classmethod
    def _every(cls, v: str | None) -> str | None:
        if v is not None and not _EVERY.match(v.strip()):
            raise ValueError("write an interval such as '30m', '2h' or '1d'")
        return v

    @field_validator("min_every", "max_every")
    @classmethod
    def _bounds(cls, v: str | None) -> str | None:
        if v is not None and (not (m := _EVERY.match(v.strip())) or int(m.group(1)) == 0):
            raise ValueError("write a positive interval such as '2m', '6h' or '1d'")
        return v

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        if v is None:
            return v
        fields = v.split()
        if len(fields) != 5:
            raise ValueError("a cron expression has 5 fields: minute hour day month weekday")
        if _WEEKDAY_NUMBERS.search(fields[4]):
            raise ValueError(
                "name weekdays ('mon-fri'), not numbers: cron and APScheduler number them differently"
            )
        return v

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, v: str) -> str:
        if v:
            import codecs

            try:
                codecs.lookup(v)
            except LookupError as exc:
                raise ValueError(f"unknown encoding {v!r}; e.g. 'cp949' or 'utf-8'") from exc
        return v

    @model_validator(mode="after")
    def _schedule(self) -> Outlet:
        if self.every and self.cron:
            raise ValueError("give either 'every' or 'cron', not both")
        low, high = duration(self.min_every), duration(self.max_every)
        if low is not None and high is not None and low > high:
            raise ValueError(f"min_every {self.min_every!r} is longer than max_every {self.max_every!r}")
        return self

    @property
    def fixed(self) -> bool:
        """Whether the registry fixes this outlet's schedule (`every` or `cron`: adaptive cadence keeps out)."""
        return bool(self.every or self.cron)

    @property
    def interval(self) -> timedelta | None:
        """The `every` interval (default 30 minutes) unless a cron expression is given."""
        if self.cron:
            return None
        m = _EVERY.match((self.every or DEFAULT_EVERY).strip())
        assert m is not None
        return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


def duration(text: str | None) -> timedelta | None:
    """A registry interval ('30m', '2h') as a timedelta; None stays None."""
    if text is None:
        return None
    m = _EVERY.match(text.strip())
    if m is None:
        raise ValueError(f"{text!r} is not an interval such as '30m', '2h' or '1d'")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


class Registry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outlet: list[Outlet] = Field(default_factory=list)

    def by_id(self) -> dict[str, Outlet]:
        return {o.id: o for o in self.outlet}


def _describe(err: dict, data: dict, path: Path) -> str:
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


def load_registry(path: Path | None = None) -> Registry:
    """Read and validate the registry; raise RegistryError naming the outlet, key and fix."""
    path = path or paths.outlets_file()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RegistryError(
            f"{path}: cannot read the registry ({exc.strerror}); set NEWSWATCH_OUTLETS_FILE to an existing file"
        ) from exc
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
    for o in registry.outlet:
        if o.id in seen:
            raise RegistryError(f"{path}: outlet {o.id!r} appears twice; ids must be unique")
        seen.add(o.id)
    return registry
