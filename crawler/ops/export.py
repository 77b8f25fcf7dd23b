"""The weekly report: one row per matched story in a date range, as CSV, XLSX or HTML.

A story is in the range when it was first seen on one of its Seoul calendar days (both ends
included) and at least one of its articles matches the watchlist in its current version.
An empty range writes a valid file with the headers only (and, in XLSX/HTML, a note instead of
charts); the command says so and exits 0.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select

from crawler import paths
from crawler.ops.common import OpsError, seoul_day, seoul_end, seoul_start, seoul_text
from crawler.store.db import Database
from crawler.store.models import Article, Match, Story, StoryOutlet

FORMATS = ("csv", "xlsx", "html")
HEADERS = ["스토리 ID", "제목", "언론사", "처음 수집 (서울)", "보도 시각 (서울)", "점수", "일치 용어", "링크"]
EMPTY_NOTE = "해당 기간에 일치한 기사가 없습니다."
TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_DAYS = 366


@dataclass(frozen=True)
class ExportRow:
    """One story as the report shows it."""

    story_id: int
    title: str
    outlets: list[str]
    first_seen: datetime
    published: datetime | None
    score: float
    terms: list[str]
    links: list[str]

    def cells(self) -> list[object]:
        return [self.story_id, self.title, ", ".join(self.outlets), seoul_text(self.first_seen),
                seoul_text(self.published), round(self.score, 2), ", ".join(self.terms), "\n".join(self.links)]


@dataclass(frozen=True)
class Report:
    """The rows and the two charts' counts."""

    watchlist_id: str
    since: date
    until: date
    rows: list[ExportRow]
    per_day: list[tuple[str, int]]
    per_outlet: list[tuple[str, int]]


def outlet_names() -> dict[str, str]:
    """Outlet id -> name from the registry (ids alone when the registry cannot be read)."""
    try:
        from crawler.registry import load_registry

        return {o.id: o.name for o in load_registry().outlet}
    except Exception:  # noqa: BLE001 - a report must not fail over the registry
        return {}


def check_range(since: date, until: date) -> None:
    if until < since:
        raise OpsError(f"--until {until} is before --since {since}; swap them")
    if (until - since).days >= MAX_DAYS:
        raise OpsError(f"{since}..{until} is longer than {MAX_DAYS} days; export a year at most at a time")


def build_report(db: Database, watchlist_id: str, since: date, until: date) -> Report:
    """Collect the stories of the range (see module doc)."""
    check_range(since, until)
    names = outlet_names()
    with db.sessions() as s:
        found = s.execute(
            select(Story, Article, Match)
            .join(Article, Article.story_id == Story.id)
            .join(Match, (Match.article_id == Article.id) & (Match.article_version == Article.version))
            .where(Match.watchlist_id == watchlist_id, Match.relevant.is_(True),
                   Story.first_seen_at >= seoul_start(since), Story.first_seen_at < seoul_end(until))
            .order_by(Story.first_seen_at, Story.id, Article.id)
        ).all()
        stories: dict[int, tuple[Story, list[Match]]] = {}
        for story, _article, match in found:
            stories.setdefault(story.id, (story, []))[1].append(match)
        rows = []
        for sid, (story, matches) in stories.items():
            carried = s.execute(
                select(StoryOutlet.outlet_id, Article.url, Article.published_at)
                .join(Article, Article.id == StoryOutlet.article_id)
                .where(StoryOutlet.story_id == sid).order_by(StoryOutlet.first_seen_at)
            ).all()
            terms = list(dict.fromkeys(t for m in matches for t in m.terms))
            published = story.published_at or min((p for _, _, p in carried if p), default=None)
            rows.append(ExportRow(sid, story.title, [names.get(o, o) for o, _, _ in carried], story.first_seen_at,
                                  published, max(m.score for m in matches), terms, [u for _, u, _ in carried]))
    days = Counter(seoul_day(r.first_seen).isoformat() for r in rows)
    per_day = [((since + timedelta(days=i)).isoformat(), days.get((since + timedelta(days=i)).isoformat(), 0))
               for i in range((until - since).days + 1)]
    outlets = Counter(o for r in rows for o in r.outlets)
    per_outlet = sorted(outlets.items(), key=lambda kv: (-kv[1], kv[0]))
    return Report(watchlist_id, since, until, rows, per_day, per_outlet)


def default_path(watchlist_id: str, since: date, until: date, fmt: str) -> Path:
    """`$NEWSWATCH_HOME/artifacts/report-<watchlist>-<since>_<until>.<fmt>`."""
    return paths.artifacts_dir() / f"report-{watchlist_id}-{since.isoformat()}_{until.isoformat()}.{fmt}"


def write_report(report: Report, fmt: str, out: Path) -> Path:
    """Write the report in one format; the file is complete or absent (written aside, then renamed)."""
    if fmt not in FORMATS:
        raise OpsError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    {"csv": write_csv, "xlsx": write_xlsx, "html": write_html}[fmt](report, tmp)
    tmp.replace(out)
    return out


def write_csv(report: Report, path: Path) -> None:
    """UTF-8 with a BOM (Excel reads Korean correctly), CRLF rows."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        for row in report.rows:
            writer.writerow(row.cells())


def write_xlsx(report: Report, path: Path) -> None:
    """A workbook: the stories sheet, and a chart sheet with stories per day and per outlet."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "스토리"
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in report.rows:
        ws.append(row.cells())
        ws.cell(ws.max_row, 8).alignment = Alignment(wrap_text=True, vertical="top")
        if row.links:
            ws.cell(ws.max_row, 2).hyperlink = row.links[0]
    for col, width in zip("ABCDEFGH", (10, 60, 24, 18, 18, 8, 30, 60), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    charts = wb.create_sheet("차트")
    charts.append(["날짜", "스토리 수", None, "언론사", "스토리 수"])
    for i in range(max(len(report.per_day), len(report.per_outlet))):
        day = report.per_day[i] if i < len(report.per_day) else (None, None)
        outlet = report.per_outlet[i] if i < len(report.per_outlet) else (None, None)
        charts.append([day[0], day[1], None, outlet[0], outlet[1]])
    if not report.rows:
        charts["G2"] = EMPTY_NOTE
    else:
        charts.add_chart(_bar(BarChart, Reference, charts, 1, len(report.per_day), "일별 스토리 수", "날짜"), "G2")
        charts.add_chart(_bar(BarChart, Reference, charts, 4, len(report.per_outlet), "언론사별 스토리 수", "언론사"), "G20")
    wb.properties.title = f"{report.watchlist_id} {report.since}~{report.until}"
    wb.save(path)


def _bar(bar_chart, reference, ws, col: int, n: int, title: str, axis: str):  # type: ignore[no-untyped-def]
    """A bar chart over columns `col` (categories) and `col + 1` (counts), rows 2..n+1."""
    chart = bar_chart()
    chart.type = "col"
    chart.title = title
    chart.x_axis.title = axis
    chart.y_axis.title = "스토리 수"
    chart.legend = None
    chart.add_data(reference(ws, min_col=col + 1, min_row=1, max_row=n + 1), titles_from_data=True)
    chart.set_categories(reference(ws, min_col=col, min_row=2, max_row=n + 1))
    chart.width, chart.height = 24, 8
    return chart


def write_html(report: Report, path: Path) -> None:
    """A self-contained page: the table and CSS bar charts (no scripts, nothing fetched)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    top_day = max((n for _, n in report.per_day), default=0) or 1
    top_outlet = max((n for _, n in report.per_outlet), default=0) or 1
    html = env.get_template("export.html.j2").render(
        r=report, headers=HEADERS, is_web=lambda u: u.startswith(("http://", "https://")), empty_note=EMPTY_NOTE, seoul_text=seoul_text,
        day_bars=[(d, n, round(100 * n / top_day, 1)) for d, n in report.per_day],
        outlet_bars=[(o, n, round(100 * n / top_outlet, 1)) for o, n in report.per_outlet],
    )
    path.write_text(html, encoding="utf-8")
