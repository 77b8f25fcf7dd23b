"""Malformed and hostile query strings: a 400 or a safe default, never a 500, never reflected raw."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.registry import load_registry
from crawler.web.app import make_app
from tests.support.web import TITLE_A, call, seed, setup_home


@pytest.fixture
def app(db: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    setup_home(home, monkeypatch)
    now = datetime.now(UTC)
    seed(db, now)
    return make_app(db, load_registry().by_id(), clock=lambda: now)


BAD_400 = {
    "huge days": "days=" + "9" * 5000,
    "big integer": "days=99999999999999999999",
    "zero days": "days=0",
    "negative": "days=-3",
    "float": "days=1.5",
    "not a number": "days=abc",
    "fullwidth digits": "days=%EF%BC%97",  # "７" is isdigit() but not ASCII
    "sql in days": "days=1%3B%20DROP%20TABLE%20matches%3B--",
    "sql in watchlist": "watchlist=%27%20OR%201%3D1%20--",
    "unknown watchlist": "watchlist=nope",
    "script in watchlist": "watchlist=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "repeated key": "days=1&days=2",
    "too many fields": "&".join(f"x{i}=1" for i in range(40)),
    "huge query": "x=" + "a" * 5000,
}


@pytest.mark.parametrize("query", BAD_400.values(), ids=BAD_400.keys())
def test_bad_query_is_400(app: Any, query: str) -> None:
    code, headers, body = call(app, "/", query)
    assert code == 400, body
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "요청을 처리할 수 없습니다" in body
    assert "<script>alert" not in body and "' OR 1=1" not in body


def test_script_is_escaped_in_message(app: Any) -> None:
    _, _, body = call(app, "/", "watchlist=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "알 수 없는 관심 주제" in body


def test_sql_did_nothing(app: Any) -> None:
    call(app, "/", "days=1%3B%20DROP%20TABLE%20matches%3B--")
    code, _, body = call(app)
    assert code == 200 and TITLE_A in body


SAFE_DEFAULTS = {
    "empty": "",
    "blank values": "days=&watchlist=",
    "unknown keys": "foo=<script>&bar=1",
    "broken percent": "days=%ZZ&watchlist=%",
    "invalid utf-8": "foo=%FF%FE",
    "no equals": "days",
    "padded": "days=%207%20",
}


@pytest.mark.parametrize("query", SAFE_DEFAULTS.values(), ids=SAFE_DEFAULTS.keys())
def test_harmless_oddities_get_defaults(app: Any, query: str) -> None:
    code, _, body = call(app, "/", query)
    if code == 400:  # "%ZZ" is not a number: refused, and said so
        assert "기간은" in body
    else:
        assert code == 200 and TITLE_A in body
    assert "<script>" not in body


def test_feedback_token_oddities(app: Any) -> None:
    for query in ("t=" + "A" * 5000, "t=a.b", "t=%00.%00", "t=..", "t=%FF.%FE", "t=x&t=y", "t=" + "가.나"):
        code, _, body = call(app, "/feedback", query)
        assert code == 400, query
        assert "<script" not in body


def test_unknown_path_and_method(app: Any) -> None:
    assert call(app, "/<script>")[0] == 404
    code, _, body = call(app, "/", "", method="DELETE")
    assert code == 405 and "요청을 받지 않습니다" in body
