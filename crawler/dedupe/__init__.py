"""Dedupe in three layers (DESIGN.md): one article under many URLs (`urls`), one article edited
(the store compares revisions), one story in many outlets (`stories`, grouped by `cluster`).

Pure functions only; the store keeps `story_bands(band_key, story_id)` and each story's
signature and asks `matching_stories` which story a new article joins.
"""

from __future__ import annotations

from crawler.dedupe.cluster import cluster_jsonl, cluster_records, matching_stories
from crawler.dedupe.stories import (
    StoryDoc,
    band_keys,
    decode_signature,
    dedupe_text,
    encode_signature,
    same_story,
    signature,
    similarity,
)
from crawler.dedupe.urls import article_id, article_key, canonical_url

__all__ = [
    "StoryDoc",
    "article_id",
    "article_key",
    "band_keys",
    "canonical_url",
    "cluster_jsonl",
    "cluster_records",
    "decode_signature",
    "dedupe_text",
    "encode_signature",
    "matching_stories",
    "same_story",
    "signature",
    "similarity",
]
