"""The demo outlets and their articles, read from the packaged data files (`data/*.toml`).

Article records hold ages, not dates: `demo_articles(anchor)` turns them into dated articles, so
the same anchor always gives the same site, byte for byte.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from crawler.clock import SEOUL as KST

DATA_DIR = Path(__file__).resolve().parent / "data"

FAMILIES = ("ndsoft", "gnuboard")
TIME_META = ("kst", "utc", "none")  # how article:published_time is written, or "none" for absent
KINDS = (
    "reference1",
    "reference2",
    "positive",
    "hard-negative",
    "negative",
    "syndicated",
    "synthetic",
)
GNUBOARD_TABLE = "news"


class ContentError(ValueError):
    """A data file that cannot be used; the message names the file, the record and the fix."""


@dataclass(frozen=True)
class Section:
    code: str  # NDSoft section code, e.g. "S1N5"
    name: str  # Korean section name shown in breadcrumbs and lists


@dataclass(frozen=True)
class Outlet:
    """One fictional outlet: identity, family, encoding and the bits of chrome that differ."""

    id: str
    name: str
    region: str
    district: str
    family: str
    sections: tuple[Section, ...]
    scope: str = ""  # local | regional | trade; "" = the registry's default (local with a district)
    encoding: str = "utf-8"  # Python codec of the served bytes: "utf-8" or "cp949"
    time_meta: str = "kst"
    heading_tag: str = "h1"  # NDSoft skins use h1.heading or h3.heading
    date_label: str = "입력"
    disallow: tuple[str, ...] = ("/admin/",)
    popular: tuple[int, ...] = ()  # article ids of the "가장 많이 본 뉴스" box, in order
    mail_domain: str = ""
    slogan: str = ""
    address: str = ""
    phone: str = ""
    registration: str = ""
    publisher: str = ""
    editor: str = ""
    synthetic_articles: int = 0  # > 0: a scale-mode outlet whose articles scale.py generates

    @property
    def charset(self) -> str:
        """The charset label the server declares."""
        return "euc-kr" if self.encoding == "cp949" else "utf-8"

    def section(self, code: str) -> Section:
        for section in self.sections:
            if section.code == code:
                return section
        raise KeyError(f"outlet {self.id!r} has no section {code!r}")


@dataclass(frozen=True)
class DemoArticle:
    """One article as served, with the ground truth tests and the demo compare against."""

    outlet: str
    id: int
    path: str  # path and query on the outlet's server, e.g. "/news/articleView.html?idxno=1001"
    section: Section
    title: str
    subtitle: str  # may hold several lines ("\n"), shown as bullet summary lines
    reporter: str  # without the "기자" suffix
    paragraphs: tuple[str, ...]
    caption: str
    age_hours: float
    modified_after_hours: float | None
    expect_relevant: bool
    story: str  # same non-empty id = the same press release in several outlets
    kind: str
    published_at: datetime  # Asia/Seoul
    modified_at: datetime | None
    robots_blocked: bool = False

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)

    @property
    def updated_at(self) -> datetime:
        return self.modified_at or self.published_at


def parse_anchor(value: str | datetime | None = None) -> datetime:
    """The anchor as an aware Asia/Seoul datetime floored to the minute (naive = Seoul time).

    Accepts ISO 8601 text, a datetime, or None for now.
    """
    if value is None or value == "":
        moment = datetime.now(KST)
    else:
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        except ValueError:
            raise ValueError(
                f"anchor {value!r} is not ISO 8601; write e.g. 2026-01-02T12:00:00+09:00"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=KST)
    return moment.astimezone(KST).replace(second=0, microsecond=0)


def article_path(family: str, article_id: int) -> str:
    if family == "gnuboard":
        return f"/bbs/board.php?bo_table={GNUBOARD_TABLE}&wr_id={article_id}"
    return f"/news/articleView.html?idxno={article_id}"


def article_url(base_url: str, article: DemoArticle) -> str:
    """The absolute URL of an article on a running server (`base_url` as `start()` returned it)."""
    return base_url.rstrip("/") + article.path


def is_disallowed(outlet: Outlet, path: str) -> bool:
    """Whether robots.txt (plain prefix rules, no wildcards) forbids `path` to every agent."""
    return any(path.startswith(rule) for rule in outlet.disallow)


def resolve(record: Mapping[str, Any], outlet: Outlet, anchor: datetime) -> DemoArticle:
    """A dated article from an age-based record."""
    age = float(record["age_hours"])
    published = _minute(anchor - timedelta(hours=age))
    after = record.get("modified_after_hours")
    modified = _minute(published + timedelta(hours=float(after))) if after is not None else None
    path = article_path(outlet.family, int(record["id"]))
    return DemoArticle(
        outlet=outlet.id,
        id=int(record["id"]),
        path=path,
        section=outlet.section(record["section"]),
        title=record["title"],
        subtitle=record.get("subtitle", ""),
        reporter=record["reporter"],
        paragraphs=tuple(record["paragraphs"]),
        caption=record.get("caption", ""),
        age_hours=age,
        modified_after_hours=float(after) if after is not None else None,
        expect_relevant=bool(record["expect_relevant"]),
        story=record.get("story", ""),
        kind=record["kind"],
        published_at=published,
        modified_at=modified,
        robots_blocked=is_disallowed(outlet, path),
    )


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


# --- loading the data files ------------------------------------------------------------------

_OUTLET_KEYS = {
    "id",
    "name",
    "region",
    "district",
    "scope",
    "family",
    "encoding",
    "time_meta",
    "heading_tag",
    "date_label",
    "disallow",
    "popular",
    "mail_domain",
    "slogan",
    "address",
    "phone",
    "registration",
    "publisher",
    "editor",
}
_ARTICLE_REQUIRED = {
    "id",
    "section",
    "title",
    "reporter",
    "paragraphs",
    "age_hours",
    "expect_relevant",
    "kind",
}
_ARTICLE_KEYS = _ARTICLE_REQUIRED | {"subtitle", "caption", "modified_after_hours", "story"}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{path}: not valid TOML: {exc}") from exc


@cache
def chrome() -> dict[str, Any]:
    """Shared page furniture: sections, weather stations, menus, footer lines."""
    return _read_toml(DATA_DIR / "chrome.toml")


def default_sections() -> tuple[Section, ...]:
    return tuple(Section(s["code"], s["name"]) for s in chrome()["sections"])


@cache
def demo_outlets() -> tuple[Outlet, ...]:
    """The bundled demo outlets, in registry order (outlet i listens on port base + i)."""
    path = DATA_DIR / "outlets.toml"
    return tuple(_outlet(entry, path) for entry in _read_toml(path)["outlet"])


def _outlet(entry: dict[str, Any], path: Path) -> Outlet:
    unknown = set(entry) - _OUTLET_KEYS
    if unknown:
        raise ContentError(f"{path}: outlet {entry.get('id')!r}: unknown keys {sorted(unknown)}")
    values = dict(entry)
    if values["family"] not in FAMILIES:
        raise ContentError(f"{path}: outlet {values['id']!r}: family must be one of {FAMILIES}")
    if values.get("time_meta", "kst") not in TIME_META:
        raise ContentError(f"{path}: outlet {values['id']!r}: time_meta must be one of {TIME_META}")
    values["disallow"] = tuple(values.get("disallow", ("/admin/",)))
    values["popular"] = tuple(values.get("popular", ()))
    return Outlet(sections=default_sections(), **values)


@cache
def article_records() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(outlet id, raw record) for every article data file, checked once."""
    outlets = {o.id: o for o in demo_outlets()}
    out: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(DATA_DIR.glob("articles_*.toml")):
        data = _read_toml(path)
        outlet = outlets.get(data.get("outlet", ""))
        if outlet is None:
            raise ContentError(f"{path}: top-level 'outlet' must name one of {sorted(outlets)}")
        for record in data.get("article", []):
            _check_record(record, outlet, path)
            out.append((outlet.id, record))
    return tuple(out)


def _check_record(record: dict[str, Any], outlet: Outlet, path: Path) -> None:
    where = f"{path}: article {record.get('id')!r}"
    missing = _ARTICLE_REQUIRED - set(record)
    unknown = set(record) - _ARTICLE_KEYS
    if missing:
        raise ContentError(f"{where}: missing keys {sorted(missing)}; add them")
    if unknown:
        raise ContentError(f"{where}: unknown keys {sorted(unknown)}; remove or fix them")
    if record["kind"] not in KINDS:
        raise ContentError(f"{where}: kind must be one of {KINDS}")
    if record["section"] not in {s.code for s in outlet.sections}:
        raise ContentError(f"{where}: section {record['section']!r} is not defined in chrome.toml")
    after = record.get("modified_after_hours")
    if after is not None and after >= record["age_hours"]:
        raise ContentError(f"{where}: modified_after_hours must be below age_hours")


def demo_articles(anchor: datetime) -> list[DemoArticle]:
    """Every demo article dated against `anchor`, in data-file order."""
    outlets = {o.id: o for o in demo_outlets()}
    return [resolve(record, outlets[oid], anchor) for oid, record in article_records()]


def articles_by_outlet(articles: Iterable[DemoArticle]) -> dict[str, list[DemoArticle]]:
    """Articles grouped per outlet, newest first."""
    grouped: dict[str, list[DemoArticle]] = {}
    for article in articles:
        grouped.setdefault(article.outlet, []).append(article)
    for items in grouped.values():
        items.sort(key=lambda a: (a.published_at, a.id), reverse=True)
    return grouped


def find_article(articles: Sequence[DemoArticle], outlet: str, article_id: int) -> DemoArticle:
    for article in articles:
        if article.outlet == outlet and article.id == article_id:
            return article
    raise KeyError(f"no article {article_id} on {outlet!r}")
