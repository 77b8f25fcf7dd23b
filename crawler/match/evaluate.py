"""`newswatch watchlist test`: precision, recall and F1 of a watchlist on labelled articles.

Input lines are `newswatch classify` lines plus `"label"` (1 = relevant, 0 = not).  The
report lists every miss — false positives and false negatives — with the rule, score and
snippets, so a watchlist editor sees why each one went wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TextIO

from crawler.jsonl import read_objects, report
from crawler.match.engine import Matcher, article_texts
from crawler.match.snippet import MARK_END, MARK_START
from crawler.types import MatchResult


@dataclass
class Miss:
    """An article the watchlist got wrong."""

    id: Any
    label: int
    result: MatchResult


@dataclass
class Evaluation:
    """Counts of right and wrong answers, and the misses."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    misses: list[Miss] = field(default_factory=list)

    def add(self, article_id: Any, label: int, result: MatchResult) -> None:
        """Count one labelled article."""
        if result.relevant and label:
            self.tp += 1
        elif result.relevant:
            self.fp += 1
            self.misses.append(Miss(article_id, label, result))
        elif label:
            self.fn += 1
            self.misses.append(Miss(article_id, label, result))
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def label_of(obj: dict[str, Any]) -> int:
    """The 0/1 label of a line (true/false accepted)."""
    value = obj.get("label")
    if isinstance(value, bool) or value in (0, 1):
        return int(value)
    raise ValueError(f"'label' must be 0 or 1, not {value!r}")


def evaluate_jsonl(matcher: Matcher, inp: TextIO, out: TextIO, err: TextIO) -> int:
    """Score every labelled line and print the figures and the misses; 1 if a line was bad."""
    evaluation, bad = Evaluation(), 0
    for n, obj in read_objects(inp, err):
        if obj is None:
            bad += 1
            continue
        try:
            title, body, subtitle = article_texts(obj)
            label = label_of(obj)
        except ValueError as exc:
            report(err, n, str(exc))
            bad += 1
            continue
        evaluation.add(obj["id"], label, matcher.match(title, body, subtitle=subtitle))
    out.write(format_report(matcher.watchlist.id, evaluation))
    return 1 if bad else 0


def format_report(watchlist_id: str, e: Evaluation) -> str:
    """The figures, then one paragraph per miss."""
    lines = [
        f"watchlist {watchlist_id}: {e.tp + e.fp + e.fn + e.tn} articles",
        f"precision {e.precision:.3f}  recall {e.recall:.3f}  F1 {e.f1:.3f}  "
        f"(true positives {e.tp}, false positives {e.fp}, false negatives {e.fn}, "
        f"true negatives {e.tn})",
    ]
    for miss in e.misses:
        r = miss.result
        kind = "false negative" if miss.label else "false positive"
        lines += [
            "",
            f"{kind}: id {miss.id}  score {r.score:g} (threshold {r.threshold:g})",
            f"  why: {r.rule}",
            f"  title: {_plain(r.snippet_title)}",
            f"  body: {_plain(r.snippet_body)}",
        ]
    return "\n".join(lines) + "\n"


def _plain(snippet: str) -> str:
    """A snippet for a terminal: marked terms in [brackets]."""
    return snippet.replace(MARK_START, "[").replace(MARK_END, "]")
