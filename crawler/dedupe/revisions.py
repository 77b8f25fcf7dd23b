"""Dedupe layer 2, the same article edited: when does a new version deserve a second mail?

An edited article is always stored as a new version and re-matched. The alert revision of its
story rises (and the story is mailed again) only when the match changes *materially*:

* the match itself changed — a concept group matched that did not before, or the score rose by
  at least `SCORE_RISE` (a quarter); and
* the text changed enough to carry that — at least `TEXT_CHANGE` (a tenth) of the body's
  5-character shingles are new or gone, or the headline was rewritten (less than
  `TITLE_SAME` of its 2-character shingles in common).

Both must hold: a typo fix that happens to complete a term ("의료광광" → "의료관광") changes the
match but not the text; a new photo caption or a reworded paragraph changes the text but not
the match. Neither mails again. Newly matching (the previous version was below the threshold)
is not a revision: it is the story's first alert, unless the story was already mailed through
another outlet's article.

Texts are compared after the same normalisation as story clustering (`dedupe_text`: NFKC,
credits and page chrome removed, case and punctuation folded), so a changed byline, a wire credit
or whitespace never counts as an edit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from crawler.dedupe.stories import clean_title, dedupe_text, fold, shingle_hashes

SCORE_RISE = 1.25
TEXT_CHANGE = 0.10
TITLE_SAME = 0.8


@dataclass(frozen=True)
class PreviousMatch:
    """What the previous version's match said (from the `matches` row)."""

    relevant: bool
    score: float
    groups: frozenset[str]


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if not len(a) and not len(b):
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


def text_change(old_title: str, old_body: str, new_title: str, new_body: str) -> float:
    """The share of the normalised text that is new or gone, 0 (same) .. 1 (nothing in common)."""
    old = shingle_hashes(dedupe_text(old_title, old_body))
    new = shingle_hashes(dedupe_text(new_title, new_body))
    return 1.0 - _jaccard(old, new)


def title_rewritten(old_title: str, new_title: str) -> bool:
    a = shingle_hashes(fold(clean_title(old_title)), k=2)
    b = shingle_hashes(fold(clean_title(new_title)), k=2)
    return _jaccard(a, b) < TITLE_SAME


def match_change(previous: PreviousMatch, score: float, groups: Iterable[str]) -> str:
    """Why the match changed in substance ("" when it did not)."""
    added = sorted(set(groups) - previous.groups)
    if added:
        return "new concept groups: " + ", ".join(added)
    if previous.score > 0 and score >= previous.score * SCORE_RISE:
        return f"score {previous.score:.1f} → {score:.1f}"
    return ""


def material_change(previous: PreviousMatch, score: float, groups: Iterable[str], *,
                    old_title: str, old_body: str, new_title: str, new_body: str) -> str:
    """Why this edit of a matching article is worth a second mail ("" when it is not).

    Only for an article whose previous version matched and whose new version matches too.
    """
    if not previous.relevant:
        return ""
    why = match_change(previous, score, groups)
    if not why:
        return ""
    if title_rewritten(old_title, new_title):
        return f"{why}; headline rewritten"
    changed = text_change(old_title, old_body, new_title, new_body)
    if changed >= TEXT_CHANGE:
        return f"{why}; {changed:.0%} of the text changed"
    return ""

