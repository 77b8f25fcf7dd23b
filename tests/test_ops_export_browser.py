"""The weekly report's HTML form as a reader sees it in headless Chromium (a screenshot is kept)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crawler.commands.ops import main
from crawler.store import Database
from tests.support.browser import chromium_run
from tests.support.ops import WL
from tests.test_ops_export import SINCE, UNTIL, _stories, wl_dir  # noqa: F401  (fixture)


def _chromium(binary: str, tmp: Path, *args: str) -> str:
    profile = tmp / "chromium-profile"
    out = chromium_run(binary, profile, *args)
    shutil.rmtree(profile, ignore_errors=True)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.mark.browser
def test_html_report_in_chromium(db: Database, wl_dir: Path, home: Path, tmp_path: Path,  # noqa: F811
                                 chromium: str) -> None:
    _stories(db)
    assert main(["export", "--watchlist", WL, "--since", SINCE, "--until", UNTIL, "--format", "html"]) == 0
    report = home / "artifacts" / f"report-{WL}-{SINCE}_{UNTIL}.html"
    dom = _chromium(chromium, tmp_path, "--dump-dom", report.as_uri())
    # what a reader sees: Korean headers, each story once with its outlets, the markup shown as text
    assert "제목" in dom and "매체" in dom and "언론사" not in dom  # one word for an outlet everywhere
    assert dom.count("인천 의료관광 &lt;박람회&gt; 개막") == 1
    assert "incheonnuri" in dom or "인천" in dom
    assert "<박람회>" not in dom.replace("&lt;박람회&gt;", "")
    assert "날씨" not in dom, "an unmatched article is not in the report"
    shot = home / "artifacts" / "report.png"
    _chromium(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1200,1600", report.as_uri())
    assert shot.stat().st_size > 10_000
