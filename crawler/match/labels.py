"""The office's own labels as a test set: `newswatch watchlist test ID --labels [--since DATE]`.

Labels come from the mail's 관련 있음 / 관련 없음 links and `newswatch label`; the newest
relevant/irrelevant verdict per story counts.  `labelled_stories` is the one place that reads
them from the store, so a change in how labels are recorded changes only this query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.clock import SEOUL
from crawler.match.engine import Matcher
from crawler.match.evaluate import Evaluation
from crawler.match.explain import explain
from crawler.store.models import Article, Label


@dataclass(frozen=True)
class LabelledStory:
    """A story the office labelled, with the text of its first stored article."""

    story_id: int
    label: int
    title: str
    subtitle: str
    body: str
    labelled_at: datetime

    @property
    def id(self) -> str:
        return f"story-{self.story_id}"


def labelled_stories(
    session: Session, watchlist_id: str, since: date | None = None
) -> tuple[list[LabelledStory], int]:
    """The newest verdict per story for the watchlist (labelled on or after `since`, a Seoul
    date), with its article; and how many labelled stories have no text left (pruned)."""
    stmt = (
        select(Label)
        .where(Label.watchlist_id == watchlist_id, Label.verdict.in_(("relevant", "irrelevant")))
        .order_by(Label.id)
    )
    latest: dict[int, Label] = {}
    for label in session.scalars(stmt):
        latest[label.story_id] = label
    if since is not None:
        start = datetime.combine(since, time(), SEOUL).astimezone(UTC).replace(tzinfo=None)
        latest = {k: v for k, v in latest.items() if _naive_utc(v.created_at) >= start}
    out, pruned = [], 0
    for story_id in sorted(latest):
        label = latest[story_id]
        article = session.get(Article, label.article_id) if label.article_id else None
        if article is None:
            article = session.scalars(
                select(Article).where(Article.story_id == story_id).order_by(Article.id).limit(1)
            ).first()
        if article is None or article.body is None:
            pruned += 1
            continue
        out.append(
            LabelledStory(
                story_id, 1 if label.verdict == "relevant" else 0, article.title or "",
                article.subtitle or "", article.body, label.created_at,
            )
        )  # fmt: skip
    return out, pruned


def _naive_utc(value: datetime) -> datetime:
    """Stored times are UTC; SQLite gives them back naive, PostgreSQL aware."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def evaluate_labels(matcher: Matcher, stories: list[LabelledStory]) -> Evaluation:
    """The watchlist's figures on the labelled stories."""
    evaluation = Evaluation()
    for story in stories:
        evaluation.add(
            story.id, story.label, matcher.match(story.title, story.body, subtitle=story.subtitle)
        )
    return evaluation


def report_labels(
    matcher: Matcher, stories: list[LabelledStory], pruned: int, since: date | None, out: TextIO
) -> Evaluation:
    """Print the figures and every labelled story the watchlist now gets wrong, explained."""
    e = evaluate_labels(matcher, stories)
    when = f" since {since.isoformat()}" if since else ""
    out.write(
        f"watchlist {matcher.watchlist.id}: {len(stories)} stories the office labelled{when}"
        + (f" ({pruned} more have no text left: pruned)" if pruned else "")
        + "\n"
    )
    if not stories:
        out.write(
            "no labels yet: they come from the mail's 관련 있음 / 관련 없음 links and "
            "`newswatch label --watchlist ID --story N --relevant|--irrelevant`\n"
        )
        return e
    out.write(
        f"precision {e.precision:.3f}  recall {e.recall:.3f}  F1 {e.f1:.3f}  "
        f"(true positives {e.tp}, false positives {e.fp}, false negatives {e.fn}, "
        f"true negatives {e.tn})\n"
    )
    by_id = {s.id: s for s in stories}
    for miss in e.misses:
        story = by_id[miss.id]
        kind = "labelled relevant, not matched" if miss.label else "labelled not relevant, matched"
        out.write(f"\n{kind}: story {story.story_id}  {story.title[:80]}\n")
        lines = explain(matcher, story.title, story.body, story.subtitle).lines()
        out.write("\n".join(lines) + "\n")
    return e
