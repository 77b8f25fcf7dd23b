"""The whitespace-token F1 shared with the benchmark."""

from __future__ import annotations

import pytest

from crawler.extract.evaluate import precision_recall, token_f1


@pytest.mark.parametrize(
    ("predicted", "truth", "f1"),
    [
        ("a b c", "a b c", 1.0),
        ("a\nb  c", "c b a", 1.0),  # order and line breaks do not count
        ("", "", 1.0),
        ("a", "", 0.0),
        ("", "a", 0.0),
        ("a b", "c d", 0.0),
        ("a a b", "a b b", 2 / 3),  # multisets: one "a" and one "b" in common
        ("a b c d", "a b", 2 * 0.5 * 1.0 / 1.5),
    ],
)
def test_token_f1(predicted: str, truth: str, f1: float) -> None:
    assert token_f1(predicted, truth) == pytest.approx(f1)


def test_precision_recall() -> None:
    assert precision_recall("a b c d", "a b") == (0.5, 1.0)
