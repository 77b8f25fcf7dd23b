"""Real labelled news (`../shared/corpus/relevance-dev`): read in place, scored, never copied.

Each item has one `text` (an excerpt of a stored page: usually the headline on its first line,
sometimes a lead or a photo caption there instead, then page lines such as the outlet's name or
"입력", then the article).  The figures the issue states are for the whole text matched as the
body with no title (`headline=False`, the default here); `headline=True` takes the first line
as the title, as an extractor would, and is reported beside it.  Borderline items are reported,
not scored.  `core_or` is the naive alert the watchlist must beat: any of five core terms.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler import paths
from crawler.match.engine import Matcher
from crawler.match.evaluate import Evaluation

DEV_DIR = paths.PROJECT_ROOT.parent / "shared" / "corpus" / "relevance-dev"
DEV_FILES = ("items.jsonl", "items-b.jsonl")
CORE_TERMS = ("의료관광", "외국인환자", "해외환자", "의료관광객", "메디컬투어")


@dataclass(frozen=True)
class RealItem:
    """One labelled real article."""

    id: str
    url: str
    label: int
    difficulty: str
    title: str
    body: str
    note: str = ""

    def article(self, headline: bool = False) -> tuple[str, str]:
        """(title, body) to match: the whole text as the body, or the first line as the title."""
        return (self.title, self.body) if headline else ("", f"{self.title}\n{self.body}")

    @property
    def borderline(self) -> bool:
        return self.difficulty == "borderline"


def missing_reason(directory: Path = DEV_DIR) -> str | None:
    """Why the dev set cannot be read (None when it can)."""
    if not directory.is_dir():
        return f"{directory} is absent (a fresh clone has no ../shared/corpus/relevance-dev)"
    absent = [name for name in DEV_FILES if not (directory / name).is_file()]
    if absent:
        return f"{directory}: {', '.join(absent)} missing"
    return None


def split_text(text: str) -> tuple[str, str]:
    """(title, body): the first non-empty line, and the rest."""
    lines = text.strip().split("\n", 1)
    return lines[0].strip(), (lines[1] if len(lines) > 1 else "")


def read_items(path: Path) -> list[RealItem]:
    """The items of one dev file."""
    out = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            obj: dict[str, Any] = json.loads(line)
            title, body = split_text(obj["text"])
            out.append(
                RealItem(
                    id=obj["id"], url=obj.get("url", ""), label=int(obj["label"]),
                    difficulty=obj.get("difficulty", ""), title=title, body=body,
                    note=obj.get("note", ""),
                )
            )  # fmt: skip
    return out


def dev_items(directory: Path = DEV_DIR, files: Iterable[str] = DEV_FILES) -> list[RealItem]:
    """Every item of the named dev files (both by default)."""
    return [item for name in files for item in read_items(directory / name)]


def evaluate(matcher: Matcher, items: Iterable[RealItem], headline: bool = False) -> Evaluation:
    """The watchlist's precision and recall on the items, borderline ones left out."""
    evaluation = Evaluation()
    for item in scored(items):
        evaluation.add(item.id, item.label, matcher.match(*item.article(headline)))
    return evaluation


def scored(items: Iterable[RealItem]) -> Iterator[RealItem]:
    """The items that count (not borderline)."""
    return (item for item in items if not item.borderline)


def core_or(items: Iterable[RealItem]) -> tuple[float, float]:
    """(precision, recall) of "any core term, spaces ignored" on the scored items."""
    tp = fp = fn = 0
    for item in scored(items):
        compact = "".join(f"{item.title}\n{item.body}".split())
        hit = any(term in compact for term in CORE_TERMS)
        tp += hit and item.label == 1
        fp += hit and item.label == 0
        fn += (not hit) and item.label == 1
    return (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0)
