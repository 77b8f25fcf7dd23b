"""`make bench ONLY=extract`: the keys DESIGN.md names, and a clean skip without the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import extract as bench_extract

KEYS = {
    "extract.mk_title_exact", "extract.mk_date_exact", "extract.mk_body_f1", "extract.zyte_body_f1",
    "extract.zyte_body_f1_trafilatura", "extract.euckr_replacement_chars",
}


def test_skips_cleanly_without_the_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_extract.run(tmp_path / "absent") == {}
    assert "skipped" in capsys.readouterr().out


def test_keys_on_a_tiny_corpus(tmp_path: Path) -> None:
    (tmp_path / "euc-kr").mkdir()
    page = "<html><head><meta charset='euc-kr'><title>똠방각하</title></head><body><h1>똠방각하</h1><p>" + "뷁 " * 50 + "</p></body></html>"
    (tmp_path / "euc-kr" / "a.html").write_bytes(page.encode("cp949"))
    assert bench_extract.run(tmp_path) == {"extract.euckr_replacement_chars": 0}
    assert set(bench_extract.TARGETS) <= KEYS
