"""Merging one area's figures into $NEWSWATCH_HOME/bench/results.json and printing them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crawler import paths


def results_file() -> Path:
    return paths.bench_dir() / "results.json"


def merge(figures: dict[str, Any]) -> Path:
    """Write these keys (e.g. `crawl.pages_per_s`), keeping every other area's keys."""
    path = results_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update(figures)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(current, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


def print_table(area: str, figures: dict[str, Any], targets: dict[str, str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"bench: {area}")
    table.add_column("key")
    table.add_column("value", justify="right")
    table.add_column("target")
    for key, value in figures.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        table.add_row(key, shown, targets.get(key, ""))
    Console().print(table)
