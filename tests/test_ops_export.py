"""`newswatch export`: CSV with a BOM, a real XLSX with charts, a self-contained HTML page; empty ranges."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import lxml.html
import openpyxl
import pytest

from crawler.commands.ops import main
from crawler.ops.export import EMPTY_NOTE, HEADERS
from crawler.store import Database
from tests.support.ops import RECIPIENTS, WATCHLIST_V1, WL, add_article, write_watchlist

SEOUL = ZoneInfo("Asia/Seoul")
TODAY = datetime.now(SEOUL).date()
SINCE = (TODAY - timedelta(days=6)).isoformat()
UNTIL = TODAY.isoformat()


@pytest.fixture
def wl_dir(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = home / "watchlists"
    write_watchlist(d, WATCHLIST_V1)
    (home / "recipients.toml").write_text(RECIPIENTS, encoding="utf-8")
    monkeypatch.setenv("NEWSWATCH_WATCHLISTS_DIR", str(d))
    monkeypatch.setenv("NEWSWATCH_RECIPIENTS_FILE", str(home / "recipients.toml"))
    return d


def _stories(db: Database) -> None:
    """Two matched stories (one in two outlets), one unmatched, one matched long before the range."""
    day = datetime.now(UTC) - timedelta(days=1)
    first = add_article(db, title="인천 의료관광 <박람회> 개막", body="의료관광 박람회", outlet="incheonnuri",
                        published_at=day - timedelta(hours=1), first_seen_at=day, match=9.5,
                        terms=["의료관광", "박람회"])
    add_article(db, title="의료관광 박람회 열려", body="의료관광 박람회", outlet="busanmaru", first_seen_at=day,
                story_id=first.story_id, match=7.0, terms=["의료관광"])
    add_article(db, title="외국인 환자 유치 설명회", body="의료관광 설명회", outlet="dalgubeol",
                first_seen_at=datetime.now(UTC) - timedelta(days=3), match=6.0)
    add_article(db, title="날씨", body="맑음", outlet="dalgubeol", first_seen_at=day)
    add_article(db, title="작년 의료관광", body="의료관광", first_seen_at=datetime.now(UTC) - timedelta(days=60),
                match=8.0)


def test_csv_has_bom_korean_headers_and_one_row_per_story(db: Database, wl_dir: Path, home: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    _stories(db)
    assert main(["export", "--watchlist", WL, "--since", SINCE, "--until", UNTIL, "--format", "csv"]) == 0
    out = home / "artifacts" / f"report-{WL}-{SINCE}_{UNTIL}.csv"
    assert str(out) in capsys.readouterr().out
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == HEADERS
    assert len(rows) == 3
    by_title = {r[2]: r for r in rows[1:]}
    first = by_title["인천 의료관광 <박람회> 개막"]
    assert first[5] == "9.5" and first[7] == "의료관광, 박람회"
    assert first[3].split(", ")[0] == "incheonnuri" and len(first[3].split(", ")) == 2
    assert len(first[8].splitlines()) == 2
    assert first[1].count(":") == 1  # Seoul wall-clock time, no offset
    assert [r[1] for r in rows[1:]] == sorted(r[1] for r in rows[1:])  # by publication, oldest first


def test_xlsx_reads_back_with_rows_and_charts(db: Database, wl_dir: Path, tmp_path: Path) -> None:
    _stories(db)
    out = tmp_path / "주간.xlsx"
    assert main(["export", "--watchlist", WL, "--since", SINCE, "--until", UNTIL, "--format", "xlsx",
                 "--out", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    ws = wb["보도"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS and len(rows) == 3
    assert all(isinstance(r[1], datetime) for r in rows[1:])  # real dates: a filter and a sort work
    assert ws.auto_filter.ref == "A1:I3"
    charts = wb["차트"]
    assert len(charts._charts) == 2
    days = [r for r in charts.iter_rows(min_row=2, max_col=2, values_only=True) if r[0]]
    assert len(days) == 7 and sum(n for _, n in days) == 2
    assert all(isinstance(d, datetime) for d, _ in days)


def test_html_is_self_contained_with_bar_charts(db: Database, wl_dir: Path, tmp_path: Path) -> None:
    _stories(db)
    out = tmp_path / "report.html"
    assert main(["export", "--watchlist", WL, "--since", SINCE, "--until", UNTIL, "--format", "html",
                 "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    doc = lxml.html.fromstring(text)
    assert [th.text_content() for th in doc.xpath("//table[@class='stories']//th")] == HEADERS
    assert len(doc.xpath("//table[@class='stories']/tbody/tr")) == 2
    assert len(doc.xpath("//div[@id='per-day']/div[@class='bar-row']")) == 7
    assert len(doc.xpath("//div[@id='per-outlet']/div[@class='bar-row']")) == 3
    assert not doc.xpath("//script") and "http" not in "".join(doc.xpath("//link/@href"))
    assert "&lt;박람회&gt;" in text  # scraped titles are escaped


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "html"])
def test_empty_range_writes_a_valid_empty_file(db: Database, wl_dir: Path, tmp_path: Path, fmt: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"empty.{fmt}"
    assert main(["export", "--watchlist", WL, "--since", SINCE, "--until", UNTIL, "--format", fmt,
                 "--out", str(out)]) == 0
    assert "no stories matched" in capsys.readouterr().out
    if fmt == "csv":
        with out.open(encoding="utf-8-sig", newline="") as fh:
            assert list(csv.reader(fh)) == [HEADERS]
    elif fmt == "xlsx":
        wb = openpyxl.load_workbook(out)
        assert [list(r) for r in wb["보도"].iter_rows(values_only=True)] == [HEADERS]
        assert wb["차트"]["G2"].value == EMPTY_NOTE
    else:
        doc = lxml.html.fromstring(out.read_text(encoding="utf-8"))
        assert EMPTY_NOTE in doc.text_content()
        assert not doc.xpath("//table[@class='stories']/tbody/tr")


def test_rows_and_the_daily_chart_go_by_publication_date(db: Database, wl_dir: Path, tmp_path: Path) -> None:
    """Crawled today, published weeks ago: not this week's news; the chart counts publication days."""
    now = datetime.now(UTC)
    add_article(db, title="석 달 전 의료관광 기사", body="의료관광", published_at=now - timedelta(days=20),
                first_seen_at=now, match=9.0)
    add_article(db, title="나흘 전 의료관광 기사", body="의료관광", published_at=now - timedelta(days=4),
                first_seen_at=now, match=9.0)
    add_article(db, title="이틀 전 의료관광 기사", body="의료관광", published_at=now - timedelta(days=2),
                first_seen_at=now, match=9.0)
    out = tmp_path / "week.csv"
    assert main(["export", "--watchlist", WL, "--since", SINCE, "--until", UNTIL, "--format", "csv",
                 "--out", str(out)]) == 0
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    assert [r[2] for r in rows] == ["나흘 전 의료관광 기사", "이틀 전 의료관광 기사"]
    from crawler.ops.export import build_report

    report = build_report(db, WL, TODAY - timedelta(days=6), TODAY)
    counts = dict(report.per_day)
    assert counts[(now - timedelta(days=4)).astimezone(SEOUL).date().isoformat()] == 1
    assert counts[(now - timedelta(days=2)).astimezone(SEOUL).date().isoformat()] == 1
    assert counts[TODAY.isoformat()] == 0  # the crawl day is not the news day


@pytest.mark.parametrize("title", ["=HYPERLINK(\"http://evil.example\",\"클릭\")", "+82 의료관광", "-의료관광", "@SUM(A1)"])
def test_formula_like_cells_stay_text(db: Database, wl_dir: Path, tmp_path: Path, title: str) -> None:
    add_article(db, title=title, body="의료관광", published_at=datetime.now(UTC) - timedelta(hours=2), match=9.0)
    since, until = SINCE, UNTIL
    assert main(["export", "--watchlist", WL, "--since", since, "--until", until, "--format", "csv",
                 "--out", str(tmp_path / "x.csv")]) == 0
    with (tmp_path / "x.csv").open(encoding="utf-8-sig", newline="") as fh:
        (row,) = list(csv.reader(fh))[1:]
    assert row[2] == "'" + title
    assert main(["export", "--watchlist", WL, "--since", since, "--until", until, "--format", "xlsx",
                 "--out", str(tmp_path / "x.xlsx")]) == 0
    cell = openpyxl.load_workbook(tmp_path / "x.xlsx")["보도"]["C2"]
    assert cell.value == title and cell.data_type == "s"  # shown as written, never evaluated


@pytest.mark.parametrize(("since", "until", "message"), [
    (UNTIL, SINCE, "before --since"),
    ("1999-01-01", UNTIL, "before 2000"),
    (SINCE, (TODAY + timedelta(days=2)).isoformat(), "in the future"),
])
def test_bad_ranges_are_refused(wl_dir: Path, home: Path, since: str, until: str, message: str,
                                capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(["export", "--watchlist", WL, "--since", since, "--until", until, "--format", "csv"])
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (home / "artifacts").exists()
