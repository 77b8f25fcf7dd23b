"""What a shell user expects of `newswatch`: --version, JSON output, tables not cut in a pipe, help."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.cli import build_parser, main
from tests.support.env import ROOT

LONG_NAME = "경기남부권역통합인터넷신문협동조합소식"  # longer than a default 80-column table cell
REGISTRY = f"""
[[outlet]]
id = "longname"
name = "{LONG_NAME}"
region = "경기"
home = "https://longname.example/"
"""


@pytest.fixture
def registry(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = home / "outlets.toml"
    path.write_text(REGISTRY, encoding="utf-8")
    monkeypatch.setenv("NEWSWATCH_OUTLETS_FILE", str(path))
    return path


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("newswatch ")


def test_every_subcommand_has_a_one_line_description() -> None:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {a.dest: a.help for a in sub._choices_actions}
    assert set(helps) == set(sub.choices)
    assert all(h and h.strip() and "\n" not in h for h in helps.values()), helps


def test_outlets_json(registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["outlets", "--json"]) == 0
    (outlet,) = json.loads(capsys.readouterr().out)
    assert (outlet["id"], outlet["name"], outlet["region"]) == ("longname", LONG_NAME, "경기")


def test_a_table_in_a_pipe_is_not_cut(registry: Path, home: Path) -> None:
    env = {**os.environ, "NEWSWATCH_OUTLETS_FILE": str(registry), "NEWSWATCH_HOME": str(home), "COLUMNS": "80"}
    done = subprocess.run([sys.executable, "-m", "crawler.cli", "outlets"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert LONG_NAME in done.stdout and "…" not in done.stdout


def test_send_json_on_an_empty_outbox(home: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    recipients = home / "recipients.toml"
    recipients.write_text('[[recipient]]\naddress = "team@city.example"\nwatchlists = ["medical-tourism"]\n',
                          encoding="utf-8")
    monkeypatch.setenv("NEWSWATCH_RECIPIENTS_FILE", str(recipients))
    monkeypatch.setenv("NEWSWATCH_DB_URL", f"sqlite:///{home / 'newswatch.db'}")
    assert main(["send", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["mails_sent"] == 0 and report["failed"] == 0 and report["recipients"] == []


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_scrapy_feed_export_writes_the_extracted_fields(fmt: str) -> None:
    """`scrapy crawl <outlet> -O items.jsonl|csv`: the pipelines' item holds sets and objects; the
    feed gets one flat row per article."""
    import csv
    import io
    from datetime import UTC, datetime

    from crawler.feedexport import ArticleCsvExporter, ArticleJsonLinesExporter
    from crawler.types import ArticleRecord, Extracted, MatchResult

    when = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)
    item = ArticleRecord(
        outlet_id="incheonnuri", url="https://incheonnuri.example/1", request_url="https://incheonnuri.example/1",
        family="ndsoft", fetched_at=when,
        extracted=Extracted(title="인천시, 의료관광 팸투어", body="첫 문단.\n둘째 문단, \"따옴표\"", authors=["기자"],
                            published_at=when),
        story_features=frozenset({1, 2}),
        matches=[MatchResult(watchlist="medical-tourism", score=12.5, threshold=6, rule="r"),
                 MatchResult(watchlist="wellness", score=1.0, threshold=6, rule="r")])
    out = io.BytesIO()
    exporter = (ArticleJsonLinesExporter if fmt == "jsonl" else ArticleCsvExporter)(out)
    exporter.start_exporting()
    exporter.export_item(item)
    exporter.finish_exporting()
    text = out.getvalue().decode("utf-8")
    if fmt == "jsonl":
        (row,) = [json.loads(line) for line in text.splitlines()]
    else:
        (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["outlet"] == "incheonnuri" and row["title"] == "인천시, 의료관광 팸투어"
    assert row["body"] == "첫 문단.\n둘째 문단, \"따옴표\"" and row["matched"] == "medical-tourism"
    assert str(row["published_at"]).startswith("2026-12-07T08:30")


def test_a_malformed_web_url_stops_send_with_the_fix(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    recipients = home / "recipients.toml"
    recipients.write_text('[[recipient]]\naddress = "team@city.example"\nwatchlists = ["medical-tourism"]\n',
                          encoding="utf-8")
    monkeypatch.setenv("NEWSWATCH_RECIPIENTS_FILE", str(recipients))
    monkeypatch.setenv("NEWSWATCH_WEB_URL", "newswatch.city.example")  # no scheme: links would be relative
    assert main(["send"]) == 2
    assert "NEWSWATCH_WEB_URL" in capsys.readouterr().err
