"""`newswatch watchlist test`: figures and misses from labelled JSON lines."""

from __future__ import annotations

import io
import json
from pathlib import Path

from crawler.match import Matcher, load_watchlist
from crawler.match.evaluate import evaluate_jsonl

BUNDLED = Path(__file__).resolve().parents[1] / "settings" / "watchlists" / "medical-tourism.toml"

LINES = [
    {"id": 1, "label": 1, "title": "외국인 환자 유치 실적 역대 최고", "body": ""},
    {"id": 2, "label": 1, "title": "구청장 동정", "body": "구청장은 민원 현장을 찾았다."},
    {"id": 3, "label": 0, "title": "인천 OO병원 암센터 개원", "body": "진료를 시작했다."},
    {"id": 4, "label": 0, "title": "몽골 의료관광 설명회", "body": "병원 3곳이 참가했다."},
]


def run(lines: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = evaluate_jsonl(Matcher(load_watchlist(BUNDLED)), io.StringIO("\n".join(lines)), out, err)
    return code, out.getvalue(), err.getvalue()


def test_figures_and_every_miss_with_its_explanation() -> None:
    code, out, err = run([json.dumps(line, ensure_ascii=False) for line in LINES])
    assert code == 0 and err == ""
    assert "4 articles" in out
    assert "precision 0.500  recall 0.500  F1 0.500" in out
    assert "false negative: id 2  score 0" in out and "why: no rule fired" in out
    assert "false positive: id 4" in out and "[의료관광]" in out


def test_bad_lines_are_reported_and_skipped() -> None:
    lines = [
        json.dumps(LINES[0], ensure_ascii=False),
        "not json",
        json.dumps({"id": 9, "title": "x", "body": "y"}),
        json.dumps({"id": 10, "label": 2, "title": "x"}),
    ]
    code, out, err = run(lines)
    assert code == 1
    errors = [json.loads(line) for line in err.splitlines()]
    assert [e["line"] for e in errors] == [2, 3, 4]
    assert "'label' must be 0 or 1" in errors[1]["error"]
    assert "1 articles" in out and "precision 1.000" in out
