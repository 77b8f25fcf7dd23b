"""The JSON-lines command contract (DESIGN.md): one output line per input line, in order;
unknown keys ignored; a bad line reported on stderr as {"line": N, "error": "…"}; exit 1 if any was bad.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO


@contextmanager
def open_input(path: str) -> Iterator[TextIO]:
    """A file path or `-` for stdin, read as UTF-8."""
    if path == "-":
        yield sys.stdin
    else:
        with open(path, encoding="utf-8") as f:
            yield f


def read_objects(inp: TextIO, err: TextIO) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """(line number, object) per non-empty line; None (after reporting it) for a bad line."""
    for n, line in enumerate(inp, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("a line must be a JSON object")
        except ValueError as exc:
            report(err, n, str(exc))
            yield n, None
            continue
        yield n, obj


def report(err: TextIO, line: int, message: str) -> None:
    err.write(json.dumps({"line": line, "error": message}, ensure_ascii=False) + "\n")


def map_lines(inp: TextIO, out: TextIO, err: TextIO, handle: Callable[[dict[str, Any]], dict[str, Any]]) -> int:
    """Apply `handle` to each line's object; bad lines (bad JSON, or `handle` raising ValueError/KeyError) are reported."""
    bad = 0
    for n, obj in read_objects(inp, err):
        if obj is None:
            bad += 1
            continue
        try:
            result = handle(obj)
        except (ValueError, KeyError, TypeError) as exc:
            report(err, n, f"{type(exc).__name__}: {exc}")
            bad += 1
            continue
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 1 if bad else 0
