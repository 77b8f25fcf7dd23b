"""Group articles into stories: an in-memory LSH index, `same_story` on its candidates, and a
union-find that joins two stories only when their first articles are still related.

This is what `newswatch cluster FILE.jsonl` runs. A story id is "s-" + the id of the story's
first article in input order, so the same input always gives the same ids.

The store does the same per new article, with its `story_bands` table in place of `BandIndex`:

    doc = StoryDoc(id, outlet, title, body, published_at)         # computes doc.sig
    keys = band_keys(doc.sig)
    stories = SELECT DISTINCT story_id FROM story_bands WHERE band_key IN keys
    (optionally only stories updated in the last weeks: older ones need a near-verbatim copy)
    matches = matching_stories(doc, [(story, member doc) ...], {story: first article doc})
    story = matches[0][0] if matches else a new story
    INSERT story_bands (band_key, story) for every key  # all members' keys find the story

Member docs are rebuilt from stored text; `StoryDoc(..., sig=decode_signature(blob))` skips
recomputing the signature (its `features` are still computed from the text, about 1 ms).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from crawler.dedupe.stories import (
    StoryDoc,
    band_keys,
    follow_up,
    related,
    same_story,
)


@dataclass
class Assignment:
    """Why an article is in its story: what `newswatch cluster --explain` prints."""

    story: str
    joined: str | None = None  # the member it was found alike, None when it opened the story
    score: float = 0.0
    evidence: str = ""
    follows: str | None = None  # an earlier story this one follows up (days later, same actors)


class BandIndex:
    """LSH band key -> positions of the documents that have it (the in-memory `story_bands`)."""

    def __init__(self) -> None:
        self._bands: dict[int, list[int]] = defaultdict(list)

    def add(self, position: int, keys: Iterable[int]) -> None:
        """Index one document under its band keys."""
        for key in keys:
            self._bands[key].append(position)

    def candidates(self, keys: Iterable[int]) -> list[int]:
        """Positions sharing at least one band key, in insertion order."""
        found = {position for key in keys for position in self._bands.get(key, ())}
        return sorted(found)


def matching_stories(
    doc: StoryDoc,
    candidates: Iterable[tuple[str, StoryDoc]],
    representatives: Mapping[str, StoryDoc],
) -> list[tuple[str, float, str]]:
    """Stories `doc` belongs to, best first: (story, score, reason).

    `candidates` are (story id, member) pairs found through shared band keys; a story counts only
    when `doc` is the same story as one of its members and still related to the story's
    representative (its first article), so a chain of small edits cannot walk into another story.
    """
    best: dict[str, tuple[float, str]] = {}
    for story, member in candidates:
        ok, score, reason = same_story(doc, member)
        if not ok or score <= best.get(story, (-1.0, ""))[0]:
            continue
        rep = representatives.get(story, member)
        if rep is not member and not related(doc, rep):
            continue
        best[story] = (score, f"{member.id}: {reason}")
    return sorted(((s, sc, r) for s, (sc, r) in best.items()), key=lambda x: -x[1])


def to_doc(record: Mapping[str, Any]) -> StoryDoc:
    """A StoryDoc from a JSON-lines record; raises ValueError naming the bad field."""
    if (
        "id" not in record
        or not isinstance(record["id"], str | int)
        or isinstance(record["id"], bool)
    ):
        raise ValueError('"id" is required (a string or a number)')
    for key in ("outlet", "title", "body"):
        if not isinstance(record.get(key, ""), str):
            raise ValueError(f'"{key}" must be a string')
    return StoryDoc(
        id=str(record["id"]),
        outlet=record.get("outlet", ""),
        title=record.get("title", ""),
        body=record.get("body", ""),
        published_at=parse_time(record.get("published_at")),
    )


def parse_time(value: object) -> datetime | None:
    """ISO 8601 text (or a datetime, or null) as a datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError('"published_at" must be an ISO 8601 string or null')
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f'"published_at" is not ISO 8601: {value!r}') from None


class _Stories:
    """Union-find over story ids; a story's representative is its first article."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.reps: dict[str, StoryDoc] = {}
        self.rank: dict[str, int] = {}  # creation order: the older story keeps its id

    def new(self, doc: StoryDoc) -> str:
        """Open a story for `doc`: "s-<id>" (made unique when an id repeats)."""
        story, n = f"s-{doc.id}", 1
        while story in self.parent:
            n += 1
            story = f"s-{doc.id}~{n}"
        self.parent[story], self.reps[story], self.rank[story] = story, doc, len(self.rank)
        return story

    def find(self, story: str) -> str:
        """The story's root, with path halving."""
        parent = self.parent
        while parent[story] != story:
            parent[story] = parent[parent[story]]
            story = parent[story]
        return story

    def join(self, a: str, b: str) -> None:
        """Merge two stories bridged by one article, only if their representatives are related."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb or not related(self.reps[ra], self.reps[rb]):
            return
        older, newer = sorted((ra, rb), key=self.rank.__getitem__)
        self.parent[newer] = older


def cluster_docs(docs: Sequence[StoryDoc]) -> list[str]:
    """The story id of each document, in input order."""
    return [a.story for a in explain_docs(docs)]


def explain_docs(docs: Sequence[StoryDoc]) -> list[Assignment]:
    """Each document's story with the evidence that put it there, in input order."""
    index = BandIndex()
    stories = _Stories()
    story_of: list[str] = []
    found: list[Assignment] = []
    for position, doc in enumerate(docs):
        keys = band_keys(doc.sig)
        candidates = [(stories.find(story_of[p]), docs[p]) for p in index.candidates(keys)]
        matches = matching_stories(doc, candidates, stories.reps)
        if matches:
            story, score, reason = matches[0]
            member, _, evidence = reason.partition(": ")
            for other, _score, _reason in matches[1:]:
                stories.join(story, other)
            found.append(Assignment(story, member, round(score, 4), evidence))
        else:
            story = stories.new(doc)
            earlier = [(s, m) for s, m in candidates if m.published_at is not None]
            follows = follow_up(doc, earlier)
            found.append(Assignment(story, None, 0.0, "no story alike: opens one", follows))
        story_of.append(story)
        index.add(position, keys)
    for a in found:
        a.story = stories.find(a.story)
        a.follows = stories.find(a.follows) if a.follows else None
        if a.follows == a.story:
            a.follows = None
    return found


def cluster_records(records: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(id, story) for each record {"id","outlet","title","body","published_at"?}, in input order."""
    docs = [to_doc(record) for record in records]
    return [(doc.id, story) for doc, story in zip(docs, cluster_docs(docs), strict=True)]


def cluster_jsonl(inp: TextIO, out: TextIO, err: TextIO, explain: bool = False) -> int:
    """`newswatch cluster`: JSON lines in, {"id","story"} lines out; 1 if any line was bad.

    With `explain`, each line also says which member the article was found alike ("joined",
    null when it opened its story), the "score" and the "evidence", and "follows": an earlier
    story it follows up."""
    docs: list[StoryDoc] = []
    ids: list[Any] = []
    seen: set[str] = set()
    bad = False
    for number, line in enumerate(inp, start=1):
        try:
            record = _parse_line(line)
            doc = to_doc(record)
            if doc.id in seen:
                raise ValueError(f"duplicate id {doc.id!r}")
        except ValueError as exc:
            err.write(json.dumps({"line": number, "error": str(exc)}, ensure_ascii=False) + "\n")
            bad = True
            continue
        seen.add(doc.id)
        docs.append(doc)
        ids.append(record["id"])
    for original_id, a in zip(ids, explain_docs(docs), strict=True):
        row: dict[str, Any] = {"id": original_id, "story": a.story}
        if explain:
            row.update(joined=a.joined, score=a.score, evidence=a.evidence, follows=a.follows)
        elif a.follows:
            row["follows"] = a.follows
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 1 if bad else 0


def _parse_line(line: str) -> dict[str, Any]:
    """One JSON object; ValueError with a short reason otherwise."""
    if not line.strip():
        raise ValueError("empty line")
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    return record
