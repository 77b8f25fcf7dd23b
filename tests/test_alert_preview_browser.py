"""`newswatch digest --preview FILE.html` opened in headless Chromium: what a reader sees.

The preview is rendered by the real command (a subprocess, as an operator runs it) from a SQLite
store with a few stories: a title carrying markup and a script plus emoji, a 2,000-character
title, and a story carried by three outlets. Chromium's `--dump-dom` gives the document after
parsing and any script; `--screenshot` at a phone width is kept under
`$NEWSWATCH_HOME/artifacts/digest-preview.png` for a person to look at.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from crawler.store import Database
from crawler.store.models import utcnow
from tests.support.browser import chromium_run
from tests.support.mail import CITY_TEAM, TEAM, mail_only_env
from tests.support.stories import add_pending

PHONE = (400, 2400)
SCRIPT_TITLE = "<script>alert(1)</script> 부산 의료관광 🏥✨ 설명회 😀"
LONG_TITLE = ("강릉해변웰니스관광" * 250)[:1000] + ("강릉 해변 웰니스 관광 " * 100)[:1000]
RECIPIENTS = CITY_TEAM + """
[[maintainer]]
address = "ops@city.example"
name = "운영 담당"
"""


@pytest.fixture
def preview(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The preview file of a store with three pending stories, written by `newswatch digest`."""
    env = {
        **os.environ,
        "NEWSWATCH_HOME": str(home),
        "NEWSWATCH_DB_URL": f"sqlite:///{home / 'newswatch.db'}",
        **mail_only_env(tmp_path, RECIPIENTS),
        "NEWSWATCH_WEB_URL": "https://newswatch.city.example",  # feedback links need the public address
    }
    db = Database.open(env["NEWSWATCH_DB_URL"])
    try:
        with db.session() as s:
            hour = utcnow() - timedelta(hours=1)
            for title, outlets in (
                (SCRIPT_TITLE, ("busanilbo",)),
                (LONG_TITLE, ("gwnews",)),
                (
                    "인천시, 러시아어권 코디네이터 28명 초청 의료관광 팸투어",
                    ("incheonilbo", "yna", "news1"),
                ),
            ):
                add_pending(s, title, TEAM, due_in=timedelta(hours=8), outlets=outlets, published_at=hour)
    finally:
        db.close()
    target = home / "preview" / "digest.html"
    done = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "digest", "--preview", str(target)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "nothing sent" in done.stdout
    return target


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_a_reader_sees_titles_as_text_outlets_and_marked_snippets(
    preview: Path, chromium: str, tmp_path: Path
) -> None:
    done = chromium_run(chromium, tmp_path / "profile-dom", "--virtual-time-budget=3000",
                        "--dump-dom", preview.as_uri())  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert "<script" not in dom.lower()  # the scraped script is text, never an element
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 부산 의료관광 🏥✨ 설명회 😀" in dom
    assert "인천시, 러시아어권 코디네이터 28명 초청 의료관광 팸투어" in dom
    assert "3개 매체 보도" in dom and "1개 매체 보도" in dom
    assert dom.count("<mark") >= 3 and "의료관광</mark>" in dom
    assert "강릉해변웰니스관광" * 10 in dom
    assert LONG_TITLE not in dom  # cut with "…": the whole title is one click away
    assert "관련 있음" in dom and "관련 없음" in dom


def test_a_phone_width_screenshot_is_kept(
    preview: Path, chromium: str, home: Path, tmp_path: Path
) -> None:
    shot = home / "artifacts" / "digest-preview.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    done = chromium_run(chromium, tmp_path / "profile-shot", "--hide-scrollbars",
                        f"--window-size={PHONE[0]},{PHONE[1]}", f"--screenshot={shot}",
                        preview.as_uri())  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 10_000
    assert png_size(shot) == PHONE
    keep = os.environ.get("NEWSWATCH_KEEP_ARTIFACTS")
    if keep:  # e.g. CI uploads it; a person looks at it after template changes
        target = Path(keep) / shot.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(shot.read_bytes())
