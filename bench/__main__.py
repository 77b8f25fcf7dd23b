"""`python -m bench [--only AREA]`: run the benchmark areas, print tables, merge results.json."""

from __future__ import annotations

import argparse
import importlib
import sys
import time

AREAS = ("crawl", "extract", "match", "dedupe", "alert", "schedule", "freshness", "faults")


def available() -> list[str]:
    out = []
    for area in AREAS:
        try:
            importlib.import_module(f"bench.{area}")
        except ModuleNotFoundError:
            continue
        out.append(area)
    return out


def main() -> int:
    areas = available()
    p = argparse.ArgumentParser(prog="make bench", description="newswatch benchmarks")
    p.add_argument("--only", choices=areas, help="run one area")
    args = p.parse_args()
    from bench.results import merge, print_table, results_file

    for area in [args.only] if args.only else areas:
        module = importlib.import_module(f"bench.{area}")
        t0 = time.monotonic()
        figures = module.run()
        print_table(area, figures, getattr(module, "TARGETS", {}))
        merge(figures)
        print(f"{area}: {time.monotonic() - t0:.0f} s")
    print(f"results: {results_file()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
