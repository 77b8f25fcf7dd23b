"""The weekly report (주간 보고): one row per matched story published in a date range, as CSV, XLSX or HTML.

A story is in the range when it was first published (any outlet; first seen when no outlet gave
a date) on one of the range's Seoul calendar days, both ends included, and one of its articles
matches the watchlist in its current version. Rows and the daily chart go by that publication
date, oldest first. Each story is shown by its representative article with the mail's and the
dashboard's figures (`crawler.alert.explain`). An empty range writes a valid file with the
headers only (and, in XLSX/HTML, a note instead of charts); the command says so and exits 0.

XLSX and HTML also show the office's press releases released in the range (`crawler.releases`):
per release the outlets that carried it (by Korean name), when (Seoul time, hours after the
release), verbatim / trimmed / rewritten, the regions, and the releases nobody carried. CSV keeps
one table of stories (a spreadsheet reading it expects one header row).

A scraped cell starting with = + - @ (or a tab or CR) would run as a formula in a spreadsheet:
CSV gets a leading apostrophe; XLSX stores it as text.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import func, select

from crawler import paths
from crawler.alert.explain import level, score_text
from crawler.alert.views import representatives, watchlist_names
from crawler.clock import SEOUL, korean_date, korean_time
from crawler.ops.common import OpsError, seoul_day, seoul_end, seoul_start
from crawler.registry import RegistryError, load_registry
from crawler.releases import report as release_report
from crawler.releases.digest import echo_rows
from crawler.store.db import Database
from crawler.store.models import Article, Match, Story

FORMATS = ("csv", "xlsx", "html")
HEADERS = ["보도 번호", "보도 일시 (서울)", "제목", "매체", "관련도", "점수", "이유", "핵심어", "링크"]
EMPTY_NOTE = "이 기간에 처음 보도된 관련 보도가 없습니다."
TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_DAYS = 366
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: object) -> object:
    """A text cell a spreadsheet would read as a formula, with a leading apostrophe (CSV)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@dataclass(frozen=True)
class ExportRow:
    """One story as the report shows it."""

    story_id: int
    title: str
    outlets: list[str]  # names, the representative's first
    published: datetime  # the story's first publication (first seen when no outlet gave a date)
    level: str
    score: float
    reason: str
    terms: list[str]  # key terms
    links: list[str]  # the representative's first

    def cells(self) -> list[object]:
        """The row as text and numbers (CSV); XLSX writes `published` as a real date."""
        return [self.story_id, seoul_stamp(self.published), self.title, ", ".join(self.outlets), self.level,
                float(score_text(self.score)), self.reason, ", ".join(self.terms), "\n".join(self.links)]


def seoul_stamp(when: datetime) -> str:
    """'2026-12-07 08:30' (Seoul): sortable in a spreadsheet."""
    return when.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class Report:
    """The rows and the two charts' counts."""

    watchlist_id: str
    watchlist_name: str
    since: date
    until: date
    rows: list[ExportRow]
    per_day: list[tuple[str, int]]
    per_outlet: list[tuple[str, int]]
    releases: list[dict[str, Any]] = field(default_factory=list)  # `crawler.releases.digest.echo_rows`


def check_range(since: date, until: date) -> None:
    if until < since:
        raise OpsError(f"--until {until} is before --since {since}; swap them")
    if (until - since).days >= MAX_DAYS:
        raise OpsError(f"{since}..{until} is longer than {MAX_DAYS} days; export a year at most at a time")


def build_report(db: Database, watchlist_id: str, since: date, until: date) -> Report:
    """Collect the stories of the range (see module doc)."""
    check_range(since, until)
    try:
        registry = {o.id: o for o in load_registry().outlet}
    except RegistryError:
        registry = {}
    names = {k: o.name for k, o in registry.items()}
    regions = {k: o.region for k, o in registry.items()}
    first_published = func.coalesce(Story.published_at, Story.first_seen_at)
    with db.sessions() as s:
        ids = set(s.scalars(
            select(Story.id).join(Article, Article.story_id == Story.id)
            .join(Match, (Match.article_id == Article.id) & (Match.article_version == Article.version))
            .where(Match.watchlist_id == watchlist_id, Match.relevant.is_(True),
                   first_published >= seoul_start(since), first_published < seoul_end(until))))
        stories = {st.id: st for st in s.scalars(select(Story).where(Story.id.in_(ids)))} if ids else {}
        shown = representatives(s, set(stories), watchlist_id, regions)
        urls = dict(s.execute(select(Article.id, func.coalesce(Article.canonical_url, Article.url)).where(
            Article.story_id.in_(list(stories)))).all()) if stories else {}
    rows = []
    for sid, rep in shown.items():
        story = stories[sid]
        carriers = sorted(rep.carriers, key=lambda c: (c.article_id != rep.article_id,
                                                       c.published_at or c.first_seen_at))
        rows.append(ExportRow(
            sid, rep.title or story.title, [names.get(c.outlet_id, c.outlet_id) for c in carriers],
            rep.first_published or story.published_at or story.first_seen_at, level(rep.score, rep.threshold),
            rep.score, rep.why.reason, list(rep.why.key_terms), [urls.get(c.article_id, "") for c in carriers]))
    rows.sort(key=lambda r: (r.published, r.story_id))
    days = Counter(seoul_day(r.published).isoformat() for r in rows)
    per_day = [((since + timedelta(days=i)).isoformat(), days.get((since + timedelta(days=i)).isoformat(), 0))
               for i in range((until - since).days + 1)]
    outlets = Counter(o for r in rows for o in dict.fromkeys(r.outlets))
    per_outlet = sorted(outlets.items(), key=lambda kv: (-kv[1], kv[0]))
    name = watchlist_names([watchlist_id])[watchlist_id]

    with db.sessions() as s:
        releases = [r for r in release_report(s, seoul_start(since), regions) if r.released_at < seoul_end(until)]
    return Report(watchlist_id, name, since, until, rows, per_day, per_outlet,
                  echo_rows(releases, {k: v for k, v in names.items() if v}))


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
    """UTF-8 with a BOM (Excel reads Korean correctly), CRLF rows, formula-like text defused."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        for row in report.rows:
            writer.writerow([defuse(c) for c in row.cells()])


def write_xlsx(report: Report, path: Path) -> None:
    """A workbook: the stories sheet (real dates, an autofilter, the daily chart) and a chart sheet."""
    # start-up time: openpyxl is loaded only when this runs
    from openpyxl import Workbook

    # start-up time: openpyxl is loaded only when this runs
    from openpyxl.chart import BarChart, Reference

    # start-up time: openpyxl is loaded only when this runs
    from openpyxl.styles import Alignment, Font


    wb = Workbook()
    ws = wb.active
    ws.title = "보도"
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in report.rows:
        values = row.cells()
        values[1] = row.published.astimezone(SEOUL).replace(tzinfo=None)  # Excel has no time zones
        ws.append(values)
        r = ws.max_row
        ws.cell(r, 2).number_format = "yyyy-mm-dd hh:mm"
        for c in range(1, len(HEADERS) + 1):
            cell = ws.cell(r, c)
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with
        ws.cell(r, 9).alignment = Alignment(wrap_text=True, vertical="top")
        if row.links and row.links[0].startswith(("http://", "https://")):
            ws.cell(r, 3).hyperlink = row.links[0]
    for col, width in zip("ABCDEFGHI", (9, 17, 60, 24, 8, 7, 30, 30, 60), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:I{max(1, ws.max_row)}"
    charts = wb.create_sheet("차트")
    charts.append(["날짜", "보도 수", None, "매체", "보도 수"])
    for i in range(max(len(report.per_day), len(report.per_outlet))):
        day = report.per_day[i] if i < len(report.per_day) else (None, None)
        outlet = report.per_outlet[i] if i < len(report.per_outlet) else (None, None)
        charts.append([date.fromisoformat(day[0]) if day[0] else None, day[1], None, outlet[0], outlet[1]])
        if day[0]:
            charts.cell(charts.max_row, 1).number_format = "mm-dd (aaa)"
    if not report.rows:
        charts["G2"] = EMPTY_NOTE
    else:
        charts.add_chart(_bar(BarChart, Reference, charts, 1, len(report.per_day), "일별 보도 수 (처음 보도된 날)", "날짜"), "G2")
        charts.add_chart(_bar(BarChart, Reference, charts, 4, len(report.per_outlet), "매체별 보도 수", "매체"), "G20")
        ws.add_chart(_bar(BarChart, Reference, charts, 1, len(report.per_day), "일별 보도 수 (처음 보도된 날)", "날짜"), "K2")
    _releases_sheet(wb, report)
    wb.properties.title = f"{report.watchlist_name} {report.since}~{report.until}"
    wb.save(path)


RELEASE_HEADERS = ["보도자료", "배포 일시 (서울)", "매체", "지역", "보도 일시 (서울)", "배포 후 시간", "반영 방식",
                   "원문 문장 비율", "제목 변경", "기사 제목", "링크"]
NOBODY = "아직 실은 매체가 없습니다."


def _releases_sheet(wb: Any, report: Report) -> None:
    """The sheet "보도자료 반영": one row per article that carried a release of the range, and one
    row per release nobody carried (its outlet cell says so)."""
    if not report.releases:
        return
    # start-up time: openpyxl is loaded only when this runs
    from openpyxl.styles import Font

    ws = wb.create_sheet("보도자료 반영")
    ws.append(RELEASE_HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    lines = []
    for rel in report.releases:
        if not rel["pickups"]:
            lines.append([rel["title"], rel["released"], NOBODY])
        lines += [[rel["title"], rel["released"], p["outlet"], p["region"], p["seen"], f"{p['hours']}시간",
                   p["kind"], p["verbatim"], "예" if p["new_headline"] else "", p["title"], p["url"]]
                  for p in rel["pickups"]]
    for line in lines:
        ws.append(line)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # scraped titles: text, never a formula
    for col, width in zip("ABCDEFGHIJK", (40, 17, 16, 8, 17, 10, 10, 10, 8, 50, 50), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"


def _bar(bar_chart, reference, ws, col: int, n: int, title: str, axis: str):
    """A bar chart over columns `col` (categories) and `col + 1` (counts), rows 2..n+1."""
    chart = bar_chart()
    chart.type = "col"
    chart.title = title
    chart.x_axis.title = axis
    chart.y_axis.title = "보도 수"
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
        r=report, headers=HEADERS, is_web=lambda u: u.startswith(("http://", "https://")), empty_note=EMPTY_NOTE,
        korean_time=korean_time, score_text=score_text,
        title_range=f"{korean_date(seoul_start(report.since))} ~ {korean_date(seoul_start(report.until))}",
        day_bars=[(korean_date(seoul_start(date.fromisoformat(d))).split("년 ", 1)[1], n, round(100 * n / top_day, 1))
                  for d, n in report.per_day],
        outlet_bars=[(o, n, round(100 * n / top_outlet, 1)) for o, n in report.per_outlet],
        nobody=NOBODY,
    )
    path.write_text(html, encoding="utf-8")
