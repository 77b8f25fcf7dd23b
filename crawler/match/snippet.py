"""Snippets: the title and the best body passage with matched terms between \\x02 and \\x03.

Templates escape the snippet text first, then turn the markers into <mark>…</mark>.
Snippets are built from the text without markup (tags dropped, entities decoded),
with runs of whitespace shown as one space.  When no rule fired, the body snippet is
the lead of the article, unmarked.
"""

from __future__ import annotations

import re

MARK_START, MARK_END = "\x02", "\x03"
WIDTH = 160  # characters of body passage, about two lines on a phone
ELLIPSIS = "…"

_SENTENCE_START_RE = re.compile(r"(?:[.!?。](?:\s+)|\n+)")
_SENTENCE_END_RE = re.compile(r"[.!?。](?=\s|$)")

Span = tuple[int, int, float]  # start, end, weight (in the display text)


def title_snippet(text: str, spans: list[Span]) -> str:
    """The whole title with every hit marked."""
    return mark(text, 0, len(text), spans)


def body_snippet(text: str, spans: list[Span], width: int = WIDTH) -> str:
    """About `width` characters around the densest cluster of hits, cut at sentence or word ends."""
    if not text.strip():
        return ""
    if not spans:
        start, end = 0, _cut_end(text, 0, min(len(text), width))
        return _with_ellipses(text, start, end, mark(text, start, end, []))
    a, b = _densest(sorted(spans), width)
    start = _cut_start(text, a, b, width)
    end = _cut_end(text, b, min(len(text), start + width))
    return _with_ellipses(text, start, end, mark(text, start, end, spans))


def mark(text: str, start: int, end: int, spans: list[Span]) -> str:
    """text[start:end] with the spans inside it wrapped in markers, whitespace collapsed."""
    merged: list[list[int]] = []
    for s, e, _ in sorted(spans):
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, pos = [], start
    for s, e in merged:
        out += [_clean(text[pos:s]), MARK_START, _clean(text[s:e]), MARK_END]
        pos = e
    out.append(_clean(text[pos:end]))
    return " ".join("".join(out).split())  # = re.sub(r"\s+", " ", …).strip(), but faster


def _clean(part: str) -> str:
    """Remove stray marker characters from the text itself."""
    return part.replace(MARK_START, " ").replace(MARK_END, " ")


def _densest(spans: list[Span], width: int) -> tuple[int, int]:
    """The [start, end) of the heaviest run of spans fitting in `width` characters."""
    best, best_range = -1.0, (spans[0][0], spans[0][1])
    j, total = 0, 0.0
    for i, (s, _, _) in enumerate(spans):
        if j < i:
            j, total = i, 0.0
        while j < len(spans) and spans[j][1] - s <= width:
            total += spans[j][2]
            j += 1
        if j > i and total > best:
            best = total
            best_range = (s, max(e for _, e, _ in spans[i:j]))
        if j > i:
            total -= spans[i][2]
    return best_range


def _cut_start(text: str, a: int, b: int, width: int) -> int:
    """Where the passage starts: the sentence start before `a` if it fits, else a word start."""
    starts = [m.end() for m in _SENTENCE_START_RE.finditer(text, max(0, a - width), a + 1)]
    sentence = starts[-1] if starts else (0 if a < width else None)
    if sentence is not None and sentence <= a and b - sentence <= width:
        return sentence
    slack = max(0, width - (b - a))
    start = max(0, a - slack // 3)
    space = text.find(" ", start, a)
    return space + 1 if space >= 0 and start > 0 else start


def _cut_end(text: str, b: int, limit: int) -> int:
    """Where the passage ends: a sentence end before `limit` if any, else the last word end."""
    if limit >= len(text):
        return len(text)
    ends = [m.start() + 1 for m in _SENTENCE_END_RE.finditer(text, b, limit + 1)]
    if ends:
        return ends[-1]
    space = text.rfind(" ", b, limit)
    return space if space > b else max(b, limit)


def _with_ellipses(text: str, start: int, end: int, body: str) -> str:
    """Add … where the passage cuts a sentence."""
    before = text[max(0, start - 80) : start].rstrip()
    if start > 0 and before and before[-1] not in ".!?。\n":
        body = ELLIPSIS + body
    after = text[end : end + 80].strip()
    if after and text[max(0, end - 80) : end].rstrip()[-1:] not in (".", "!", "?", "。"):
        body += ELLIPSIS
    return body
