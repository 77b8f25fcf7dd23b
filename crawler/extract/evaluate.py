"""Body-quality measure shared by the tests and the benchmark: whitespace-token F1.

As in the public article-extraction benchmark: the texts are split on whitespace and compared as
multisets of tokens, so word order and paragraph breaks do not count, repeated words do.
"""

from __future__ import annotations

from collections import Counter


def token_counts(text: str) -> Counter[str]:
    """The whitespace tokens of `text` with their multiplicities."""
    return Counter(text.split())


def precision_recall(predicted: str, truth: str) -> tuple[float, float]:
    """Token precision and recall of `predicted` against `truth` (1.0 when both are empty)."""
    pred, true = token_counts(predicted), token_counts(truth)
    n_pred, n_true = sum(pred.values()), sum(true.values())
    if not n_pred and not n_true:
        return 1.0, 1.0
    common = sum((pred & true).values())
    precision = common / n_pred if n_pred else 0.0
    recall = common / n_true if n_true else 0.0
    return precision, recall


def token_f1(predicted: str, truth: str) -> float:
    """Whitespace-token F1 of `predicted` against `truth`: 1.0 when both are empty, 0.0 if one is."""
    precision, recall = precision_recall(predicted, truth)
    if not precision + recall:
        return 0.0
    return 2 * precision * recall / (precision + recall)
