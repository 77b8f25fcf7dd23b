"""Jinja2 environment of the dashboard: autoescaped templates, Seoul times, highlighted snippets."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from crawler.alert.compose import safe_url
from crawler.alert.explain import score_text
from crawler.clock import korean_time
from crawler.monitor.status import sparkline as spark

TEMPLATES = Path(__file__).resolve().parent / "templates"
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"
SNIPPET_CHARS = 400
_KO_WEEKDAYS = "월화수목금토일"
_CONTROLS = re.compile("[\x00\x01\x04-\x1f\x7f-\x9f]")  # C0/C1 except the \x02/\x03 markers
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SPACES = re.compile(r"\s+")
_MARKERS = re.compile("([\x02\x03])")


def seoul(when: datetime | None) -> str:
    """'12월 7일(월) 08:30' in Asia/Seoul (as the mail says it); '-' when unknown."""
    return korean_time(when) if when is not None else "-"


def marked(text: str | None, limit: int = SNIPPET_CHARS) -> Markup:
    """Escape first, then turn the matcher's \\x02…\\x03 markers into <mark>; stray markers are dropped."""
    cleaned = _SPACES.sub(" ", _CONTROLS.sub(" ", _INVISIBLE.sub("", text or ""))).strip()
    out: list[Markup] = []
    inside, left = False, limit
    for piece in _MARKERS.split(cleaned):
        if piece in (MARK_OPEN, MARK_CLOSE):
            inside = piece == MARK_OPEN
            continue
        if not piece or left <= 0:
            continue
        if len(piece) > left:
            piece = piece[:left].rstrip() + "…"
        left -= len(piece)
        out.append(Markup("<mark>{}</mark>").format(piece) if inside else escape(piece))
    return Markup("").join(out)


def sparkline(values: list[int]) -> str:
    return spark(values)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)

    env.filters.update(seoul=seoul, marked=marked, safe_url=safe_url, sparkline=sparkline,
                       korean_time=korean_time, score_text=score_text)
    return env


def render(name: str, **context: object) -> str:
    return environment().get_template(name).render(**context)
